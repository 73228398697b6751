"""The lineage engine: one view of the graph around a base node, as plain functions.

`lineage_view(node_id, view)` answers with Cytoscape.js elements, by these rules
(README: "The Lineage tab", "The lineage graph, by API"). `compute()` is the pipeline:
walk, extend, filter, bridge, cluster; then `bound()` and `render()`. Its SQL is in
sql.py, its node keys in keys.py; a preview's impact counts (impact.py) reuse its walk.

- Hops: one hop is one edge. Where this process holds the edges in memory and they are
  true (index.py: a large graph), a hop is one gather from arrays there, with no query;
  otherwise the walk goes hop by hop with ONE query per hop and
  direction for the whole frontier (the graph is bipartite, so a frontier holds one kind
  of node; the frontier goes in as a single array parameter, however large). Each hop
  query also brings what filters and clusters need of the new nodes (job type; sequence,
  type, generated), and one query per kind then fetches what the answer shows, for the
  shown nodes only (for all nodes of a walk no larger than the node bound, where that
  query also brings the sequences' types and names). The number of queries grows with
  hops, never with nodes. On PostgreSQL, where a small view's time is its round trips,
  hop h upstream and hop h downstream go in one round trip while both frontiers are
  narrow (the downstream frontier guessed, then checked: `Graph._fetch_both`), and the
  two kinds' display queries in one. A node
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
  MEMBERS_LISTED members; `cluster_members` searches all of them without computing the
  view again: from the members the drawn view kept (`_keep_members`, Django's cache, who
  may see each asked again every time), or for a version's first-hop runs from the
  cluster's own definition (`_first_hop_runs`).
- Access: a node the user may not see is a locked placeholder (access.py): kept by
  every filter, clustered only with other placeholders, shown with its level and edges
  and nothing else; a base node they may not see is not found.
- Bound: at most `settings.LINEAGE_MAX_NODES` nodes are returned, nearest the base first,
  and the walk itself stops growing after RAW_FACTOR times that many; either sets
  `truncated`.
- Two ways of working, one answer: a walk on the index with a wide hop (GATHERED_WIDE
  rows or more) keeps its nodes as arrays, and the stages from access to the bound run on
  them (frame.py), unless the view grows markers or shows extended lineage; everything
  else runs on the dicts below. The rules on one node or group are rules.py's, shared.
"""

import functools
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import repeat
from urllib.parse import quote

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db.models import Value
from django.db.models.functions import Coalesce, NullIf
from django.urls import reverse

from registry.errors import InvalidName, NotFound

from . import access, index, rules, sql
from .frame import Frame
from .keys import is_run, key_of_id, kind_of, node_id, pk_of
from .rules import CLUSTER_MIN, keeps
from .sql import LOGS, USES
from .view import View

MEMBERS_LISTED = 50
MEMBERS_KEPT = 600  # seconds a drawn view's clusters stay searchable without computing it
RAW_FACTOR = 50  # how many raw nodes the walk may visit per node it may return
GATHERED_WIDE = 200  # rows a hop on the index needs to be recorded column by column


def lineage_view(base_id, view=None, user=None):
    """The view around `base_id` as {"elements": {...}, "base": id, "truncated": bool,
    "markers": {...}}, as `user` may see it (None: everything, for the engine's trusted
    callers)."""
    view = view or View()
    result, shown, edges, cut, marks = grown(base_id, view, user)
    _keep_members(result, view, user)
    answer = render(result, shown, edges, result.graph.truncated or cut)
    answer["markers"] = marker_elements(result, marks)
    return answer


def cluster_members(base_id, view, cluster_id, query="", limit=None, user=None):
    """(matching members [{id, label}], how many match) of one cluster of a view;
    `query` narrows them by label, case-insensitively. A member the user may not see is a
    placeholder."""
    needle = query.strip().lower()
    found, hidden = _members(key_of_id(base_id), view, cluster_id, user)
    matches = [(key, label) for key, label in found if needle in label.lower()]
    listed = matches[: limit or MEMBERS_LISTED]  # ids are made for the listed ones only
    return [
        {"id": access.locked_id(key) if key in hidden else node_id(key), "label": label}
        for key, label in listed
    ], len(matches)


def _members(base, view, cluster_id, user):
    """((key, label) of a cluster's members, the keys shown as placeholders). The search
    box asks on every keystroke, so not by computing the view again where that can be
    helped: from the members its view drew (kept by lineage_view), else for a hub's
    first-hop runs from their definition, else computed (and kept). Who may see each
    member is asked each time (the labels are kept): a member the user may no longer
    see is a placeholder."""
    kept_key = _members_key(base, view, user)
    kept = cache.get(kept_key)
    if kept is None or cluster_id not in kept:
        found = _first_hop_runs(base, view, cluster_id, user)
        if found is not None:
            return found, ()
        kept = _keep_members(grown(node_id(base), view, user, marked=False)[0], view, user)
    if cluster_id not in kept:
        raise NotFound("That cluster is not in this view any more.")
    keys, locked = kept[cluster_id]
    hidden = access.hidden_keys(user, [base] if locked else [base, *keys])
    if base in hidden:  # access changed since the view was drawn
        raise NotFound(f"No {kind_of(base)} with id {pk_of(base)}.")
    if locked:  # clusters never mix placeholders with other nodes
        return [(key, access.LOCKED_LABEL) for key in keys], set(keys)
    labels = _labels(kept_key + cluster_id, keys)
    locked_label = access.LOCKED_LABEL
    return [
        (key, locked_label if key in hidden else labels.get(key, locked_label)) for key in keys
    ], hidden


