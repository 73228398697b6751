"""The engine's SQL: one query per hop, one per sequence set, one per kind shown.

Plain SQL rather than the ORM: building the same ORM queries took 90% of a small view's
time (measured: 7 ms of 8), and a hop's frontier goes in as ONE array parameter however
large it is (SQLite caps the number of parameters of a query).
"""

import json
import time

import psycopg
from django.db import connection
from django.db.models.expressions import RawSQL

from registry.models import (
    ArtifactCollection,
    ArtifactVersion,
    LineageEdge,
    Membership,
    Project,
    Run,
)

# Plain strings, not the enum members: a tuple holding only ints and strings leaves the
# cyclic GC's care at its first collection, one holding an enum member never does, and a
# hub's hundred thousand edge tuples kept in its care cost a full collection per view.
USES, LOGS = LineageEdge.Direction.USES.value, LineageEdge.Direction.LOGS.value

_RUN, _VERSION = Run._meta.db_table, ArtifactVersion._meta.db_table
_SEQUENCE = ArtifactCollection._meta.db_table
_PROJECT, _MEMBERSHIP = Project._meta.db_table, Membership._meta.db_table

# A hop's rows are (run pk, version pk, direction, *info): info is what filters, clusters
# and access need of the node reached, (job_type, project pk) for a run and (sequence pk,
# generated, deleted) for a version. On PostgreSQL it comes from one primary-key lookup
# per row, a LATERAL subquery kept one by OFFSET 0: a join here made the planner hash
# whole tables (all runs, all versions) on a hub's frontier of 20,000 runs, and a scalar
# subquery per column looks the row up once per column (two of them took 98 ms of the
# hub's widest hop, 27,720 rows; one lookup, 71 ms). A version's sequence type, name and
# project come afterwards, once per sequence (sequences()): per row they cost two more
# lookups and tripled the widest hop.
_EDGE = LineageEdge._meta.db_table
RUN_INFO = (
    "x.job_type, x.project_id",
    f" CROSS JOIN LATERAL (SELECT r.job_type, r.project_id FROM {_RUN} r"
    " WHERE r.id = e.run_id OFFSET 0) x",
)
VERSION_INFO = (
    "x.sequence_id, x.generated, x.deleted",
    f" CROSS JOIN LATERAL (SELECT v.sequence_id, v.generated, v.deleted_at IS NOT NULL"
    f" AS deleted FROM {_VERSION} v WHERE v.id = e.version_id OFFSET 0) x",
)
PG_HOP = (
    "SELECT e.run_id, e.version_id, e.direction, {info} FROM " + _EDGE + " e{lateral}"
    " WHERE e.{column} = ANY(%s::bigint[])"
)
# A wide frontier is unnested and joined instead: with an array of 27,000 ids the planner
# weighed each against the column's statistics, 20 ms of planning for a 45 ms hop. A
# narrow one stays `= ANY`, 0.04 ms faster a hop (measured with one id).
PG_WIDE_HOP = (
    "SELECT e.run_id, e.version_id, e.direction, {info} FROM unnest(%s::bigint[]) f(id)"
    f" JOIN {_EDGE} e ON e.{{column}} = f.id{{lateral}} WHERE TRUE"
)
PG_WIDE = 1000
# SQLite looks each row up by rowid either way, once per join but once per subquery:
# joined, a hub's widest hop (27,720 rows) took 27 ms instead of 42.
SQLITE_HOP = (
    "SELECT e.run_id, e.version_id, e.direction, {info} FROM " + _EDGE + " e"
    " JOIN {table} x ON x.id = e.{other} WHERE e.{column} IN (SELECT value FROM json_each(%s))"
)
HOPS = {  # (vendor, from versions?) -> the hop's SQL, its direction appended
    ("postgresql", True): PG_HOP.format(info=RUN_INFO[0], lateral=RUN_INFO[1], column="version_id"),
    ("postgresql", False): PG_HOP.format(
        info=VERSION_INFO[0], lateral=VERSION_INFO[1], column="run_id"
    ),
    ("wide", True): PG_WIDE_HOP.format(info=RUN_INFO[0], lateral=RUN_INFO[1], column="version_id"),
    ("wide", False): PG_WIDE_HOP.format(
        info=VERSION_INFO[0], lateral=VERSION_INFO[1], column="run_id"
    ),
    ("sqlite", True): SQLITE_HOP.format(
        info="x.job_type, x.project_id", table=_RUN, other="run_id", column="version_id"
    ),
    ("sqlite", False): SQLITE_HOP.format(
        info="x.sequence_id, x.generated, x.deleted_at IS NOT NULL",
        table=_VERSION,
        other="version_id",
        column="run_id",
    ),
}


