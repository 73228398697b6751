"""The lineage engine: one view of the graph around a base node, as plain functions.

`lineage_view(node_id, view)` answers with Cytoscape.js elements, exactly PRODUCT.md's
"The lineage graph":

- Hops: one hop is one edge. The walk goes hop by hop with ONE query per hop and
  direction for the whole frontier (the graph is bipartite, so a frontier holds one kind
  of node; the frontier goes in as a single array parameter, however large). Each hop
  query also brings what filters and clusters need of the new nodes (job type; sequence,
  type, generated), and one query per kind then fetches what the answer shows, for the
  shown nodes only (for all nodes of a walk no larger than the node bound, where that
  query also brings the sequences' types and names). The number of queries grows with
  hops, never with nodes. A node
  already seen is never walked again, so cycles end the walk instead of looping it.
- Level: the signed distance from the base (negative upstream). A node reached both ways
  (only possible through a cycle) keeps its upstream level.
- Extended lineage adds, for every run of the direct lineage, its other inputs and
  outputs, one level beside the run, without walking further from them.
- Filters (artifact types, run job types) and generated artifacts (left out unless asked
  for) remove nodes from the answer, not from the walk: a kept node that reached another
  kept node only through removed ones gets an edge of kind "path" (drawn dashed), so a
  filter never cuts the graph silently.
- Clusters: on each level, nodes of one kind with the same neighbours toward the base
  (after those neighbours were clustered themselves) and the same job type (runs) or
  artifact sequence (versions) become one cluster node when there are five or more.
  So a sweep of runs using one dataset clusters, and the versions of one model those runs
  logged cluster next to them ("6 versions of zoo-model"). Versions whose neighbour toward
  the base is already a cluster group by type instead of sequence, so a hub dataset's
  thousands of consumers stay a handful of nodes. Nodes listed in `view.extract` stay out
  of clusters; `expand_clusters` turns clustering off. A cluster lists its first
  MEMBERS_LISTED members; `cluster_members` searches all of them.
- Bound: at most `settings.LINEAGE_MAX_NODES` nodes are returned, nearest the base first,
  and the walk itself stops growing after RAW_FACTOR times that many; either sets
  `truncated`.
"""

import functools
import gc
import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models.expressions import RawSQL

from registry import names
from registry.errors import InvalidName, NotFound
from registry.models import (
    ArtifactCollection,
    ArtifactVersion,
    LineageEdge,
    Membership,
    Project,
    Run,
    is_generated,
)

from .view import MAX_HOPS, View

USES, LOGS = LineageEdge.Direction.USES, LineageEdge.Direction.LOGS
CLUSTER_MIN = 5
MEMBERS_LISTED = 50
RAW_FACTOR = 50  # how many raw nodes the walk may visit per node it may return


# Outside the engine a node is "artifact:12" or "run:7" (registry.names). Inside it is
# one int, its key: pk * 2 for a version, pk * 2 + 1 for a run. A hub's view handles
# tens of thousands of nodes in every pass; ints hash and compare faster than
# ("run", pk) tuples (1.4-1.8x).
def key_of(kind, pk):
    return pk << 1 | (kind == "run")


def kind_of(key):
    return "run" if key & 1 else "artifact"


def is_run(key):
    return key & 1


def pk_of(key):
    return key >> 1


def key_of_id(text):
    """'run:7' -> its key; refuses what is not a node id (registry.names.parse_node_id)."""
    return key_of(*names.parse_node_id(text))


def node_id(key):
    return names.node_id(kind_of(key), key >> 1)