def _labels(cache_key, keys):
    """{key: label} of a kept cluster's members, read once and kept with it (whoever
    may see them: each search asks hidden_keys)."""
    labels = cache.get(cache_key)
    if labels is None:
        attrs = sql.display_attributes(keys)
        labels = {key: label_of(key, row) for key, row in attrs.items()}
        cache.set(cache_key, labels, MEMBERS_KEPT)
    return labels


def _keep_members(result, view, user):
    """Keep a view's clusters (their keys; whether placeholders) for MEMBERS_KEPT seconds,
    for their search boxes. Per process: another worker computes the view once itself."""
    kept = {ident: (keys, keys[0] in result.hidden) for ident, keys in result.members.items()}
    if kept:
        cache.set(_members_key(result.base, view, user), kept, MEMBERS_KEPT)
    return kept


def _members_key(base, view, user):
    who = "trusted" if user is None else user.pk
    return "lineage-members:" + access.opaque(f"{who}|{base}|{view.to_query()}")


def _first_hop_runs(base, view, cluster_id, user):
    """The members (key, label) of a cluster of runs one hop from a version base (a hub
    dataset's consumers), from the cluster's own definition: the base's runs in one
    direction with one job type, that the user sees, not walked upstream first (a cycle)
    and not extracted. None when `cluster_id` is no such cluster: compute() answers.
    The search box asks on every keystroke; a hub's view costs hundreds of ms."""
    if is_run(base) or view.extended or view.expand_clusters:
        return None  # extended lineage gives first-hop runs other neighbours
    if base in access.hidden_keys(user, [base]):
        raise NotFound(f"No {kind_of(base)} with id {pk_of(base)}.")
    for level, direction, hops in ((-1, LOGS, view.upstream), (1, USES, view.downstream)):
        if not hops:
            continue
        runs = access.visible_runs(user).filter(pk__in=sql.runs_of_version(pk_of(base), direction))
        label = Coalesce(NullIf("name", Value("")), "run_id")  # label_of's, in SQL
        rows = sql.fetch_all(runs.order_by("pk").values_list("job_type", "pk", label))
        ours = [
            t for t in {row[0] for row in rows} if rules.cluster_id(level, 1, t, base) == cluster_id
        ]
        if not ours or (view.job_types and ours[0] not in view.job_types):
            continue
        skipped = {_node_or_none(text) for text in view.extract}
        if level == 1 and view.upstream:  # a run reached upstream keeps its upstream level
            graph = Graph(base, raw_limit=settings.LINEAGE_MAX_NODES * RAW_FACTOR)
            graph.walk(view.upstream, upstream=True)
            if len(graph.levels) >= graph.raw_limit:
                return None  # the downstream walk would not start
            skipped |= graph.levels.keys()
        job_type = ours[0]
        found = [
            (pk << 1 | 1, label)
            for type_, pk, label in rows
            if type_ == job_type and pk << 1 | 1 not in skipped
        ]
        return found if len(found) >= CLUSTER_MIN else None
    return None


@dataclass
class Result:
    """A view before it is cut to the bound and rendered. Nodes are keys (lineage.keys)."""

    base: int  # the base node's key
    graph: "Graph"
    kept: set  # the keys the filters kept
    edges: set  # (source key, target key, kind) between kept nodes, "path" ones included
    clusters: dict  # key -> the id of the cluster it is drawn in
    members: dict  # cluster id -> its keys, sorted (one kind: by pk)
    hidden: set = frozenset()  # the keys shown as locked placeholders (access.py)
    grows: tuple = ()  # (frontier keys, upstream) of the "+N more" markers grown (grown())
    grown: dict = field(default_factory=dict)  # key a grow added -> upstream (its direction)
    opened: dict = field(default_factory=dict)  # level -> times its bound marker was grown


def compute(base_id, view, user=None, grows=()):
    """`grows`: (frontier keys, upstream) of markers grown, one more hop from each."""
    base = key_of_id(base_id)  # the view checked its hops when it was made
    graph = Graph(base, raw_limit=settings.LINEAGE_MAX_NODES * RAW_FACTOR)
    graph.walk_both(view.upstream, view.downstream)
    grown = {key: upstream for keys, upstream in grows for key in grow_hop(graph, keys, upstream)}
    if view.extended:
        graph.extend()
    graph.load_sequences(shown_limit=settings.LINEAGE_MAX_NODES)
    if graph.wide and not (grows or view.extended or view.grow):
        return _on_arrays(graph, view, user)
    hidden = _hidden(user, graph)
    removed = filtered_out(graph, view) - hidden  # placeholders pass every filter
    access.mask(graph, hidden)  # from here on, clusters know them only as placeholders
    kept = graph.levels.keys() - removed
    edges = bridge(graph.edges, kept, removed)
    if view.expand_clusters:
        clusters, members = {}, {}
    else:
        clusters, members = cluster(graph, kept, edges, view, graph.toward_base(removed), hidden)
    return Result(base, graph, kept, edges, clusters, members, hidden, tuple(grows), grown)


