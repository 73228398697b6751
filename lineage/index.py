"""The lineage graph held in memory: the edge table as arrays, for the walk's hops.

A hop by SQL costs a primary-key lookup per node reached (a hub's 3-hop view: 61,094 of
them, most of its walk's time); from arrays it is one gather for the whole frontier. Each
process builds its own `Index` once a walk reaches settings.LINEAGE_INDEX_NODES nodes (in
a thread of its own: no request waits for it), from one snapshot of the edges, runs,
versions and sequences, and notes the clock's tick of that snapshot
(registry.models.LineageClock).

The index is used only where it is true: `current()` reads the tick as the asking
connection sees it. Every committed change the index holds moves the tick and is noted in
the change log (registry.models.LineageChange; database triggers, whoever writes), so a
process whose index is behind reads the changes since its tick in one snapshot and
applies them (`caught_up`: the edges added and removed as overlays on the arrays built,
node columns patched in copies, so views still walking the older index are untouched);
where the log cannot say (pruned past it, a TRUNCATE, the tables emptied since) it walks
by SQL while a rebuild (at most one every REBUILD_EVERY seconds) is under way. A
transaction sees its own uncommitted tick and walks by SQL, so nothing uncommitted ever
enters the shared arrays.

`Index.hop` answers exactly what lineage.sql.hop's query does: (run pk, version pk,
direction, *info) rows, info being what filters, clusters and access need of the node
reached (sql.py); `Index.gather` gives one direction's as arrays, which the walk records
column by column (engine.Graph._walk_index).
"""

import logging
import threading
import time
from dataclasses import dataclass, replace
from itertools import repeat

import numpy as np
from django.conf import settings
from django.db import DatabaseError, OperationalError, connection, connections

from registry.models import ArtifactCollection, LineageChange

from . import sql
from .sql import LOGS, USES

REBUILD_EVERY = 30  # seconds: a graph written all the time costs one rebuild in this many
log = logging.getLogger(__name__)

_index = None  # this process's newest Index
_building = threading.Lock()
_catching_up = threading.Lock()
_last_build = float("-inf")
_pruned_at = float("-inf")  # the tick this process last pruned the change log at


@dataclass(frozen=True)
class Adjacency:
    """From each source pk, its far ends' pks: far[start[pk]:start[pk + 1]]; with the
    edges added since it was built (`extra`, an Adjacency of its own) and those removed
    (`gone`: sorted codes source * SHIFT + far), from the change log (applied())."""

    start: np.ndarray
    far: np.ndarray
    extra: "Added" = None
    gone: np.ndarray = None

    @classmethod
    def of(cls, sources, fars, size):
        order = np.lexsort((fars, sources))  # by source, then far end: a stable answer
        start = np.zeros(size + 1, dtype=np.int64)
        np.cumsum(np.bincount(sources, minlength=size), out=start[1:])
        return cls(start, fars[order])

    def gather(self, pks):
        """(sources, far ends) of every edge leaving `pks`, one pair an edge."""
        within = pks[pks < len(self.start) - 1]  # a node newer than the arrays has no edges
        starts, counts = self.start[within], self.start[within + 1] - self.start[within]
        offsets = np.repeat(starts - np.cumsum(counts) + counts, counts)
        near, far = np.repeat(within, counts), self.far[offsets + np.arange(offsets.size)]
        if self.gone is not None and len(self.gone):
            codes = near * SHIFT + far
            at = np.minimum(np.searchsorted(self.gone, codes), len(self.gone) - 1)
            kept = self.gone[at] != codes
            near, far = near[kept], far[kept]
        if self.extra is not None:
            more_near, more_far = self.extra.gather(pks)
            near, far = np.concatenate([near, more_near]), np.concatenate([far, more_far])
        return near, far

    def changed(self, sources, fars, gone_sources, gone_fars):
        """This Adjacency as built, with `sources` -> `fars` added since and the edges
        gone_sources -> gone_fars removed since."""
        extra = Added.of(sources, fars) if len(sources) else None
        gone = np.sort(gone_sources * SHIFT + gone_fars) if len(gone_sources) else None
        return Adjacency(self.start, self.far, extra, gone)