def without_gc(function):
    """The engine makes tens of thousands of small tuples and sets on a big view and no
    reference cycles; Python's cyclic GC would rescan the heap several times meanwhile
    (measured: two thirds of a 10,000-consumer view). Reference counting still frees."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        enabled = gc.isenabled()
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            if enabled:
                gc.enable()

    return wrapper


@without_gc
def lineage_view(base_id, view=None):
    """The view around `base_id` as {"elements": {...}, "base": id, "truncated": bool}."""
    result = compute(base_id, view or View())
    shown, edges, cut = bound(result, settings.LINEAGE_MAX_NODES)
    return render(result, shown, edges, result.graph.truncated or cut)


@without_gc
def cluster_members(base_id, view, cluster_id, query="", limit=None):
    """(matching members [{id, label}], how many match) of one cluster of a view;
    `query` narrows them by label, case-insensitively."""
    result = compute(base_id, view)
    keys = result.members.get(cluster_id)
    if not keys:
        raise NotFound("That cluster is not in this view any more.")
    attrs = display_attributes(keys)
    needle = query.strip().lower()
    members = [
        {"id": node_id(key), "label": label_of(key, attrs[key])}
        for key in keys
        if needle in label_of(key, attrs[key]).lower()
    ]
    return members[: limit or MEMBERS_LISTED], len(members)


@dataclass
class Result:
    """A view before it is cut to the bound and rendered."""

    base: tuple
    graph: "Graph"
    kept: set
    edges: set
    clusters: dict  # node -> the id of the cluster it is drawn in
    members: dict  # cluster id -> its nodes, by id


def compute(base_id, view):
    base = key_of_id(base_id)  # the view checked its hops when it was made
    graph = Graph(base, raw_limit=settings.LINEAGE_MAX_NODES * RAW_FACTOR)
    graph.walk(view.upstream, upstream=True)
    graph.walk(view.downstream, upstream=False)
    if view.extended:
        graph.extend()
    graph.load_sequences(shown_limit=settings.LINEAGE_MAX_NODES)
    removed = filtered_out(graph, view)
    kept = graph.levels.keys() - removed
    edges = bridge(graph.edges, kept, removed)
    if view.expand_clusters:
        clusters, members = {}, {}
    else:
        clusters, members = cluster(graph, kept, edges, view, graph.toward_base(removed))
    return Result(base, graph, kept, edges, clusters, members)


# ---- the walk --------------------------------------------------------------------------

# Each hop is one query. What filters and clusters need of the nodes it reaches comes in
# scalar subqueries: primary-key lookups per row. A join here made PostgreSQL hash whole
# tables (all runs, all versions) on a hub's frontier of 20,000 runs.
_RUN, _VERSION = Run._meta.db_table, ArtifactVersion._meta.db_table
_SEQUENCE = ArtifactCollection._meta.db_table
_PROJECT, _MEMBERSHIP = Project._meta.db_table, Membership._meta.db_table
EDGES = f"SELECT e.run_id, e.version_id, e.direction{{}} FROM {LineageEdge._meta.db_table} e WHERE "
RUN_INFO = f", (SELECT r.job_type FROM {_RUN} r WHERE r.id = e.run_id)"
# A version's sequence type and name come afterwards, once per sequence (load_sequences):
# per row they cost two more lookups and tripled the hub's widest hop.
VERSION_INFO = (
    f", (SELECT v.sequence_id FROM {_VERSION} v WHERE v.id = e.version_id)"
    f", (SELECT v.generated FROM {_VERSION} v WHERE v.id = e.version_id)"
)
TO_RUNS, TO_VERSIONS = EDGES.format(RUN_INFO), EDGES.format(VERSION_INFO)


def id_list(ids):
    """SQL for "one of these ids" as ONE parameter, whatever their number (SQLite caps
    the number of parameters of a query)."""
    if connection.vendor == "postgresql":
        return "= ANY(%s)", [list(ids)]
    return "IN (SELECT value FROM json_each(%s))", [json.dumps(list(ids))]


def query(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


class Graph:
    """The raw walk: levels of the nodes seen, what filters and clusters need to know of
    them (`info`: (job_type,) of a run, (sequence id, generated) of a version, with
    `sequences` giving each sequence's (type, name)), and the edges (source, target, kind).

    The walk also notes each node's neighbours toward the base (`toward`), which clusters
    need: exact while the walk is `regular` (a node is reached only from the hop before
    it: no cycle, no diamond, no extended lineage); otherwise they are worked out from
    the edges afterwards."""

    def __init__(self, base, raw_limit):
        self.base = base
        self.levels = {base: 0}
        self.info = {}
        self.sequences = {}
        self.attrs = {}  # what the answer shows of nodes, when fetched with the walk
        self.edges = set()
        self.toward = {}
        self.parents = set()  # nodes some other node was reached from
        self.regular = True
        self.raw_limit = raw_limit
        self.truncated = False

    def walk(self, hops, upstream):
        frontier = [self.base]
        for hop in range(1, hops + 1):
            if not frontier:
                return
            if len(self.levels) >= self.raw_limit:
                self.truncated = True
                return
            level = -hop if upstream else hop
            kind = kind_of(frontier[0])  # the graph is bipartite: one kind per hop
            frontier = self._step(kind, [key >> 1 for key in frontier], upstream, level)

    def _step(self, kind, pks, upstream, level):
        """One query: the neighbours of a frontier of one kind in one direction.

        Upstream of a version are the runs that logged it; upstream of a run, the
        versions it used. Downstream: the runs that used it; the versions it logged."""
        where, params = id_list(pks)
        if kind == "artifact":
            direction = LOGS if upstream else USES
            rows = query(
                TO_RUNS + "e.direction = %s AND e.version_id " + where, [direction, *params]
            )
        else:
            direction = USES if upstream else LOGS
            sql = TO_VERSIONS + "e.run_id " + where + " AND e.direction = %s"
            rows = query(sql, [*params, direction])
        return self._add(rows, level, "run" if kind == "artifact" else "artifact")

    def _add(self, rows, level, new_kind, levels_of_runs=None):
        """Record the edges and the new nodes of `new_kind` with their `info`; return
        them. A new node's level is `level`, or one beside its run's (extended lineage)."""
        new = []
        levels, info, edges, toward, parents = (
            self.levels,
            self.info,
            self.edges,
            self.toward,
            self.parents,
        )
        to_run = new_kind == "run"
        for row in rows:
            run, version = row[0] << 1 | 1, row[1] << 1
            uses = row[2] == USES
            known = len(edges)
            edges.add((version, run, USES) if uses else (run, version, LOGS))
            key, source = (run, version) if to_run else (version, run)
            if key not in levels:
                if levels_of_runs is not None:
                    level = levels_of_runs[run] + (-1 if uses else 1)
                levels[key] = level
                info[key] = row[3:]
                toward[key] = [source]
                new.append(key)
            elif levels[key] == level and len(edges) > known:
                toward[key].append(source)  # reached again in this hop, from another node
            else:
                self.regular = False
            parents.add(source)
        return new

    def toward_base(self, removed):
        """`toward` when the walk noted it exactly and no removed node had nodes reached
        from it (their path edges change who is nearer); otherwise None."""
        if self.regular and self.parents.isdisjoint(removed):
            return self.toward
        return None

    def load_sequences(self, shown_limit=0):
        """(type, name) of every artifact sequence met: one query for the whole walk.
        A walk of at most `shown_limit` nodes, all of which an answer may show, fetches
        what the answer shows of them instead (`attrs`), sequences included: one round
        trip fewer for the views people open most."""
        if len(self.levels) <= shown_limit:
            self.attrs = display_attributes(self.levels)
            self.sequences = {
                self.info[key][0]: (row["sequence__type"], row["sequence__name"])
                for key, row in self.attrs.items()
                if key in self.info and not key & 1
            }
            return
        ids = {row[0] for row in self.info.values() if len(row) == 2}
        if ids:
            where, params = id_list(ids)
            sql = f"SELECT id, type, name FROM {_SEQUENCE} WHERE id " + where
            self.sequences = {pk: (type_, name) for pk, type_, name in query(sql, params)}

    def type_of(self, key):
        return self.sequences[self.info[key][0]][0]

    def extend(self):
        """Extended lineage: every run's other inputs and outputs, beside the run."""
        self.regular = False  # an extended node hangs beside its run, not from the hop before
        runs = {key: level for key, level in self.levels.items() if key & 1}
        if not runs:
            return
        where, params = id_list([key >> 1 for key in runs])
        rows = query(TO_VERSIONS + "e.run_id " + where, params)
        self._add(rows, None, "artifact", levels_of_runs=runs)


def filtered_out(graph, view):
    """The nodes the view's filters remove. Thousands of nodes share a few distinct
    `info` rows (one per job type, or per sequence), so each row is judged once."""
    verdicts = {}
    removed = set()
    for key, row in graph.info.items():
        keep = verdicts.get(row)
        if keep is None:
            keep = verdicts[row] = keeps(row, view, graph.sequences)
        if not keep:
            removed.add(key)
    return removed


def keeps(info, view, sequences):
    """Whether the view's filters keep a node, from its `info` row. Generated kinds are
    recognised by type and name too, not only by the flag set when a version is logged."""
    if len(info) == 1:  # a run: (job_type,)
        return not view.job_types or info[0] in view.job_types
    sequence, flagged = info
    artifact_type, name = sequences[sequence]
    if (flagged or is_generated(artifact_type, name)) and not view.generated:
        return False
    return not view.artifact_types or artifact_type in view.artifact_types


def bridge(edges, kept, removed):
    """The edges between kept nodes, plus a "path" edge wherever kept nodes were joined
    only through nodes the view removed."""
    if not removed:
        return edges
    result = set()
    out = defaultdict(list)  # only edges leaving removed nodes can continue a path
    into = []  # (kept node, removed node it points into)
    for edge in edges:  # one pass: a hub's view has a hundred thousand edges
        source, target, _ = edge
        if source in removed:
            out[source].append(target)
        elif target in removed:
            into.append((source, target))
        else:
            result.add(edge)
    starts = defaultdict(list)  # kept node -> removed nodes it points into, onward
    for source, target in into:
        if target in out:
            starts[source].append(target)
    for start, stack in starts.items():
        seen = set()
        while stack:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            for target in out.get(node, ()):
                if target not in removed:
                    if target != start:
                        result.add((start, target, "path"))
                elif target not in seen:
                    stack.append(target)
    return result


# ---- clusters --------------------------------------------------------------------------


def cluster(graph, kept, edges, view, toward=None):
    """(node -> cluster id, cluster id -> its nodes by id), level by level outward from
    the base. `toward`: each node's neighbours nearer the base, when the walk knows them."""
    levels = graph.levels
    if toward is None:
        toward = _neighbours(edges, levels, nearer=True)
    if view.extended and any(key not in toward for key in kept if levels[key] != 0):
        # Extended nodes have no neighbour toward the base: those farther out stand in.
        away = _neighbours(edges, levels, nearer=False)
        toward = {key: toward.get(key) or away.get(key, ()) for key in kept}
    clusters, members_of = {}, {}
    extracted = {key for key in map(_node_or_none, view.extract) if key}
    by_level = defaultdict(list)
    for key in kept:
        if levels[key] != 0 and key not in extracted:
            by_level[levels[key]].append(key)
    info = graph.info
    # Versions whose neighbour toward the base is a cluster group by type, not sequence.
    by_type = {pk: "type:" + type_ for pk, (type_, _) in graph.sequences.items()}
    for level in sorted(by_level, key=lambda lv: (abs(lv), lv)):
        groups = defaultdict(list)
        for key in by_level[level]:  # the hot loop of a hub's view: kept inline
            near = toward[key]
            if len(near) == 1:  # an anchor is a node, a cluster id, or several joined
                anchor = clusters.get(near[0])
                in_cluster = anchor is not None
                if not in_cluster:
                    anchor = near[0]
            else:
                anchor = ",".join(sorted({clusters.get(n) or node_id(n) for n in near}))
                in_cluster = any(n in clusters for n in near)
            group = info[key][0]
            if in_cluster and not key & 1:
                group = by_type[group]
            groups[(key & 1, group, anchor)].append(key)
        for (kind, group, anchor), members in groups.items():
            if len(members) >= CLUSTER_MIN:
                ident = _cluster_id(level, kind, group, anchor)
                clusters.update(dict.fromkeys(members, ident))
                members_of[ident] = sorted(members)  # one kind: by key is by pk
    return clusters, members_of


def _neighbours(edges, levels, nearer):
    """node -> its neighbours nearer the base (or farther from it)."""
    found = defaultdict(list)
    for source, target, _ in edges:
        a, b = levels[source], levels[target]
        a, b = (a if a >= 0 else -a), (b if b >= 0 else -b)  # abs() is a call; this is not
        if a == b:
            continue
        if (b < a) == nearer:
            found[source].append(target)
        else:
            found[target].append(source)
    return found


def _node_or_none(text):
    try:
        return key_of_id(text)
    except InvalidName:
        return None


def _cluster_id(level, kind, group, anchor):
    kind = "run" if kind else "artifact"
    text = f"{level}|{kind}|{group}|{anchor if isinstance(anchor, str) else node_id(anchor)}"
    return "cluster:" + hashlib.sha1(text.encode()).hexdigest()[:12]


# ---- the answer ------------------------------------------------------------------------


def bound(result, limit):
    """Collapse clusters, then keep at most `limit` nodes, nearest the base first."""
    levels, clusters = result.graph.levels, result.clusters
    level_of = {key: levels[key] for key in result.kept - clusters.keys()}
    level_of.update((ident, levels[keys[0]]) for ident, keys in result.members.items())
    order = sorted(level_of, key=lambda i: (abs(level_of[i]), level_of[i], str(i)))
    shown = set(order[:limit]) | {result.base}
    collapsed = set()
    for source, target, kind in result.edges:
        s, t = clusters.get(source, source), clusters.get(target, target)
        if s != t and s in shown and t in shown:
            collapsed.add((s, t, kind))
    return shown, collapsed, len(order) > limit


def render(result, shown, edges, truncated):
    levels = result.graph.levels
    members = {ident: keys for ident, keys in result.members.items() if ident in shown}
    listed = [key for keys in members.values() for key in keys[:MEMBERS_LISTED]]
    singles = [key for key in shown if not isinstance(key, str)]
    attrs = result.graph.attrs
    missing = [key for key in singles + listed if key not in attrs]
    if missing:
        attrs = {**attrs, **display_attributes(missing)}
    if result.base not in attrs:
        raise NotFound(f"No {kind_of(result.base)} with id {pk_of(result.base)}.")
    nodes = [
        {"data": node_data(key, attrs[key], levels[key], key == result.base)} for key in singles
    ]
    for ident, keys in members.items():
        nodes.append({"data": cluster_data(ident, keys, result.graph, attrs)})
    nodes.sort(key=lambda n: (n["data"]["level"], n["data"]["id"]))
    # A "path" edge is dropped when a real edge joins the same pair after clustering.
    names = {s: s if isinstance(s, str) else node_id(s) for s in shown}
    real = {(s, t) for s, t, kind in edges if kind != "path"}
    edge_list = [
        {
            "data": {
                "id": f"{names[s]}->{names[t]}:{kind}",
                "source": names[s],
                "target": names[t],
                "kind": kind,
            }
        }
        for s, t, kind in edges
        if kind != "path" or (s, t) not in real
    ]
    edge_list.sort(key=lambda e: e["data"]["id"])
    return {
        "elements": {"nodes": nodes, "edges": edge_list},
        "base": node_id(result.base),
        "truncated": truncated,
    }


# What the answer shows of runs and versions, in plain SQL: building the same two ORM
# queries took 90% of a small view's time (measured: 7 ms of 8).
RUN_ATTRS = (
    f"SELECT r.id, r.run_id, r.name, r.job_type, r.state, p.entity, p.name FROM {_RUN} r"
    f" JOIN {_PROJECT} p ON p.id = r.project_id WHERE r.id "
)
# The version number as a subquery, not a fourth join: PostgreSQL planned the join for
# 1.2 ms, longer than the whole query then ran.
VERSION_ATTRS = (
    f'SELECT v.id, (SELECT m."index" FROM {_MEMBERSHIP} m'
    f" WHERE m.version_id = v.id AND m.collection_id = v.sequence_id),"
    f" v.generated, c.name, c.type, p.entity, p.name FROM {_VERSION} v"
    f" JOIN {_SEQUENCE} c ON c.id = v.sequence_id JOIN {_PROJECT} p ON p.id = c.project_id"
    f" WHERE v.id "
)
RUN_FIELDS = "pk run_id name job_type state project__entity project__name".split()
VERSION_FIELDS = (
    "pk version_index generated sequence__name sequence__type"
    " sequence__project__entity sequence__project__name"
).split()


def display_attributes(keys):
    """One query per kind for what the answer shows of `keys`: {key: {field: value}}."""
    attrs = {}
    for sql, fields, pks, bit in (
        (RUN_ATTRS, RUN_FIELDS, [key >> 1 for key in keys if key & 1], 1),
        (VERSION_ATTRS, VERSION_FIELDS, [key >> 1 for key in keys if not key & 1], 0),
    ):
        if pks:
            where, params = id_list(pks)
            for row in query(sql + where, params):
                attrs[row[0] << 1 | bit] = dict(zip(fields, row, strict=True))
    return attrs


def _pk_subquery(pks):
    where, params = id_list(pks)
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::bigint[])", params)
    return RawSQL("SELECT value FROM json_each(%s)", params)