def _on_arrays(graph, view, user):
    """compute() on arrays (frame.py) for a walk on the index with a wide hop: the same
    stages, the Frame standing in for the Graph; not for what grows or extends a view."""
    frame = Frame(graph)
    hidden = _hidden(user, frame)
    removed = frame.removed(view, hidden)  # placeholders pass every filter
    frame.mask(hidden)
    frame.bridge(removed)
    if view.expand_clusters:
        members = {}
    else:
        members = frame.cluster(access.extracted(view.extract, hidden, _node_or_none))
    return Result(graph.base, frame, None, None, None, members, hidden)


def _hidden(user, graph):
    """The walk's placeholders (access.hidden_in); a base the user may not see is not
    found, with the same answer as a wrong id."""
    hidden = access.hidden_in(user, graph)
    if graph.base in hidden:
        raise NotFound(f"No {kind_of(graph.base)} with id {pk_of(graph.base)}.")
    return hidden


# ---- the walk --------------------------------------------------------------------------


def _recorded(name):
    """An attribute of the walk kept in dicts: hops held as arrays (Graph.pending) are
    written into them on first use, so every reader sees the whole walk."""
    attr = "_" + name

    def get(graph):
        if graph.pending:
            graph._record_pending()
        return getattr(graph, attr)

    def set_(graph, value):
        setattr(graph, attr, value)

    return property(get, set_)


@dataclass
class Gathered:
    """One wide hop on the index, as arrays: its edges (sources, targets, all of `way`),
    its rows' near ends, whether it met a node met before; the nodes it reached first,
    with their info columns and the near end of each one's first row; `several`: the
    fresh rows' (far, near) keys where a node was reached from several (`several_keys`)."""

    way: str
    level: int
    to_run: bool
    sources: np.ndarray
    targets: np.ndarray
    near: np.ndarray
    met_before: bool
    keys: np.ndarray
    columns: list
    first_near: np.ndarray
    several: tuple = None
    several_keys: np.ndarray = None


def _gathered(near, far, info, way, level, to_run, seen):
    """A hop gathered from the index (`near`, `far`: each edge's ends' pks, the far ones
    runs if `to_run`; `info` the far nodes' columns) as a Gathered, marking the nodes it
    reached in `seen` (Graph.seen). As in walk(), no node had this level before."""
    near_bit, far_bit = (0, 1) if to_run else (1, 0)
    near_keys, far_keys = near << 1 | near_bit, far << 1 | far_bit
    runs, versions = (far_keys, near_keys) if to_run else (near_keys, far_keys)
    sources, targets = (versions, runs) if way == USES else (runs, versions)
    known = seen[far_bit][far]
    fresh = np.flatnonzero(~known)
    _, first, counts = np.unique(far[fresh], return_index=True, return_counts=True)
    rows = fresh[np.sort(first)]  # each new node's first row, in the rows' order
    seen[far_bit][far[rows]] = True
    hop = Gathered(
        way,
        level,
        to_run,
        sources,
        targets,
        near_keys,
        bool(known.any()),
        far_keys[rows],
        [column[rows] for column in info],
        near_keys[rows],
    )
    if (counts > 1).any():
        hop.several = (far_keys[fresh], near_keys[fresh])
        hop.several_keys = far_keys[fresh][first[counts > 1]]
    return hop