@dataclass(frozen=True)
class Added:
    """Edges added since a build: far[i] leaves source[i], by source. Looked up by
    binary search: a few edges need no array as long as the nodes."""

    source: np.ndarray
    far: np.ndarray

    @classmethod
    def of(cls, sources, fars):
        order = np.lexsort((fars, sources))
        return cls(sources[order], fars[order])

    def gather(self, pks):
        begin = np.searchsorted(self.source, pks)
        counts = np.searchsorted(self.source, pks, side="right") - begin
        offsets = np.repeat(begin - np.cumsum(counts) + counts, counts)
        return np.repeat(pks, counts), self.far[offsets + np.arange(offsets.size)]


SHIFT = 1 << 31  # pks stay below it: a (source, far) pair as one int64


@dataclass(frozen=True)
class Index:
    tick: int
    from_versions: dict  # direction -> Adjacency from versions to runs
    from_runs: dict  # direction -> Adjacency from runs to versions
    job_codes: np.ndarray  # run pk -> its job type's number in job_names
    job_names: np.ndarray  # the distinct job types, by number (objects: the strings)
    run_projects: np.ndarray  # run pk -> its project's pk
    sequences: np.ndarray  # version pk -> its sequence's pk
    flags: np.ndarray  # version pk -> (generated, deleted)
    sequence_types: np.ndarray  # sequence pk -> its type (objects)
    sequence_names: np.ndarray  # sequence pk -> its name (objects)
    sequence_projects: np.ndarray  # sequence pk -> its project's pk
    edges: int
    added: frozenset = frozenset()  # (run, version, uses) edges added since the build
    removed: frozenset = frozenset()  # and removed since

    def nbytes(self):
        """The arrays' size (a job type's string is shared, counted once in the database)."""
        adjacencies = [*self.from_versions.values(), *self.from_runs.values()]
        arrays = [self.job_codes, self.job_names, self.run_projects, self.sequences, self.flags]
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
            return near, far, (self.job_names[self.job_codes[far]], self.run_projects[far])
        flags = self.flags[far]
        return near, far, (self.sequences[far], flags[:, 0], flags[:, 1])

    def sequence_rows(self, pks):
        """{sequence pk: (type, name, project pk)}, as lineage.sql.sequences answers."""
        pks = np.fromiter(pks, np.int64, len(pks))
        pks = pks[pks < len(self.sequence_projects)]
        columns = (self.sequence_types, self.sequence_names, self.sequence_projects)
        found = [column[pks].tolist() for column in columns]
        return dict(zip(pks.tolist(), zip(*found, strict=True), strict=True))

    def applied(self, tick, changes, runs, versions, sequences):
        """This index with `changes` applied (LineageChange rows (tick, kind, a, b, c), in
        order) and the rows of the runs, versions and sequences they touch (read()'s
        shapes), true at `tick`."""
        added, removed = set(self.added), set(self.removed)
        for _, kind, run, version, uses in changes:
            edge = (run, version, bool(uses))
            if kind == EDGE_ADDED:
                (removed.discard if edge in removed else added.add)(edge)
            elif kind == EDGE_REMOVED:
                (added.discard if edge in added else removed.add)(edge)
        built = self.edges - len(self.added) + len(self.removed)
        index = replace(
            self,
            tick=tick,
            added=frozenset(added),
            removed=frozenset(removed),
            edges=built + len(added) - len(removed),
        )
        return (
            index._with_runs(runs)._with_versions(versions)._with_sequences(sequences)._with_edges()
        )

    def _with_runs(self, rows):
        if not rows:
            return self
        pks, projects, types = zip(*rows, strict=True)
        size = max(len(self.job_codes), max(pks) + 1)
        numbers = {name: code for code, name in enumerate(self.job_names.tolist())}
        codes = [numbers.setdefault(name, len(numbers)) for name in types]
        return replace(
            self,
            job_codes=_patched(self.job_codes, pks, codes, size),
            job_names=_names(numbers),
            run_projects=_patched(self.run_projects, pks, projects, size),
        )

    def _with_versions(self, rows):
        if not rows:
            return self
        pks, sequences, generated, deleted = zip(*rows, strict=True)
        size = max(len(self.sequences), max(pks) + 1)
        flags = [(bool(g), bool(d)) for g, d in zip(generated, deleted, strict=True)]
        return replace(
            self,
            sequences=_patched(self.sequences, pks, sequences, size),
            flags=_patched(self.flags, pks, flags, size),
        )

    def _with_sequences(self, rows):
        if not rows:
            return self
        pks, types, names, projects = zip(*rows, strict=True)
        size = max(len(self.sequence_projects), max(pks) + 1)
        return replace(
            self,
            sequence_types=_patched(self.sequence_types, pks, types, size),
            sequence_names=_patched(self.sequence_names, pks, names, size),
            sequence_projects=_patched(self.sequence_projects, pks, projects, size),
        )

    def _with_edges(self):
        """The adjacencies as built, with the edges added and removed since."""
        run, version, uses = _edge_columns(self.added)
        gone_run, gone_version, gone_uses = _edge_columns(self.removed)
        from_versions, from_runs = {}, {}
        for way, mask, gone in ((USES, uses, gone_uses), (LOGS, ~uses, ~gone_uses)):
            from_versions[way] = self.from_versions[way].changed(
                version[mask], run[mask], gone_version[gone], gone_run[gone]
            )
            from_runs[way] = self.from_runs[way].changed(
                run[mask], version[mask], gone_run[gone], gone_version[gone]
            )
        return replace(self, from_versions=from_versions, from_runs=from_runs)

    def unseen(self):
        """Fresh masks of the nodes a walk has met, for Graph's walk on the index: the
        versions' (index 0) and the runs' (index 1), as a key's low bit says."""
        return tuple(np.zeros(len(a), dtype=bool) for a in (self.sequences, self.job_codes))