def node_data(key, row, level, is_base):
    if is_run(key):
        entity, project = row["project__entity"], row["project__name"]
        return {
            "id": node_id(key),
            "kind": "run",
            "label": row["name"] or row["run_id"],
            "level": level,
            "base": is_base,
            "runId": row["run_id"],
            "jobType": row["job_type"],
            "state": row["state"],
            "project": f"{entity}/{project}",
            "url": f"/{entity}/{project}/runs/{row['run_id']}/",
        }
    entity, project = row["sequence__project__entity"], row["sequence__project__name"]
    name, version = row["sequence__name"], f"v{row['version_index']}"
    return {
        "id": node_id(key),
        "kind": "artifact",
        "label": f"{name}:{version}",
        "level": level,
        "base": is_base,
        "type": row["sequence__type"],
        "name": name,
        "version": version,
        "generated": bool(row["generated"]),  # SQLite answers 0 or 1
        "project": f"{entity}/{project}",
        "url": f"/{entity}/{project}/artifacts/{row['sequence__type']}/{name}/{version}/",
    }


def cluster_data(ident, keys, graph, attrs):
    levels, info = graph.levels, graph.info
    count = len(keys)
    data = {
        "id": ident,
        "kind": "cluster",
        "clusterKind": kind_of(keys[0]),
        "count": count,
        "level": levels[keys[0]],
        "base": False,
        "members": [
            {"id": node_id(k), "label": label_of(k, attrs[k])} for k in keys[:MEMBERS_LISTED]
        ],
    }
    if is_run(keys[0]):
        data["jobType"] = info[keys[0]][0]
        data["label"] = f"{count} runs"
    else:
        data["type"] = graph.type_of(keys[0])
        one_sequence = len({info[k][0] for k in keys}) == 1
        name = attrs[keys[0]]["sequence__name"]
        data["label"] = (
            f"{count} versions of {name}" if one_sequence else f"{count} {data['type']} versions"
        )
    return data