class Graph:
    """The raw walk, one query per hop (lineage.sql) or one gather (lineage.index): the
    level of each node seen, what filters, clusters and access need to know of it
    (`info`: (job_type, project pk) of a run, (sequence pk, generated, deleted) of a
    version, with `sequences` giving each sequence's (type, name) and `projects` its
    project), and the edges (source, target, kind). Nodes are keys (lineage.keys).

    The walk also notes each node's neighbours toward the base (`toward`), which clusters
    need: exact while the walk is `regular` (a node is reached only from the hop before
    it: no cycle, no diamond, no extended lineage); otherwise they are worked out from
    the edges afterwards."""

    levels = _recorded("levels")
    info = _recorded("info")
    edges = _recorded("edges")
    toward = _recorded("toward")
    parents = _recorded("parents")
    regular = _recorded("regular")
    sequence_pks = _recorded("sequence_pks")

    def __init__(self, base, raw_limit):
        self.pending = []  # wide hops on the index, as arrays (Gathered), not yet in dicts
        self.pending_nodes = 0
        self.wide = False  # a hop was wide: the view may be worked on arrays (frame.py)
        self.levels = {base: 0}
        self.base = base
        self.info = {}
        self.sequences = {}
        self.attrs = {}  # what the answer shows of nodes, when fetched with the walk
        self.edges = set()
        self.toward = {}
        self.parents = set()  # nodes some other node was reached from
        self.regular = True
        self.raw_limit = raw_limit
        self.truncated = False
        self.sequence_pks = set()  # of the versions walked, for load_sequences
        self.projects = {}  # sequence pk -> its project's pk (load_sequences)
        self.index = index.current()  # the edges in memory, where they are true (index.py)
        self.seen = None  # with the index: masks of the nodes met (_walk_index)

    def size(self):
        """How many nodes the walk met."""
        return len(self._levels) + self.pending_nodes

    def rows(self, pks, upstream, from_versions):
        """One hop's rows (sql.hop), from the index where there is one."""
        if self.index is not None:
            return self.index.hop(pks, upstream, from_versions)
        return sql.query(*sql.hop(pks, upstream, from_versions))

    def walk(self, hops, upstream, fetched=None):
        """Walk `hops` hops one way. `fetched`: (upstream, hop) -> (frontier pks, rows) of
        hops asked before (_fetch_both), used where they cover the hop's frontier."""
        if self.index is not None:
            return self._walk_index(hops, upstream)
        frontier = [self.base]
        for hop in range(1, hops + 1):
            if not frontier:
                return
            if self.size() >= self.raw_limit:
                self.truncated = True
                return
            level = -hop if upstream else hop
            pks = [key >> 1 for key in frontier]
            to_run = not is_run(frontier[0])  # the graph is bipartite: one kind per hop
            asked, rows = (fetched or {}).get((upstream, hop), ((), None))
            if rows is None or not asked.issuperset(pks):
                rows = self.rows(pks, upstream, from_versions=to_run)
            elif len(asked) > len(pks):  # asked for more: the rows of this frontier only
                wanted, source = set(pks), 1 if to_run else 0
                rows = [row for row in rows if row[source] in wanted]
            frontier = self._add(rows, level, to_run)

    def _walk_index(self, hops, upstream):
        """walk() on the index (index.py): each hop one gather, recorded column by column."""
        frontier, to_run = np.array([self.base >> 1]), not is_run(self.base)
        if self.seen is None:  # the masks of the nodes met, as `levels` has them
            self.seen = self.index.unseen()
            for key in self.levels:
                self.seen[key & 1][key >> 1 : (key >> 1) + 1] = True  # past the end: no edges
        for hop in range(1, hops + 1):
            if not len(frontier):
                return
            if self.size() >= self.raw_limit:
                self.truncated = True
                return
            way, level = sql.direction(upstream, from_versions=to_run), -hop if upstream else hop
            near, far, info = self.index.gather(frontier, way, from_versions=to_run)
            if self.wide or len(far) >= GATHERED_WIDE:  # from the first wide hop on
                self.wide = True
                hop = _gathered(near, far, info, way, level, to_run, self.seen)
                self.pending.append(hop)
                self.pending_nodes += len(hop.keys)
                frontier = hop.keys >> 1
            else:  # a few rows: numpy's cost a call would outweigh the loop's
                rows = index.rows(near, far, info, way, from_versions=to_run)
                new = self._add(rows, level, to_run)
                frontier = np.array([key >> 1 for key in new], dtype=np.int64)
                self.seen[int(to_run)][frontier] = True  # runs' mask when it reached runs
            to_run = not to_run

    def _record_pending(self):
        """Write the hops held as arrays into the dicts, as _add() would have."""
        pending, self.pending, self.pending_nodes = self.pending, [], 0
        for hop in pending:
            self._edges.update(zip(hop.sources.tolist(), hop.targets.tolist(), repeat(hop.way)))
            self._parents.update(hop.near.tolist())
            if hop.met_before:
                self._regular = False
            keys = hop.keys.tolist()
            self._levels.update(dict.fromkeys(keys, hop.level))
            columns = [column.tolist() for column in hop.columns]
            self._info.update(zip(keys, zip(*columns, strict=True), strict=True))
            self._toward.update(zip(keys, zip(hop.first_near.tolist()), strict=True))
            if not hop.to_run:
                self._sequence_pks.update(columns[0])
            if hop.several is not None:  # reached from several nodes in this hop (a diamond)
                fresh, near = hop.several
                self._toward.update(_sources(fresh, near, set(hop.several_keys.tolist())))

    def versions_sequences(self):
        """The sequence pks of the versions walked, without writing pending hops out."""
        found = set(self._sequence_pks)
        for hop in self.pending:
            if not hop.to_run:
                found.update(np.unique(hop.columns[0]).tolist())
        return found

    def walk_both(self, up_hops, down_hops):
        """walk(up_hops, upstream=True), then downstream: the same walks, with hops of
        both directions asked together where the database takes that (lineage.sql)."""
        fetched = self._fetch_both(up_hops, down_hops) if self.index is None else {}
        self.walk(up_hops, upstream=True, fetched=fetched)
        self.walk(down_hops, upstream=False, fetched=fetched)
        if self.index is None:
            index.wanted(len(self.levels))  # a wide walk by SQL: worth building one

    def _fetch_both(self, up_hops, down_hops):
        """Hop h of each direction in one round trip, while both frontiers are narrow. The
        upstream frontiers are walk()'s own; the downstream ones are guessed before the
        upstream walk is done (a cycle can join them), so walk() checks that what was
        asked covers its true frontier and asks again where it does not."""
        fetched = {}
        if not sql.asks_together():
            return fetched
        frontiers, seen = {True: [self.base], False: [self.base]}, {self.base}
        seen_down = set()
        for hop in range(1, min(up_hops, down_hops) + 1):
            asks = [(upstream, frontier) for upstream, frontier in frontiers.items() if frontier]
            if len(asks) < 2 or any(len(f) > sql.PG_WIDE for _, f in asks):
                break  # a wide hop takes longer than a round trip: asked alone, as it comes
            queries = [
                sql.hop([key >> 1 for key in f], upstream, from_versions=not is_run(f[0]))
                for upstream, f in asks
            ]
            for (upstream, frontier), rows in zip(asks, sql.query_together(queries), strict=True):
                fetched[upstream, hop] = ({key >> 1 for key in frontier}, rows)
                to_run = not is_run(frontier[0])
                reached = {row[0] << 1 | 1 if to_run else row[1] << 1 for row in rows}
                if upstream:
                    frontiers[upstream] = list(reached - seen)
                    seen |= reached
                else:
                    frontiers[upstream] = list(reached - seen - seen_down)
                    seen_down |= reached
        return fetched

    def _add(self, rows, level, to_run, levels_of_runs=None):
        """Record a hop's rows (lineage.sql): the edges, and the new nodes (runs if
        `to_run`, else versions) with their `info`; return the new nodes' keys. A new
        node's level is `level`, or one beside its run's (extended lineage)."""
        new = []
        levels, info, edges, toward, parents = (
            self.levels,
            self.info,
            self.edges,
            self.toward,
            self.parents,
        )
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
                if not to_run:
                    self.sequence_pks.add(row[3])
                toward[key] = (source,)  # a tuple of ints: see toward_base
                new.append(key)
            elif levels[key] == level and len(edges) > known:
                toward[key] += (source,)  # reached again in this hop, from another node
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
        if self.size() <= shown_limit:
            self.attrs = sql.display_attributes(self.levels)
            for key, row in self.attrs.items():
                if key in self.info and not is_run(key):
                    pk = self.info[key][0]
                    self.sequences[pk] = (row["sequence__type"], row["sequence__name"])
                    self.projects[pk] = row["sequence__project_id"]
            return
        wanted = self.versions_sequences()
        if wanted:
            found = self.index.sequence_rows(wanted) if self.index else sql.sequences(wanted)
            for pk, (type_, name, project) in found.items():
                self.sequences[pk] = (type_, name)
                self.projects[pk] = project

    def type_of(self, key):
        return self.sequences[self.info[key][0]][0]

    # What access.hidden_in, render and the markers ask of a walk (frame.Frame answers too).

    def keys(self):
        return self.levels.keys()

    def info_rows(self):
        return set(self.info.values())

    def keys_outside(self, rows):
        """The keys of the nodes, base aside, whose info row is not among `rows`."""
        info, base = self.info, self.base
        return [key for key in self.levels if key != base and info.get(key) not in rows]

    def one_sequence(self, ident, keys):
        """Whether the versions `keys` (of the cluster `ident`) are of one sequence."""
        info = self.info
        return len({info[k][0] for k in keys}) == 1

    def pks_beside(self, runs, side):
        """The pks of the nodes of the other kind than `runs` on `side` (-1, 1) or the base."""
        return [key >> 1 for key, lv in self.levels.items() if key & 1 != runs and lv * side >= 0]

    def met(self, keys):
        """Those of `keys` the walk met."""
        levels = self.levels
        return {key for key in keys if key in levels}

    def extend(self):
        """Extended lineage: every run's other inputs and outputs, beside the run."""
        self.regular = False  # an extended node hangs beside its run, not from the hop before
        runs = {key: level for key, level in self.levels.items() if is_run(key)}
        if not runs:
            return
        rows = self.rows([pk_of(key) for key in runs], None, from_versions=False)
        self._add(rows, None, to_run=False, levels_of_runs=runs)