def _patched(array, pks, values, size):
    """A copy of `array`, at least `size` long (with room to grow into: new runs and
    versions come one after another), with `values` at `pks`."""
    if size <= len(array):
        grown = array.copy()
    else:
        grown = np.zeros((size + max(size // 16, 1024), *array.shape[1:]), dtype=array.dtype)
        grown[: len(array)] = array
    grown[list(pks)] = values
    return grown


def _names(numbers):
    """The job types numbered in `numbers` ({name: number}), as an array by number."""
    names = np.empty(len(numbers), dtype=object)
    names[list(numbers.values())] = list(numbers)
    return names


def _edge_columns(edges):
    """(runs, versions, uses?) arrays of (run, version, uses) edges."""
    array = np.array(sorted(edges), dtype=np.int64).reshape(-1, 3)
    return array[:, 0], array[:, 1], array[:, 2].astype(bool)


def rows(near, far, info, way, from_versions):
    """What Index.gather gives, as sql.hop's rows (run pk, version pk, direction, *info)."""
    runs, versions = (far, near) if from_versions else (near, far)
    columns = [c.tolist() for c in (runs, versions, *info)]
    return list(zip(*columns[:2], repeat(way, len(far)), *columns[2:], strict=True))


def current():
    """This process's index if it is true for this connection (its tick is the one the
    connection sees, or the changes since it were applied: caught_up()), else None,
    asking for a rebuild."""
    index = _index
    if index is None:
        return None
    tick = clock()
    if tick == index.tick:
        return index
    if tick is not None and not connection.in_atomic_block:  # never a transaction's own
        with _catching_up:
            index = _index  # another thread may have caught up meanwhile
            caught = index if index is None or index.tick == tick else caught_up(index)
        if caught is not None:
            return caught
    wanted()
    return None


TICK = "SELECT tick FROM registry_lineageclock WHERE id = 1"


def clock():
    """The tick as this connection sees it; None before the first change (or a flush).
    Asked before every walk of a process that holds an index: a prepared statement on
    PostgreSQL (sql.query), 0.1 ms less than one bound client-side."""
    rows = sql.query(TICK, [])
    return rows[0][0] if rows else None


KEEP_TICKS = 100_000  # the change log keeps this many ticks; an index further behind builds
PRUNE_EVERY = 10_000  # ticks between two prunings of the change log by one process
OVERLAY_MAX = 100_000  # edges changed since a build past which a process builds again
EDGE_ADDED, EDGE_REMOVED, RUN, VERSION, SEQUENCE, ALL_EDGES_REMOVED = (
    LineageChange.Kind.EDGE_ADDED,
    LineageChange.Kind.EDGE_REMOVED,
    LineageChange.Kind.RUN,
    LineageChange.Kind.VERSION,
    LineageChange.Kind.SEQUENCE,
    LineageChange.Kind.ALL_EDGES_REMOVED,
)


def caught_up(index):
    """`index` with the changes since its tick applied (registry.models.LineageChange),
    read in one snapshot with that snapshot's tick, made this process's; None where they
    cannot be: the log lacks a tick (pruned, or the tables were emptied since), every
    edge went at once, or the clock is gone."""
    global _index
    try:
        with connection.cursor() as cursor:
            cursor.execute(BEGIN[connection.vendor])
            try:
                found = _changes_since(cursor, index.tick)
            finally:
                cursor.execute("COMMIT")
    except DatabaseError:  # the view walks by SQL instead; a build will try its own read
        log.exception("Reading the lineage change log failed")
        return None
    if found is None:
        return None
    caught = index.applied(*found)
    if _index is index:  # a build that finished meanwhile stays
        _index = caught
    if len(caught.added) + len(caught.removed) > OVERLAY_MAX:
        wanted()
    elif caught.tick - _pruned_at >= PRUNE_EVERY:  # a process that never builds prunes too
        prune = threading.Thread(target=_prune_and_close, args=[caught.tick], name="lineage-prune")
        prune.start()
    return caught


def _changes_since(cursor, since):
    """(tick, changes, runs, versions, sequences) since tick `since` as `cursor` sees
    them: every tick's changes in order, and the rows of the runs, versions and
    sequences they touch (read()'s shapes); None where the log cannot say."""
    cursor.execute(TICK)
    row = cursor.fetchone()
    if row is None or not since < row[0] <= since + KEEP_TICKS:
        return None
    tick = row[0]
    cursor.execute(
        f"SELECT tick, kind, a, b, c FROM {LineageChange._meta.db_table}"
        " WHERE tick > %s AND tick <= %s ORDER BY tick, id",
        [since, tick],
    )
    changes = cursor.fetchall()
    if len({change[0] for change in changes}) != tick - since:  # every tick writes a row
        return None
    if any(change[1] == ALL_EDGES_REMOVED for change in changes):
        return None
    runs = {a for _, kind, a, _, _ in changes if kind in (RUN, EDGE_ADDED)}
    versions = {a for _, kind, a, _, _ in changes if kind == VERSION}
    versions |= {b for _, kind, _, b, _ in changes if kind == EDGE_ADDED}
    run_rows = _rows_of(cursor, RUNS + " WHERE id ", runs)
    version_rows = _rows_of(cursor, VERSIONS + " WHERE id ", versions)
    sequences = {a for _, kind, a, _, _ in changes if kind == SEQUENCE}
    sequences |= {row[1] for row in version_rows}
    sequence_rows = _rows_of(cursor, SEQUENCES + " AND id ", sequences, KIND)
    return tick, changes, run_rows, version_rows, sequence_rows


def _rows_of(cursor, select, pks, params=()):
    if not pks:
        return []
    where, where_params = sql.id_list(pks)
    cursor.execute(select + where, [*params, *where_params])
    return cursor.fetchall()


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
        if _index is not None:
            _prune(_index.tick)
        return _index
    finally:
        _building.release()


def _prune(tick):
    """Drop what the change log holds of ticks more than KEEP_TICKS before `tick` (an
    index that far behind builds again rather than applying them)."""
    global _pruned_at
    _pruned_at = tick
    table = LineageChange._meta.db_table
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table} WHERE tick < %s", [tick - KEEP_TICKS])
    except OperationalError:  # SQLite busy with a writer: the next pruning tries again
        log.warning("Pruning the lineage change log failed", exc_info=True)


def _prune_and_close(tick):
    try:
        _prune(tick)
    finally:
        connections.close_all()  # this thread's own connection


def forget():
    """Drop this process's index (tests: a flushed database starts from nothing)."""
    global _index, _last_build, _pruned_at
    _index, _last_build, _pruned_at = None, float("-inf"), float("-inf")


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
    for rows in _fetched(cursor, RUNS):
        pk, project, job_type = zip(*rows, strict=True)
        pks += pk
        projects += project
        job_types += job_type
    runs = (np.array(pks, dtype=np.int64), np.array(projects, dtype=np.int64), job_types)
    versions = _int_rows(cursor, VERSIONS, width=4)
    sequences = [row for rows in _fetched(cursor, SEQUENCES, KIND) for row in rows]
    return tick and tick[0], edges, runs, versions, sequences


RUNS = "SELECT id, project_id, job_type FROM registry_run"
VERSIONS = "SELECT id, sequence_id, generated, deleted_at IS NOT NULL FROM registry_artifactversion"
SEQUENCES = (
    f"SELECT id, type, name, project_id FROM {ArtifactCollection._meta.db_table} WHERE kind = %s"
)
KIND = [ArtifactCollection.Kind.SEQUENCE.value]


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
        job_codes=job_codes,
        job_names=_names(numbers),
        run_projects=run_projects,
        sequences=sequences,
        flags=flags,
        sequence_types=sequence_types,
        sequence_names=sequence_names,
        sequence_projects=sequence_projects,
        edges=len(edges),
    )