def id_list(ids):
    """SQL for "one of these ids" as ONE parameter, whatever their number."""
    if connection.vendor == "postgresql":
        return "= ANY(%s::bigint[])", [pg_array(ids)]
    return "IN (SELECT value FROM json_each(%s))", [json.dumps(list(ids))]


def pg_array(ids):
    """`ids` in PostgreSQL's text form of an array, for a `%s::bigint[]` parameter:
    psycopg adapts a list element by element (20,000 ids: 14 ms), a string at once (4)."""
    return "{" + ",".join(map(str, ids)) + "}"


def id_rows(ids):
    """(SQL, params) of a one-column table of these ids, as ONE parameter: hashed once
    where a query looks rows up in it, not compared per row."""
    if connection.vendor == "postgresql":
        return "SELECT unnest(%s::bigint[])", [pg_array(ids)]
    return "SELECT value FROM json_each(%s)", [json.dumps(list(ids))]


def pk_subquery(pks):
    """The same as a subquery the ORM can filter on (`pk__in=pk_subquery(pks)`)."""
    return RawSQL(*id_rows(pks))


def query(sql, params):
    return query_together([(sql, params)])[0]


# On PostgreSQL, queries that do not wait for each other's answers go in one round trip:
# a small view's time is its round trips, ~0.065 ms saved each (measured: 0.212 ms for
# two hops together, 0.272 ms one after the other).
TOGETHER = True
# And they run as prepared statements with generic plans (config/settings.py), planned
# once per connection instead of on every view: planning was about 1 ms of the 2.2 ms a
# mid-chain run's 3-hop view took (EXPLAIN ANALYZE, bench/lineage_bench.py's graph); with
# them it takes 1.1 ms. Off where the connection may not prepare (LINEAGE_DB_PREPARED=0,
# for a pooler that cannot keep them): then the statements are joined by ";", bound
# client-side as Django binds every query.
PREPARED = True


def asks_together():
    return connection.vendor == "postgresql" and TOGETHER


def prepares():
    if not (PREPARED and connection.vendor == "postgresql"):
        return False
    connection.ensure_connection()
    return connection.connection.prepare_threshold is not None


def query_together(queries):
    """The rows of each (sql, params) in `queries`, in one round trip where the database
    allows it."""
    if not queries:
        return []
    if prepares():
        if asks_together():
            return _prepared(queries)
        return [_prepared([one])[0] for one in queries]
    if not asks_together() or len(queries) < 2:
        results = []
        for sql, params in queries:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                results.append(cursor.fetchall())
        return results
    with connection.cursor() as cursor:
        cursor.execute("; ".join(sql for sql, _ in queries), [p for _, ps in queries for p in ps])
        results = [cursor.fetchall()]
        while cursor.nextset():
            results.append(cursor.fetchall())
    return results


def _prepared(queries):
    """The queries' rows, as prepared statements sent in one pipeline (one round trip),
    through psycopg's server-side binding cursor (Django's binds client-side, which
    cannot prepare). Logged as Django logs a query, one entry a round trip."""
    raw = connection.connection
    started = time.monotonic()
    with connection.wrap_database_errors:
        cursors = [psycopg.Cursor(raw) for _ in queries]
        if len(queries) == 1:
            cursors[0].execute(*queries[0], prepare=True)
        else:
            with raw.pipeline():
                for cursor, (sql, params) in zip(cursors, queries, strict=True):
                    cursor.execute(sql, params, prepare=True)
        results = [cursor.fetchall() for cursor in cursors]
    if connection.queries_logged:  # as Django logs: the SQL with its values in it
        took = f"{time.monotonic() - started:.3f}"
        text = "; ".join(psycopg.ClientCursor(raw).mogrify(q, p) for q, p in queries)
        connection.queries_log.append({"sql": text, "time": took})
    return results


def direction(upstream, from_versions):
    """The edges' direction a hop follows: from versions upstream to the runs that logged
    them, downstream to those that used them; from runs upstream to the versions they
    used, downstream to those they logged."""
    if from_versions:
        return LOGS if upstream else USES
    return USES if upstream else LOGS