def _sources(keys, sources, wanted):
    """{key: the sources of its rows, in their order} of the `wanted` keys, from the
    arrays of a hop's rows (key, source)."""
    found = defaultdict(tuple)
    for key, source in zip(keys.tolist(), sources.tolist(), strict=True):
        if key in wanted:
            found[key] += (source,)
    return found


def filtered_out(graph, view):
    """The nodes the view's filters remove. Thousands of nodes share a few distinct
    `info` rows (one per job type, or per sequence), so each row is judged once."""
    verdicts = ({}, {})  # of versions' rows, of runs' rows
    removed = set()
    for key, row in graph.info.items():
        seen = verdicts[key & 1]  # is_run(key), inline: once per node of a hub's view
        keep = seen.get(row)
        if keep is None:
            keep = seen[row] = keeps(key, row, view, graph.sequences)
        if not keep:
            removed.add(key)
    return removed


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


def cluster(graph, kept, edges, view, toward=None, hidden=frozenset()):
    """(node -> cluster id, cluster id -> its nodes by id), level by level outward from
    the base. `toward`: each node's neighbours nearer the base, when the walk knows them.
    `hidden` nodes (placeholders) are extracted by their locked ids only."""
    levels = graph.levels
    if toward is None:
        toward = _neighbours(edges, levels, nearer=True)
    if view.extended and any(key not in toward for key in kept if levels[key] != 0):
        # Extended nodes have no neighbour toward the base: those farther out stand in.
        away = _neighbours(edges, levels, nearer=False)
        toward = {key: toward.get(key) or away.get(key, ()) for key in kept}
    clusters, members_of = {}, {}
    extracted = access.extracted(view.extract, hidden, _node_or_none)
    by_level = defaultdict(list)
    for key in kept:
        if levels[key] != 0 and key not in extracted:
            by_level[levels[key]].append(key)
    info = graph.info
    # Versions whose neighbour toward the base is a cluster group by type, not sequence.
    by_type = {pk: "type:" + type_ for pk, (type_, _) in graph.sequences.items()}
    by_type[access.LOCKED_GROUP] = access.LOCKED_GROUP
    for level in sorted(by_level, key=lambda lv: (abs(lv), lv)):
        groups = defaultdict(list)
        for key in by_level[level]:  # the hot loop of a hub's view: is_run(key) inline
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
                ident = rules.cluster_id(level, kind, group, anchor)
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


