"""What of the graph a person may see (the README's "Teams and who sees what"), for the
engine.

A node the user may not see (a run or version of a project they cannot see, not reached
through a registry they can see: the models' `visible_to` querysets, the one definition)
stays in the answer as a **locked placeholder**: its edges and level are kept, so the
shape stays honest, and nothing else of it is: no label, type, alias, job type, metadata,
nor an id that resolves. Its id is `locked:<keyed hash>`, stable for the same node (the
page refers to it between requests) and impossible to turn back into a node id without
the server's secret.

What the filters do with placeholders: they keep them, whatever the types and job types
asked for, so that what a filter keeps never tells a hidden node's type, job type or
whether it is generated. Clusters group placeholders only with placeholders ("7 locked"),
never with nodes the user sees, so no visible cluster's count or name includes them.
"""

import functools
import hashlib
import hmac

from django.conf import settings
from django.core.exceptions import EmptyResultSet

from registry.models import ArtifactVersion, Project, Run

from . import sql
from .keys import node_id

LOCKED = "locked"  # a placeholder's kind
LOCKED_LABEL = "No access"
# What clusters know of a placeholder instead of its job type or sequence: not a string,
# so no job type can be equal to it.
LOCKED_GROUP = (LOCKED,)


def hidden_keys(user, keys):
    """The keys (lineage.keys) among `keys` that `user` may not see: one query per kind,
    whatever their number, both in one round trip. `user` None is the engine's own
    trusted use: nothing hidden."""
    if user is None or user.is_superuser:
        return set()
    runs = [key >> 1 for key in keys if key & 1]
    versions = [key >> 1 for key in keys if not key & 1]
    seen_runs, seen_versions = _seen(user, [(Run, runs), (ArtifactVersion, versions)])
    hidden = {pk << 1 | 1 for pk in runs if pk not in seen_runs}
    return hidden | {pk << 1 for pk in versions if pk not in seen_versions}


def hidden_in(user, graph):
    """hidden_keys(user, graph.keys()) of a walk (lineage.engine.Graph, or its arrays:
    lineage.frame.Frame), from what the
    walk knows of each node: a run is seen exactly when its project is (the definition,
    Run.objects.visible_to), and a live version of a project one sees is seen (the first
    of ArtifactVersion.objects.visible_to's two ways). So the database is asked which of
    the walk's few projects the user sees (with the base, in one round trip), and only
    what that leaves open (versions of other projects, deleted ones) goes through
    hidden_keys: a hub's 61,000 nodes were as many primary-key lookups, 160 ms on
    PostgreSQL."""
    if user is None or user.is_superuser or not SHORTCUT:
        return hidden_keys(user, graph.keys())
    rows = graph.info_rows()  # a walk's nodes share a few thousand info rows
    runs = {row for row in rows if len(row) == 2}  # (job type, project)
    projects = graph.projects  # of sequences; a version's row: (sequence, generated, deleted)
    wanted = [*{row[1] for row in runs} | {projects[row[0]] for row in rows - runs}]
    base = graph.base
    seen, seen_base = _seen(
        user, [(Project, wanted), (Run if base & 1 else ArtifactVersion, [base >> 1])]
    )
    sure = {row for row in runs if row[1] in seen}
    sure.update(row for row in rows - runs if not row[2] and projects[row[0]] in seen)
    hidden = hidden_keys(user, graph.keys_outside(sure))
    if not seen_base:
        hidden.add(base)
    return hidden


def _seen(user, asks):
    """For each (model, pks) of `asks`, the set of those pks `user` may see: one query
    each, all in one round trip."""
    compiled = [(_visible_sql(model, user, user.username), pks) for model, pks in asks]
    asked = [_with_pks(query, pks) for query, pks in compiled if query and pks]
    answers = iter(sql.query_together(asked))
    return [
        {row[0] for row in next(answers)} if query and pks else set() for query, pks in compiled
    ]


SHORTCUT = True  # False: every node through hidden_keys (the tests compare both)

_MARKER_PK = -1  # no row has it: it marks where a query's pks go


@functools.lru_cache(maxsize=1024)
def _visible_sql(model, user, username):
    """(sql, params, where the pks go) of "which of these pks of `model` may `user` see",
    compiled once per user: the ORM built it in 1.1 ms a kind, longer than the query then
    took. Keyed by the username too, which the SQL holds (a user's own entity). None
    when the user may see none (signed out)."""
    asked = model.objects.visible_to(user).filter(pk__in=sql.pk_subquery([_MARKER_PK]))
    try:
        query, params = sql.compiled(asked.order_by().values_list("pk"))
    except EmptyResultSet:
        return None
    params = list(params)
    return query, params, params.index(sql.id_rows([_MARKER_PK])[1][0])


def _with_pks(compiled, pks):
    query, params, at = compiled
    return query, [*params[:at], *sql.id_rows(pks)[1], *params[at + 1 :]]


def visible_runs(user):
    """The runs `user` may see (None: all, as in hidden_keys)."""
    if user is None or user.is_superuser:
        return Run.objects.all()
    return Run.objects.visible_to(user)


def opaque(text):
    """A short keyed hash of `text`: the same for the same text, not reversible by
    trying node ids without the server's secret."""
    digest = hmac.new(settings.SECRET_KEY.encode(), text.encode(), hashlib.sha256)
    return digest.hexdigest()[:16]


def locked_id(key):
    return f"{LOCKED}:{opaque(node_id(key))}"


def is_locked_id(text):
    return str(text).startswith(LOCKED + ":")


def mask(graph, hidden):
    """Forget, for clustering, what the walk learnt of hidden nodes (job type; sequence
    and generated flag): placeholders group with placeholders only, by where they are."""
    info = graph.info
    for key in hidden:
        if key in info:  # the base has no info, and is never hidden
            info[key] = (LOCKED_GROUP,) if key & 1 else (LOCKED_GROUP, False)


def extracted(ids, hidden, parse):
    """The keys a view's `extract` names: node ids of nodes the user sees, and the locked
    ids of placeholders (a hidden node's real id does nothing: it would confirm it)."""
    keys = {key for key in map(parse, ids) if key} - hidden
    if hidden and any(is_locked_id(text) for text in ids):
        keys |= {key for key in hidden if locked_id(key) in ids}
    return keys


def placeholder(key, level):
    """A locked node's data in the answer: its place in the graph and nothing else."""
    return {
        "id": locked_id(key),
        "kind": LOCKED,
        "label": LOCKED_LABEL,
        "level": level,
        "base": False,
    }


def placeholder_cluster(ident, keys, level, listed):
    """A cluster of placeholders: how many, where, its first `listed`, nothing else."""
    return {
        "id": ident,
        "kind": "cluster",
        "clusterKind": LOCKED,
        "count": len(keys),
        "level": level,
        "base": False,
        "label": f"{len(keys)} without access",
        "members": [member(key) for key in keys[:listed]],
    }


def member(key):
    return {"id": locked_id(key), "label": LOCKED_LABEL}