def hop(pks, upstream, from_versions):
    """(sql, params) of one hop's edges, with each far node's info. From versions to their
    runs: upstream, the runs that logged them; downstream, the runs that used them. From
    runs to their versions: upstream, the versions they used; downstream, those they
    logged; None, both."""
    pks = list(pks)
    if connection.vendor == "postgresql":
        wide = len(pks) > PG_WIDE
        sql, params = HOPS["wide" if wide else "postgresql", from_versions], [pg_array(pks)]
    else:
        sql, params = HOPS["sqlite", from_versions], [json.dumps(pks)]
    if upstream is None:
        return sql, params
    return sql + " AND e.direction = %s", [*params, direction(upstream, from_versions)]


def runs_of_version(pk, direction):
    """The runs joined to version `pk` by edges of `direction`, as a subquery the ORM can
    filter on (`pk__in=`)."""
    sql = f"SELECT e.run_id FROM {LineageEdge._meta.db_table} e WHERE e.version_id = %s"
    return RawSQL(sql + " AND e.direction = %s", [pk, direction])


def fetch_all(queryset):
    """A queryset's rows in one fetchall: the ORM fetches 100 rows a round trip, which
    took 23 ms of a 20,000-run cluster's search on SQLite."""
    return query(*compiled(queryset))


def compiled(queryset):
    """(sql, params) of a queryset."""
    return queryset.query.get_compiler(using=queryset.db).as_sql()


def sequences(pks):
    """{sequence pk: (type, name, project pk)}."""
    where, params = id_list(pks)
    sql = f"SELECT id, type, name, project_id FROM {_SEQUENCE} WHERE id " + where
    return {pk: row for pk, *row in query(sql, params)}


# What the answer shows of runs and versions.
RUN_ATTRS = (
    f"SELECT r.id, r.run_id, r.name, r.job_type, r.state, p.entity, p.name FROM {_RUN} r"
    f" JOIN {_PROJECT} p ON p.id = r.project_id WHERE r.id "
)
# The version number as a subquery, not a fourth join: PostgreSQL planned the join for
# 1.2 ms, longer than the whole query then ran.
VERSION_ATTRS = (
    f'SELECT v.id, (SELECT m."index" FROM {_MEMBERSHIP} m'
    f" WHERE m.version_id = v.id AND m.collection_id = v.sequence_id),"
    f" v.generated, c.name, c.type, p.entity, p.name, p.id FROM {_VERSION} v"
    f" JOIN {_SEQUENCE} c ON c.id = v.sequence_id JOIN {_PROJECT} p ON p.id = c.project_id"
    f" WHERE v.id "
)
RUN_FIELDS = "pk run_id name job_type state project__entity project__name".split()
VERSION_FIELDS = (
    "pk version_index generated sequence__name sequence__type"
    " sequence__project__entity sequence__project__name sequence__project_id"
).split()


def display_attributes(keys):
    """One query per kind for what the answer shows of the nodes with these keys
    (lineage.keys): {key: {field: value}}."""
    kinds = [
        (RUN_ATTRS, RUN_FIELDS, [key >> 1 for key in keys if key & 1], 1),
        (VERSION_ATTRS, VERSION_FIELDS, [key >> 1 for key in keys if not key & 1], 0),
    ]
    kinds = [kind for kind in kinds if kind[2]]
    queries = []
    for sql, _, pks, _ in kinds:
        where, params = id_list(pks)
        queries.append((sql + where, params))
    attrs = {}
    for (_, fields, _, bit), rows in zip(kinds, query_together(queries), strict=True):
        for row in rows:
            attrs[row[0] << 1 | bit] = dict(zip(fields, row, strict=True))
    return attrs


# What lies one hop beyond a view's outermost nodes, for its "+N more" markers: the hop's
# edges with what the filters need of the far node (as a hop's rows), for each frontier
# node alone or for a cluster's members together, each stopping past `up_to` edges:
# a hub dataset alone at the cut has 20,880 runs beyond it, and the first thousand say
# enough (counting them all took 5 ms of a 0.5 ms view). One query: the parts joined by
# UNION ALL, rows (part, near pk or 0, far pk, job type, sequence pk, generated, sequence
# type, sequence name): the far node's info, a run's or a version's, the other NULL (the
# sequence's type and name with it: a round trip fewer than sequences() after).
BEYOND_INFO = {  # frontier is runs -> the far node's info columns, and its table
    True: (
        "CAST(NULL AS TEXT), x.sequence_id, x.generated, q.type, q.name",
        f"JOIN {_VERSION} x ON x.id = d.{{far}} JOIN {_SEQUENCE} q ON q.id = x.sequence_id",
    ),
    False: (
        "x.job_type, CAST(NULL AS BIGINT), CAST(NULL AS BOOLEAN), CAST(NULL AS TEXT),"
        " CAST(NULL AS TEXT)",
        f"JOIN {_RUN} x ON x.id = d.{{far}}",
    ),
}


