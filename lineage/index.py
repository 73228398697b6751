"""The lineage graph held in memory: the edge table as arrays, for the walk's hops.

A hop by SQL costs a primary-key lookup per node reached (a hub's 3-hop view: 61,094 of
them, most of its walk's time); from arrays it is one gather for the whole frontier. Each
process builds its own `Index` once a walk reaches settings.LINEAGE_INDEX_NODES nodes (in
a thread of its own: no request waits for it), from one snapshot of the edges, runs and
versions, and notes the clock's tick of that snapshot (registry.models.LineageClock).

The index is used only where it is true: `current()` reads the tick as the asking
connection sees it, and answers None unless it is the index's. Every committed change the
index holds moves the tick (database triggers, whoever writes), so a view never walks a
stale graph: it walks by SQL while a rebuild (at most one every REBUILD_EVERY seconds) is
under way. A transaction that wrote lineage sees its own tick and walks by SQL too, so
nothing uncommitted ever enters the shared arrays.

`Index.hop` answers exactly what lineage.sql.hop's query does: (run pk, version pk,
direction, *info) rows, info being what filters, clusters and access need of the node
reached (sql.py); `Index.gather` gives one direction's as arrays, which the walk records
column by column (engine.Graph._walk_index).
"""

import logging
import threading
import time
from dataclasses import dataclass
from itertools import repeat

import numpy as np
from django.conf import settings
from django.db import connection, connections

from registry.models import ArtifactCollection

from . import sql
from .sql import LOGS, USES

REBUILD_EVERY = 30  # seconds: a graph written all the time costs one rebuild in this many
log = logging.getLogger(__name__)

_index = None  # this process's newest Index
_building = threading.Lock()
_last_build = float("-inf")


@dataclass(frozen=True)
class Adjacency:
    """From each source pk, its far ends' pks: far[start[pk]:start[pk + 1]]."""

    start: np.ndarray
    far: np.ndarray

    @classmethod
    def of(cls, sources, fars, size):
        order = np.lexsort((fars, sources))  # by source, then far end: a stable answer
        start = np.zeros(size + 1, dtype=np.int64)
        np.cumsum(np.bincount(sources, minlength=size), out=start[1:])
        return cls(start, fars[order])

    def gather(self, pks):
        """(sources, far ends) of every edge leaving `pks`, one pair an edge."""
        pks = pks[pks < len(self.start) - 1]  # a node newer than the index has no edges in it
        starts, counts = self.start[pks], self.start[pks + 1] - self.start[pks]
        offsets = np.repeat(starts - np.cumsum(counts) + counts, counts)
        return np.repeat(pks, counts), self.far[offsets + np.arange(offsets.size)]


@dataclass(frozen=True)
class Index:
    tick: int
    from_versions: dict  # direction -> Adjacency from versions to runs
    from_runs: dict  # direction -> Adjacency from runs to versions
    job_types: np.ndarray  # run pk -> its job type (objects: the strings themselves)
    job_codes: np.ndarray  # run pk -> its job type's number: job_types[pk] is names[code]
    job_names: tuple  # the distinct job types, by number
    run_projects: np.ndarray  # run pk -> its project's pk
    sequences: np.ndarray  # version pk -> its sequence's pk
    flags: np.ndarray  # version pk -> (generated, deleted)
    sequence_types: np.ndarray  # sequence pk -> its type (objects)
    sequence_names: np.ndarray  # sequence pk -> its name (objects)
    sequence_projects: np.ndarray  # sequence pk -> its project's pk
    edges: int

    def nbytes(self):
        """The arrays' size (a job type's string is shared, counted once in the database)."""
        adjacencies = [*self.from_versions.values(), *self.from_runs.values()]
        arrays = [self.job_types, self.job_codes, self.run_projects, self.sequences, self.flags]
        arrays += [self.sequence_types, self.sequence_names, self.sequence_projects]
        arrays += [a for adjacency in adjacencies for a in (adjacency.start, adjacency.far)]
        return sum(a.nbytes for a in arrays)

    def hop(self, pks, upstream, from_versions):
        """The rows sql.hop's query answers (lineage.sql), in the same shape: from versions
        upstream to the runs that logged them, downstream to those that used them; from
        runs upstream to the versions they used, downstream to those they logged; None,
        both ways."""
        pks = np.asarray(pks, dtype=np.int64)
        directions = (USES, LOGS) if upstream is None else (sql.direction(upstream, from_versions),)
        found = []
        for way in directions:
            found += rows(*self.gather(pks, way, from_versions), way, from_versions)
        return found

    def gather(self, pks, way, from_versions):
        """(near pks, far pks, the far nodes' info as columns) of the edges of direction
        `way` leaving `pks` (an array of versions' pks if `from_versions`, else runs')."""
        adjacency = (self.from_versions if from_versions else self.from_runs)[way]
        near, far = adjacency.gather(pks)
        if from_versions:
            return near, far, (self.job_types[far], self.run_projects[far])
        flags = self.flags[far]
        return near, far, (self.sequences[far], flags[:, 0], flags[:, 1])

    def sequence_rows(self, pks):
        """{sequence pk: (type, name, project pk)}, as lineage.sql.sequences answers."""
        pks = np.fromiter(pks, np.int64, len(pks))
        pks = pks[pks < len(self.sequence_projects)]
        columns = (self.sequence_types, self.sequence_names, self.sequence_projects)
        found = [column[pks].tolist() for column in columns]
        return dict(zip(pks.tolist(), zip(*found, strict=True), strict=True))

    def unseen(self):
        """Fresh masks of the nodes a walk has met, for Graph's walk on the index: the
        versions' (index 0) and the runs' (index 1), as a key's low bit says."""
        return tuple(np.zeros(len(a), dtype=bool) for a in (self.sequences, self.job_types))