# ---- the answer ------------------------------------------------------------------------


def bound(result, limit):
    """Collapse clusters, then keep at most `limit` nodes, nearest the base first (and
    what markers grew, bound_grown())."""
    if isinstance(result.graph, Frame):
        return result.graph.bound(limit)
    clusters = result.clusters
    level_of = element_levels(result)
    order = sorted(level_of, key=lambda i: (abs(level_of[i]), level_of[i], str(i)))
    if result.grows or result.opened:
        shown = bound_grown(result, order, level_of, limit) | {result.base}
    else:
        shown = set(order[:limit]) | {result.base}
    collapsed = set()
    for source, target, kind in result.edges:
        s, t = clusters.get(source, source), clusters.get(target, target)
        if s != t and s in shown and t in shown:
            collapsed.add((s, t, kind))
    return shown, collapsed, len(shown) < len(order)


def element_levels(result):
    """{element: level} of what the answer may draw: nodes out of clusters, clusters."""
    levels = result.graph.levels
    level_of = {key: levels[key] for key in result.kept - result.clusters.keys()}
    level_of.update((ident, levels[keys[0]]) for ident, keys in result.members.items())
    return level_of


def _names(result, elements):
    """Each element's id in the answer: a cluster's own, a placeholder's locked id, else
    its node id."""
    hidden = result.hidden
    return {
        e: e if isinstance(e, str) else access.locked_id(e) if e in hidden else node_id(e)
        for e in elements
    }


def render(result, shown, edges, truncated):
    levels = result.graph.levels
    members = {ident: keys for ident, keys in result.members.items() if ident in shown}
    listed = [key for keys in members.values() for key in keys[:MEMBERS_LISTED]]
    singles = [key for key in shown if not isinstance(key, str)]
    attrs, hidden = result.graph.attrs, result.hidden
    missing = [key for key in singles + listed if key not in attrs and key not in hidden]
    if missing:
        attrs = {**attrs, **sql.display_attributes(missing)}
    if result.base not in attrs:
        raise NotFound(f"No {kind_of(result.base)} with id {pk_of(result.base)}.")
    nodes = [
        {"data": access.placeholder(key, levels[key])}
        if key in hidden
        else {"data": node_data(key, attrs[key], levels[key], key == result.base)}
        for key in singles
    ]
    for ident, keys in members.items():
        if keys[0] in hidden:
            nodes.append(
                {"data": access.placeholder_cluster(ident, keys, levels[keys[0]], MEMBERS_LISTED)}
            )
        else:
            nodes.append({"data": cluster_data(ident, keys, result.graph, attrs)})
    nodes.sort(key=lambda n: (n["data"]["level"], n["data"]["id"]))
    # A "path" edge is dropped when a real edge joins the same pair after clustering.
    names = _names(result, shown)
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
            "url": page_url("registry-run", entity, project, row["run_id"]),
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
        "url": page_url("registry-version", entity, project, row["sequence__type"], name, version),
    }


def page_url(name, *args):
    """reverse(name, args=args), from the URL pattern reversed once: reverse() per node
    takes 11 µs, 22 ms for a view of 2,000 nodes."""
    return _url_format(name, len(args)).format(*(quote(str(arg), safe=SAFE) for arg in args))


SAFE = "!$&'()*+,;=~:@"  # what reverse() leaves unquoted in a path segment


@functools.cache
def _url_format(name, count):
    marks = [f"PAGEURLARG{i}X" for i in range(count)]
    url = reverse(name, args=marks).replace("{", "{{").replace("}", "}}")
    for i, mark in enumerate(marks):
        url = url.replace(mark, f"{{{i}}}")
    return url


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
        one_sequence = graph.one_sequence(ident, keys)
        name = attrs[keys[0]]["sequence__name"]
        data["label"] = (
            f"{count} versions of {name}" if one_sequence else f"{count} {data['type']} versions"
        )
    return data


def label_of(key, row):
    if is_run(key):
        return row["name"] or row["run_id"]
    return f"{row['sequence__name']}:v{row['version_index']}"


# ---- views that grow in place ----------------------------------------------------------
#
# Where the hops or the node bound cut a view, the answer's `markers` say so: a "+N more"
# node beside the cut, joined by an edge to its anchor. A hop marker hangs from a node (or
# cluster) on the outermost walked level; N counts the nodes a view with one more hop
# would add there (those its filters keep, and placeholders; before clusters), from the
# walk's own hop query, one per direction and kind for all of them. A bound marker hangs
# beside the first level, on each side, that the bound cut; N counts the nodes it left
# out there. Growing a marker (its id in the view's `grow`) walks one more hop from its
# nodes, or shows up to LINEAGE_MAX_NODES more of its level, on top of what the view
# already shows: nothing drawn before moves or goes, and what is added is what the same
# engine (filters, clusters, placeholders) gives a view with more hops there. Marker ids
# are keyed hashes (access.opaque), so the marker of a placeholder tells nothing of it.