def beyond(parts, up_to):
    """`parts`: [(frontier pks of one kind, frontier is runs, upstream, each pk alone,
    known)]. `known` None: the far nodes' rows (a cluster's first `up_to` + 1 edges, a
    far node perhaps more than once); else pks of the far kind already met, and the
    part's rows are counts of the others (part, near pk or 0, count, NULL...), for views
    whose filters cannot remove a far node (no info needed)."""
    selects, params = [], []
    postgres = connection.vendor == "postgresql"
    limit = int(up_to) + 1
    for index, (pks, runs, upstream, alone, known) in enumerate(parts):
        near, far = ("run_id", "version_id") if runs else ("version_id", "run_id")
        way = direction(upstream, from_versions=not runs)
        info, table = BEYOND_INFO[runs]
        if known is not None:
            met, unmet_params = id_rows(known)
            unmet = f" AND NOT (e.{far} IN ({met}))"
            nulls = BEYOND_INFO[False][0].replace("x.job_type", "CAST(NULL AS TEXT)")
            if alone:
                nodes = "unnest(%s::bigint[]) s(value)" if postgres else "json_each(%s) s"
                node_params = [pg_array(pks)] if postgres else [json.dumps(list(pks))]
                selects.append(
                    f"SELECT {int(index)}, s.value, (SELECT COUNT(*) FROM (SELECT 1 FROM {_EDGE} e"
                    f" WHERE e.{near} = s.value AND e.direction = %s{unmet} LIMIT {limit}) c),"
                    f" {nulls} FROM {nodes}"
                )
                params += [way, *unmet_params, *node_params]
            else:
                where, where_params = id_list(pks)
                selects.append(
                    f"SELECT {int(index)}, 0, (SELECT COUNT(*) FROM (SELECT DISTINCT e.{far}"
                    f" FROM {_EDGE} e WHERE e.{near} {where} AND e.direction = %s{unmet}"
                    f" LIMIT {limit}) c), {nulls}"
                )
                params += [*where_params, way, *unmet_params]
            continue
        if alone and postgres:  # each node's first edges (one direction: each far once)
            source = (
                f"unnest(%s::bigint[]) s(value) CROSS JOIN LATERAL (SELECT e.{near}, e.{far}"
                f" FROM {_EDGE} e WHERE e.{near} = s.value AND e.direction = %s LIMIT {limit}) d"
            )
            part_params = [pg_array(pks), way]
        elif alone:
            source = (
                f"json_each(%s) s JOIN {_EDGE} d ON d.id IN (SELECT e.id FROM {_EDGE} e"
                f" WHERE e.{near} = s.value AND e.direction = %s LIMIT {limit})"
            )
            part_params = [json.dumps(list(pks)), way]
        else:  # the cluster's first edges, not distinct: DISTINCT read all of a hub's
            if postgres:  # unnested: an array of 20,000 ids cost 20 ms of planning (HOPS)
                edges = f"unnest(%s::bigint[]) f(id) JOIN {_EDGE} e ON e.{near} = f.id WHERE"
                edge_params = [pg_array(pks)]
            else:
                edges = f"{_EDGE} e WHERE e.{near} IN (SELECT value FROM json_each(%s)) AND"
                edge_params = [json.dumps(list(pks))]
            source = f"(SELECT e.{far} FROM {edges} e.direction = %s LIMIT {limit}) d"
            part_params = [*edge_params, way]
        group = f"d.{near}" if alone else "0"
        selects.append(
            f"SELECT {int(index)}, {group}, d.{far}, {info} FROM {source} {table.format(far=far)}"
        )
        params += part_params
    if not selects:
        return []
    return query(
        " UNION ALL ".join(f"SELECT * FROM ({q}) p{i}" for i, q in enumerate(selects)), params
    )