def rows(near, far, info, way, from_versions):
    """What Index.gather gives, as sql.hop's rows (run pk, version pk, direction, *info)."""
    runs, versions = (far, near) if from_versions else (near, far)
    columns = [c.tolist() for c in (runs, versions, *info)]
    return list(zip(*columns[:2], repeat(way, len(far)), *columns[2:], strict=True))


def current():
    """This process's index if it is true for this connection (its tick is the one the
    connection sees), else None, asking for a rebuild where there was one."""
    index = _index
    if index is None:
        return None
    if clock() == index.tick:
        return index
    wanted()
    return None


TICK = "SELECT tick FROM registry_lineageclock WHERE id = 1"


def clock():
    """The tick as this connection sees it; None before the first change (or a flush).
    Asked before every walk of a process that holds an index: a prepared statement on
    PostgreSQL (sql.query), 0.1 ms less than one bound client-side."""
    rows = sql.query(TICK, [])
    return rows[0][0] if rows else None


def wanted(nodes=None):
    """A walk reached `nodes` nodes by SQL (None: the index went stale): build the index
    in a thread of its own if it is worth it and none was begun within REBUILD_EVERY s."""
    least = settings.LINEAGE_INDEX_NODES
    if nodes is not None and not (least and nodes >= least):
        return
    if time.monotonic() - _last_build < REBUILD_EVERY or _building.locked():
        return
    threading.Thread(target=_build_and_close, name="lineage-index", daemon=True).start()


def _build_and_close():
    try:
        build()
    except Exception:  # the views go on by SQL; the next wide walk tries again
        log.exception("Building the lineage index failed")
    finally:
        connections.close_all()  # this thread's own connection


def build():
    """Build the index from one snapshot of the database and make it this process's; the
    new Index, or None where another build is under way or nothing was written yet."""
    global _index, _last_build
    if not _building.acquire(blocking=False):
        return None
    try:
        _last_build = time.monotonic()
        snapshot = _read()
        _index = arrays(*snapshot) if snapshot is not None else None  # None: flushed
        return _index
    finally:
        _building.release()


def forget():
    """Drop this process's index (tests: a flushed database starts from nothing)."""
    global _index, _last_build
    _index, _last_build = None, float("-inf")


# One read transaction for the tick and the rows, so that the tick is the rows': on
# SQLite a deferred one (Django's are IMMEDIATE here, which would hold writers off for
# the whole read), on PostgreSQL a repeatable-read one (one snapshot for every query).
BEGIN = {
    "sqlite": "BEGIN DEFERRED",
    "postgresql": "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
}
CHUNK = 100_000  # rows a fetch: a million edges never sit in memory as Python tuples at once