GROW_MAX = 64  # markers one view may grow
COUNTED_UP_TO = 1000  # a hop marker judges at most this many (+1) nodes beyond its anchor


@dataclass(frozen=True)
class Marker:
    id: str
    anchor: object  # the element (a key, or a cluster id) it hangs from
    upstream: bool
    count: int  # nodes beyond the cut
    level: int  # where they would be drawn
    keys: tuple = ()  # a hop marker's frontier nodes
    cut: str = "hops"  # or "bound"
    capped: bool = False  # `count` of the first COUNTED_UP_TO + 1 only: there are more


def grown(base_id, view, user, marked=True):
    """(result, shown, edges, cut, markers) of the view with the markers `view.grow`
    names grown. A marker may hang from what another grew, so they are resolved round by
    round; an id no marker of the view has is ignored (as an old link's would be)."""
    grows, opened, applied = [], {}, set()
    result = None
    while True:
        if result is None:
            result = compute(base_id, view, user, grows)
        result.opened = opened
        shown, edges, cut = bound(result, settings.LINEAGE_MAX_NODES)
        if not (marked or view.grow):
            return result, shown, edges, cut, []
        marks = markers(result, shown, view, user)
        todo = [m for m in marks if m.id in view.grow and m.id not in applied]
        todo = todo[: max(0, GROW_MAX - len(applied))]
        if not todo:
            return result, shown, edges, cut, marks
        for marker in todo:
            applied.add(marker.id)
            if marker.cut == "hops":
                grows.append((marker.keys, marker.upstream))
                result = None  # the walk goes further: walk again
            else:
                opened[marker.level] = opened.get(marker.level, 0) + 1


def grow_hop(graph, keys, upstream):
    """One more hop from `keys` (nodes of one level and kind), recorded as the walk's;
    the new nodes' keys."""
    keys = [key for key in keys if key in graph.levels]
    if not keys:
        return []
    if len(graph.levels) >= graph.raw_limit:
        graph.truncated = True
        return []
    level = graph.levels[keys[0]] + (-1 if upstream else 1)
    to_run = not is_run(keys[0])
    rows = graph.rows([pk_of(key) for key in keys], upstream, from_versions=to_run)
    return graph._add(rows, level, to_run)


def bound_grown(result, order, level_of, limit):
    """The elements shown when markers grew: the view's own `limit` nearest (what grew
    never pushes them out), then up to `limit` more of what each hop marker added, then
    up to `limit` more of a level for each time its bound marker grew."""
    members, grown = result.members, result.grown

    def did_grow(element):
        return (members[element][0] if isinstance(element, str) else element) in grown

    own = [e for e in order if not did_grow(e)] if grown else order
    shown = set(own[:limit])
    if grown:
        shown.update([e for e in order if did_grow(e)][: limit * len(result.grows)])
    for level, times in sorted(result.opened.items()):
        rest = [e for e in order if level_of[e] == level and e not in shown]
        shown.update(rest[: limit * times])
    return shown


def markers(result, shown, view, user=None):
    """The view's markers (Marker), hop cuts then bound cuts."""
    return hop_markers(result, shown, view, user) + bound_markers(result, shown)


def _marker_id(text):
    return "more:" + access.opaque(text)[:12]


def hop_markers(result, shown, view, user):
    levels, members, grown = result.graph.levels, result.members, result.grown
    done = {(key, upstream) for keys, upstream in result.grows for key in keys}
    edges = {True: -view.upstream, False: view.downstream}  # the walk's outermost levels
    groups = []  # (element, upstream, its frontier keys)
    for element in shown:
        keys = members[element] if isinstance(element, str) else (element,)
        level = levels[keys[0]]
        for upstream in (True, False):
            if level == edges[upstream] or grown.get(keys[0]) is upstream:
                out = [key for key in keys if (key, upstream) not in done]
                if out:
                    groups.append((element, upstream, out))
    if not groups:
        return []
    groups.sort(key=lambda g: (g[1], str(g[0])))
    beyond = _beyond(result, groups, view, user)
    names = _names(result, [g[0] for g in groups])
    found = []
    for (element, upstream, keys), (count, capped) in zip(groups, beyond, strict=True):
        if count or capped:
            ident = _marker_id(f"hops|{int(upstream)}|{names[element]}")
            level = levels[keys[0]] + (-1 if upstream else 1)
            found.append(Marker(ident, element, upstream, count, level, tuple(keys), capped=capped))
    return found