def label_of(key, row):
    if is_run(key):
        return row["name"] or row["run_id"]
    return f"{row['sequence__name']}:v{row['version_index']}"


def filter_choices():
    """The artifact types and run job types present in the data, for the Custom form."""
    types = ArtifactCollection.objects.filter(kind=ArtifactCollection.Kind.SEQUENCE)
    types = types.order_by("type").values_list("type", flat=True).distinct()
    jobs = Run.objects.exclude(job_type="").order_by("job_type").values_list("job_type", flat=True)
    return list(types), list(jobs.distinct())


def impact(version_pk, registries=None):
    """What depends on a version: downstream runs, model versions and registry
    collections (of `registries` when given: those the viewer may see), within MAX_HOPS
    hops. Every artifact preview asks, so the walk stops at a few times the node bound
    and says `bounded` ("at least") past it."""
    base = key_of("artifact", version_pk)
    graph = Graph(base, raw_limit=settings.LINEAGE_MAX_NODES * 5)
    graph.walk(MAX_HOPS, upstream=False)
    graph.load_sequences()
    versions = [key for key in graph.levels if not key & 1 and key != base]
    linked = Membership.objects.filter(
        version_id__in=_pk_subquery([version_pk, *map(pk_of, versions)]),
        collection__kind="portfolio",
    )
    if registries is not None:
        linked = linked.filter(collection__registry__in=registries)
    return {
        "runs": sum(1 for key in graph.levels if key & 1),
        "models": sum(1 for key in versions if graph.type_of(key) == "model"),
        "collections": linked.values("collection").distinct().count(),
        "bounded": graph.truncated,
    }