def _read():
    """(tick, edges, runs, versions) of one snapshot (read()); None before any change."""
    if connection.in_atomic_block:
        raise RuntimeError("The lineage index is built outside any transaction.")
    with connection.cursor() as cursor:
        cursor.execute(BEGIN[connection.vendor])
        try:
            snapshot = read(cursor)
        finally:
            cursor.execute("COMMIT")
    return snapshot if snapshot[0] is not None else None


def read(cursor):
    """(tick or None, edges, runs, versions, sequences) as `cursor` sees them (tests:
    inside their own transaction): edges as rows (run, version, uses?), runs as (pks,
    projects, job types), versions as rows (pk, sequence, generated, deleted), sequences
    as rows (pk, type, name, project)."""
    cursor.execute(TICK)
    tick = cursor.fetchone()
    edge_sql = "SELECT run_id, version_id, direction = %s FROM registry_lineageedge"
    edges = _int_rows(cursor, edge_sql, [USES], width=3)
    pks, projects, job_types = [], [], []
    for rows in _fetched(cursor, "SELECT id, project_id, job_type FROM registry_run"):
        pk, project, job_type = zip(*rows, strict=True)
        pks += pk
        projects += project
        job_types += job_type
    runs = (np.array(pks, dtype=np.int64), np.array(projects, dtype=np.int64), job_types)
    versions = _int_rows(
        cursor,
        "SELECT id, sequence_id, generated, deleted_at IS NOT NULL FROM registry_artifactversion",
        width=4,
    )
    sequences = [
        row
        for rows in _fetched(cursor, SEQUENCES, [ArtifactCollection.Kind.SEQUENCE.value])
        for row in rows
    ]
    return tick and tick[0], edges, runs, versions, sequences


SEQUENCES = (
    f"SELECT id, type, name, project_id FROM {ArtifactCollection._meta.db_table} WHERE kind = %s"
)


def _fetched(cursor, sql, params=()):
    cursor.execute(sql, params)
    while rows := cursor.fetchmany(CHUNK):
        yield rows


def _int_rows(cursor, sql, params=(), width=1):
    parts = [np.array(rows, dtype=np.int64) for rows in _fetched(cursor, sql, params)]
    return np.concatenate(parts) if parts else np.empty((0, width), dtype=np.int64)


def arrays(tick, edges, runs, versions, sequence_rows):
    run, version, uses = edges[:, 0], edges[:, 1], edges[:, 2].astype(bool)
    run_pks, projects, types = runs
    runs_size = int(run_pks.max(initial=0)) + 1
    versions_size = int(versions[:, 0].max(initial=0)) + 1
    job_types = np.empty(runs_size, dtype=object)
    job_types[run_pks] = types
    numbers = {}
    job_codes = np.zeros(runs_size, dtype=np.int64)
    job_codes[run_pks] = [numbers.setdefault(name, len(numbers)) for name in types]
    run_projects = np.zeros(runs_size, dtype=np.int64)
    run_projects[run_pks] = projects
    sequences = np.zeros(versions_size, dtype=np.int64)
    sequences[versions[:, 0]] = versions[:, 1]
    flags = np.zeros((versions_size, 2), dtype=bool)
    flags[versions[:, 0]] = versions[:, 2:] != 0
    directions = {USES: uses, LOGS: ~uses}
    size = max((row[0] for row in sequence_rows), default=0) + 1
    sequence_types, sequence_names = np.empty(size, dtype=object), np.empty(size, dtype=object)
    sequence_projects = np.zeros(size, dtype=np.int64)
    if sequence_rows:
        pks, types, names, projects = zip(*sequence_rows, strict=True)
        sequence_types[list(pks)], sequence_names[list(pks)] = types, names
        sequence_projects[list(pks)] = projects
    return Index(
        tick=tick,
        from_versions={
            d: Adjacency.of(version[m], run[m], versions_size) for d, m in directions.items()
        },
        from_runs={d: Adjacency.of(run[m], version[m], runs_size) for d, m in directions.items()},
        job_types=job_types,
        job_codes=job_codes,
        job_names=tuple(numbers),
        run_projects=run_projects,
        sequences=sequences,
        flags=flags,
        sequence_types=sequence_types,
        sequence_names=sequence_names,
        sequence_projects=sequence_projects,
        edges=len(edges),
    )