def _beyond(result, groups, view, user):
    """(count, capped) for each group: the nodes one hop beyond its frontier nodes that a
    bigger view would add (not met yet, kept by the filters, or placeholders), out of the
    first COUNTED_UP_TO + 1 edges beyond each node or cluster (capped: there were more)."""
    graph, sequences = result.graph, dict(result.graph.sequences)
    parts, at = [], {}  # at: (part index, near pk or 0) -> group index
    for upstream in (True, False):
        for runs in (1, 0):
            ours = [
                (i, g) for i, g in enumerate(groups) if g[1] is upstream and g[2][0] & 1 == runs
            ]
            if not ours:
                continue
            known = None
            if not (view.job_types if runs == 0 else view.artifact_types or not view.generated):
                # No filter can remove a far node: count in the database, leaving out what
                # the view has met (the other kind, on this side).
                known = graph.pks_beside(runs, -1 if upstream else 1)
            singles = [
                (i, keys[0] >> 1) for i, (element, _, keys) in ours if not isinstance(element, str)
            ]
            if singles:
                at.update(((len(parts), pk), i) for i, pk in singles)
                parts.append(([pk for _, pk in singles], bool(runs), upstream, True, known))
            for i, (element, _, keys) in ours:
                if isinstance(element, str):
                    at[(len(parts), 0)] = i
                    parts.append(([key >> 1 for key in keys], bool(runs), upstream, False, None))
    rows = sql.beyond(parts, COUNTED_UP_TO)
    met = graph.met(
        [row[2] << 1 | (not parts[row[0]][1]) for row in rows if parts[row[0]][4] is None]
    )
    sequences.update((row[4], row[6:]) for row in rows if row[6] is not None)
    found = [set() for _ in groups]
    fetched = [0] * len(groups)
    counted = [0] * len(groups)
    removed = []  # (group index, key) of nodes the filters remove, unless placeholders
    verdicts = ({}, {})
    for part, near, far, job_type, sequence, generated, *_ in rows:
        index = at[(part, near)]
        if parts[part][4] is not None:  # a count
            counted[index] = fetched[index] = far
            continue
        fetched[index] += 1
        far = far << 1 if parts[part][1] else far << 1 | 1
        if far in met:
            continue
        info = (job_type,) if far & 1 else (sequence, generated)
        seen = verdicts[far & 1]
        keep = seen.get(info)
        if keep is None:
            keep = seen[info] = keeps(far, info, view, sequences)
        if keep:
            found[index].add(far)
        else:
            removed.append((index, far))
    if removed:  # placeholders pass every filter: what the filters remove, hidden, counts
        hidden = access.hidden_keys(user, {key for _, key in removed})
        for index, key in removed:
            if key in hidden:
                found[index].add(key)
    return [
        (min(len(keys) + extra, COUNTED_UP_TO), n > COUNTED_UP_TO)
        for keys, extra, n in zip(found, counted, fetched, strict=True)
    ]


def bound_markers(result, shown):
    """One marker on each side, at the nearest level the bound cut, hanging from the
    shown element most of its left-out elements are joined to (else the base)."""
    if isinstance(result.graph, Frame):
        left, joined, showing = result.graph.bound_cuts()
    else:
        left, joined, showing = _bound_cuts(result, shown)
    members, found = result.members, []
    for level in sorted(left):
        count = sum(len(members[e]) if isinstance(e, str) else 1 for e in left[level])
        candidates = joined[level]
        names = _names(result, candidates)
        if candidates:
            anchor = min(candidates, key=lambda a: (-candidates[a], names[a]))
        else:
            anchor = result.base
        ident = _marker_id(f"bound|{level}|{showing[level]}")
        found.append(Marker(ident, anchor, level < 0, count, level, cut="bound"))
    return found


def _bound_cuts(result, shown):
    """({level: its left-out elements}, {level: {shown element: edges joining it to
    them}}, {level: elements shown there}) of the nearest level the bound cut, each side."""
    level_of = element_levels(result)
    left = defaultdict(list)  # level -> left-out elements
    for element, level in level_of.items():
        if element not in shown:
            left[level].append(element)
    cuts = {}
    for level in left:
        side = level > 0
        if side not in cuts or abs(level) < abs(cuts[side]):
            cuts[side] = level
    clusters = result.clusters
    cut_of = {e: level for level in cuts.values() for e in left[level]}
    joined = {level: defaultdict(int) for level in cuts.values()}
    for source, target, _ in result.edges if cuts else ():
        s, t = clusters.get(source, source), clusters.get(target, target)
        for out, anchor in ((s, t), (t, s)):
            level = cut_of.get(out)
            if level is not None and anchor in shown and abs(level_of[anchor]) < abs(level):
                joined[level][anchor] += 1
    showing = {
        level: sum(1 for e, lv in level_of.items() if lv == level and e in shown)
        for level in cuts.values()
    }
    return {level: left[level] for level in cuts.values()}, joined, showing


def marker_elements(result, marks):
    """The markers as Cytoscape elements: {"nodes": [...], "edges": [...]}."""
    names = _names(result, {m.anchor for m in marks})
    nodes, edges = [], []
    for m in marks:
        anchor = names[m.anchor]
        nodes.append(
            {
                "data": {
                    "id": m.id,
                    "kind": "more",
                    "label": f"+{m.count:,}{'+' if m.capped else ''} more" if m.count else "+ more",
                    "count": m.count,
                    "capped": m.capped,  # `count` is of the first COUNTED_UP_TO + 1
                    "level": m.level,
                    "base": False,
                    "anchor": anchor,
                    "direction": "upstream" if m.upstream else "downstream",
                    "cut": m.cut,
                }
            }
        )
        source, target = (m.id, anchor) if m.upstream else (anchor, m.id)
        edges.append(
            {
                "data": {
                    "id": f"{source}->{target}:more",
                    "source": source,
                    "target": target,
                    "kind": "more",
                }
            }
        )
    return {"nodes": nodes, "edges": edges}
