"""Design probe: what a hub's view would cost with the edges held in memory as arrays.

    .venv/bin/python bench/floor_probe.py [--edges 1000000] [--repeat 15]

Not the engine. lineage_bench.py compares the engine with networkx walking the same edges
in memory (the floor), and the engine stays 2.4-6x above it for hub views: a hop's rows
come from the database and every node reached then costs Python work in each stage
(bench/README.md). This probe measures the design that would take both away, before
anyone builds it: the edge table as compressed adjacency arrays (CSR, numpy), walked a
whole frontier at a time, with the hub view's per-node work done on arrays too: levels,
the generated filter, clusters by (level, kind, group, anchor) as compute() forms them,
their counts and first MEMBERS_LISTED members. It leaves out what touches few nodes
(display rows, render, markers), what irregular walks need (several neighbours toward the
base, path edges past removed nodes, extended lineage: it counts such nodes and says so),
access (a per-node project/deleted lookup, one more array gather), and what an engine
would need to keep the arrays true while runs log (a change feed in commit order).

It runs in its own virtualenv (bench/.venv-probe: numpy and networkx), on the CSV graph
lineage_bench.py generates and the SQLite database it loads (run that first). First, in
the app's virtualenv, the engine answers the same views on that database; the probe then
checks its clusters (level, kind, count, first members) are the engine's, times both
sides in one process, alternating, and prints one table; also the arrays' size and the
time to build them from the CSV files and to read the edge table out of the database.
Before all that, it times what a change log's trigger would add to inserting an edge.
"""

import argparse
import csv
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

BENCH = Path(__file__).resolve().parent
VENV = BENCH / ".venv-probe"
PACKAGES = ["numpy==2.4.6", "networkx==3.4.2"]
CLUSTER_MIN, MEMBERS_LISTED = 5, 50  # as lineage/engine.py's
USES, LOGS = 0, 1  # edges.csv's directions


HOPS = (1, 3, 6)


def in_probe_venv(folder, database):
    """Unless already in bench/.venv-probe: write the engine's clusters of the hub's views
    (engine_clusters) and re-run this script there (made on first use)."""
    python = VENV / "bin" / "python"
    if Path(sys.prefix).resolve() == VENV.resolve():
        return
    (folder / "engine-hub.json").write_text(json.dumps(engine_clusters(folder, database)))
    print_change_log_cost()
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(VENV / "bin" / "pip"), "install", "--quiet", *PACKAGES], check=True)
    os.execv(str(python), [str(python), *sys.argv])


# What keeping arrays true would add to every write: a change log filled by a trigger on
# the edge table, against none, inserting edges 100 a transaction into scratch tables
# shaped like registry_lineageedge (SQLite in memory; PostgreSQL's `test` database).
EDGES = [(i // 3 + 1, i + 1, "uses" if i % 2 else "logs") for i in range(20_000)]
SQLITE_LOG = """CREATE TRIGGER probe_note AFTER INSERT ON probe_edge BEGIN
  INSERT INTO probe_change (run_id, version_id) VALUES (NEW.run_id, NEW.version_id); END"""
PG_LOG = [
    """CREATE FUNCTION pg_temp.probe_note() RETURNS trigger AS $$ BEGIN
      INSERT INTO probe_change (xid, run_id, version_id)
      VALUES (pg_current_xact_id()::text::bigint, NEW.run_id, NEW.version_id);
      RETURN NULL; END $$ LANGUAGE plpgsql""",
    "CREATE TRIGGER probe_note AFTER INSERT ON probe_edge FOR EACH ROW"
    " EXECUTE FUNCTION pg_temp.probe_note()",
]
SCRATCH = [
    "CREATE TEMP TABLE probe_edge (id {serial} PRIMARY KEY, run_id bigint, version_id bigint,"
    " direction text)",
    "CREATE INDEX probe_run ON probe_edge (run_id, direction)",
    "CREATE INDEX probe_version ON probe_edge (version_id, direction)",
    "CREATE TEMP TABLE probe_change (id {serial} PRIMARY KEY, xid bigint, run_id bigint,"
    " version_id bigint)",
]


def insert_edges(connection, cursor, mark):
    """µs an edge, inserting EDGES 100 a transaction; `mark` is the driver's placeholder."""
    sql = f"INSERT INTO probe_edge (run_id, version_id, direction) VALUES ({mark}, {mark}, {mark})"
    started = time.perf_counter()
    for start in range(0, len(EDGES), 100):
        cursor.executemany(sql, EDGES[start : start + 100])
        connection.commit()
    return (time.perf_counter() - started) * 1e6 / len(EDGES)


def sqlite_insert(logged):
    connection = sqlite3.connect(":memory:")
    for statement in SCRATCH + ([SQLITE_LOG] if logged else []):
        connection.execute(statement.format(serial="INTEGER"))
    return insert_edges(connection, connection.cursor(), "?")


def postgres_insert(logged):
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test") as connection:
        with connection.cursor() as cursor:
            for statement in SCRATCH + (PG_LOG if logged else []):
                cursor.execute(statement.format(serial="bigserial"))
            connection.commit()
            return insert_edges(connection, cursor, "%s")


def print_change_log_cost():
    rows = []
    for name, insert in (("SQLite", sqlite_insert), ("PostgreSQL", postgres_insert)):
        try:
            none, logged = (statistics.median(insert(on) for _ in range(3)) for on in (0, 1))
        except Exception as error:  # PostgreSQL not running here: say so, go on
            rows.append((name, "-", "-", f"not measured: {type(error).__name__}"))
            continue
        rows.append((name, f"{none:.1f}", f"{logged:.1f}", f"{logged / none:.2f}x"))
    print(f"An edge inserted, {len(EDGES):,} of them 100 a transaction, median of 3 (µs)")
    print_table(("database", "no trigger", "change log trigger", "ratio"), rows)
    print()


def engine_clusters(folder, database):
    """{hops: sorted [level, kind, count, first member indexes]} of the engine's answer for
    the hub dataset on lineage_bench.py's SQLite database (the app's virtualenv)."""
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    sys.path.insert(0, str(BENCH.parent))
    import django

    django.setup()
    from lineage.engine import View, lineage_view

    _, index = json.loads((folder / "bases.json").read_text())["hub dataset"]
    found = {}
    for hops in HOPS:
        answer = lineage_view(f"artifact:{index + 1}", View(upstream=hops, downstream=hops))
        clusters = [
            n["data"] for n in answer["elements"]["nodes"] if n["data"]["kind"] == "cluster"
        ]
        found[hops] = sorted(
            [
                c["level"],
                c["clusterKind"],
                c["count"],
                [int(m["id"].split(":")[1]) - 1 for m in c["members"]],
            ]
            for c in clusters
        )
    return found


class Arrays:
    """The graph as arrays indexed by CSV row (run or version index), and four CSRs."""

    def __init__(self, folder, np):
        self.np = np
        rows = lambda name: list(csv.reader(open(folder / name, newline="")))  # noqa: E731
        edges = np.array(rows("edges.csv"), dtype=np.int64)
        runs = [job_type for (job_type,) in rows("runs.csv")]
        self.job_types, self.job = np.unique(np.array(runs), return_inverse=True)
        versions = np.array(rows("versions.csv"), dtype=np.int64)  # sequence, index, generated
        sequences = rows("sequences.csv")  # name, type
        self.types, seq_type = np.unique(np.array([t for _, t in sequences]), return_inverse=True)
        self.sequence = versions[:, 0]
        self.type_of = seq_type[self.sequence]
        # The generated filter by the flag alone: the benchmark's generated code versions
        # have it (the engine also goes by type and name, registry.models.is_generated).
        self.removed = versions[:, 2] == 1
        run, version, direction = edges.T
        n_runs, n_versions = len(runs), len(versions)
        self.adjacency = {}  # (from versions?, upstream?) -> (indptr, neighbours)
        for (from_v, up), d in {(1, 0): USES, (1, 1): LOGS, (0, 0): LOGS, (0, 1): USES}.items():
            keep = direction == d
            source, target = (version, run) if from_v else (run, version)
            self.adjacency[from_v, up] = self._csr(
                source[keep], target[keep], n_versions if from_v else n_runs
            )
        self.sizes = (n_runs, n_versions)

    def _csr(self, source, target, n):
        np = self.np
        order = np.argsort(source, kind="stable")
        indptr = np.zeros(n + 1, np.int64)
        np.add.at(indptr, source + 1, 1)
        return np.cumsum(indptr), target[order]

    def nbytes(self):
        arrays = [self.job, self.sequence, self.type_of, self.removed]
        arrays += [a for pair in self.adjacency.values() for a in pair]
        return sum(a.nbytes for a in arrays)

    def hop(self, frontier, from_versions, upstream):
        """(parent, neighbour) pairs of every edge out of the frontier, in one gather."""
        np = self.np
        indptr, targets = self.adjacency[from_versions, upstream]
        starts, lengths = indptr[frontier], indptr[frontier + 1] - indptr[frontier]
        before = np.cumsum(lengths) - lengths
        picks = np.repeat(starts - before, lengths) + np.arange(int(lengths.sum()))
        return np.repeat(frontier, lengths), targets[picks]


def walk(graph, base, hops, upstream, seen):
    """[(level, to runs?, new nodes, their first parent, their parent count)] one way."""
    np = graph.np
    found, frontier, from_versions = [], np.array([base]), 1
    for hop in range(1, hops + 1):
        if not len(frontier):
            break
        parents, reached = graph.hop(frontier, from_versions, upstream)
        to_runs = from_versions
        fresh = ~seen[to_runs][reached]
        parents, reached = parents[fresh], reached[fresh]
        new, first, counts = np.unique(reached, return_index=True, return_counts=True)
        seen[to_runs][new] = True
        level = -hop if upstream else hop
        found.append((level, to_runs, new, parents[first], counts))
        frontier, from_versions = new, 1 - from_versions
    return found


def cluster(graph, levels):
    """{(level, kind, count): first members} of one direction's clusters, and how many
    nodes the probe leaves to per-node work (several parents; reached past a removed node)."""
    np = graph.np
    clusters, irregular = {}, 0
    near_cluster = near_removed = None  # of the previous level's nodes, by node index
    for level, to_runs, new, parent, counts in levels:
        irregular += int((counts > 1).sum())
        kept = np.ones(len(new), bool) if to_runs else ~graph.removed[new]
        group = graph.job[new] if to_runs else graph.sequence[new]
        anchor = -1 - parent  # a node anchors as itself, a cluster as its number
        if near_cluster is not None:
            irregular += int(near_removed[parent].sum())
            in_cluster = near_cluster[parent] >= 0
            anchor = np.where(in_cluster, near_cluster[parent], anchor)
            if not to_runs:  # beside a cluster, versions group by type, not sequence
                group = np.where(in_cluster, -1 - graph.type_of[new], group)
        keys = (group[kept].astype(np.int64) << 32) ^ (anchor[kept] & 0xFFFFFFFF)
        members = new[kept]
        order = np.lexsort((members, keys))
        keys, members = keys[order], members[order]
        starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
        sizes = np.diff(np.r_[starts, len(keys)])
        number = np.full(graph.sizes[0] if to_runs else graph.sizes[1], -1, np.int64)
        big = np.flatnonzero(sizes >= CLUSTER_MIN)
        for i, start in enumerate(starts[big]):
            size = int(sizes[big[i]])
            number[members[start : start + size]] = len(clusters)
            first = members[start : start + MEMBERS_LISTED].tolist()
            clusters[level, "run" if to_runs else "artifact", size, len(clusters)] = first
        near_cluster = number
        near_removed = np.zeros(len(number), bool)
        if not to_runs:
            near_removed[new] = graph.removed[new]
    return clusters, irregular


def arrays_view(graph, base, hops):
    np = graph.np
    seen = {0: np.zeros(graph.sizes[1], bool), 1: np.zeros(graph.sizes[0], bool)}
    seen[0][base] = True
    up = walk(graph, base, hops, 1, seen)
    down = walk(graph, base, hops, 0, seen)
    (up_clusters, up_odd), (down_clusters, down_odd) = cluster(graph, up), cluster(graph, down)
    nodes = 1 + sum(len(step[2]) for step in up + down)
    return nodes, {**up_clusters, **down_clusters}, up_odd + down_odd


def networkx_view(nx, graph, reverse, base, hops):
    down = nx.single_source_shortest_path_length(graph, base, cutoff=hops)
    up = nx.single_source_shortest_path_length(reverse, base, cutoff=hops)
    return len(json.dumps(sorted(set(down) | set(up))))


def networkx_graph(nx, folder):  # lineage_peers.networkx_graph's
    graph = nx.DiGraph()
    for run, version, direction in csv.reader(open(folder / "edges.csv", newline="")):
        run, version = ("r", int(run)), ("a", int(version))
        graph.add_edge(*((version, run) if direction == "0" else (run, version)))
    return graph


def p50_best(times):
    return f"{statistics.median(times) * 1e3:.1f} / {min(times) * 1e3:.1f}"


def side_by_side(functions, repeat):
    """{name: seconds of each timed call}, the functions called in turn, two warm-ups."""
    times = {name: [] for name in functions}
    for _ in range(repeat + 2):
        for name, function in functions.items():
            started = time.perf_counter()
            function()
            times[name].append(time.perf_counter() - started)
    return {name: found[2:] for name, found in times.items()}


def read_edge_table(database, np):
    """Seconds to read the edge table out of an SQLite database into an array."""
    started = time.perf_counter()
    with sqlite3.connect(database) as connection:
        rows = connection.execute("SELECT run_id, version_id FROM registry_lineageedge")
        np.array(rows.fetchall(), dtype=np.int64)
    return time.perf_counter() - started


def print_table(columns, rows):
    widths = [max(len(str(c)), *(len(str(r[i])) for r in rows)) for i, c in enumerate(columns)]
    for row in (columns, ["-" * w for w in widths], *rows):
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--edges", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    folder = BENCH / "out" / f"graph-{args.edges}"
    database = BENCH / "out" / f"lineage-{args.edges}.sqlite3"
    if not (folder / "edges.csv").exists() or not database.exists():
        sys.exit(f"No {folder} or {database}: run bench/lineage_bench.py --edges {args.edges}.")
    in_probe_venv(folder, database)
    import networkx as nx
    import numpy as np

    engine = json.loads((folder / "engine-hub.json").read_text())
    started = time.perf_counter()
    graph = Arrays(folder, np)
    built = time.perf_counter() - started
    nx_graph = networkx_graph(nx, folder)
    reverse = nx_graph.reverse(copy=False)
    kind, index = json.loads((folder / "bases.json").read_text())["hub dataset"]
    assert kind == "artifact"
    rows = []
    for hops in HOPS:
        nodes, clusters, odd = arrays_view(graph, index, hops)
        ours = sorted([lv, kind, n, first] for (lv, kind, n, _), first in clusters.items())
        if ours != engine[str(hops)]:
            shape = [c[:3] for c in engine[str(hops)]]  # (level, kind, count); members checked too
            sys.exit(f"At {hops} hops the probe's clusters are not the engine's {shape}.")
        times = side_by_side(
            {
                "networkx": partial(networkx_view, nx, nx_graph, reverse, ("a", index), hops),
                "arrays": partial(arrays_view, graph, index, hops),
            },
            args.repeat,
        )
        ratio = statistics.median(times["arrays"]) / statistics.median(times["networkx"])
        shapes = ", ".join(f"{lv}: {n:,} {k}s" for lv, k, n, _ in sorted(clusters))
        rows.append(
            (hops, f"{nodes:,}", p50_best(times["networkx"]), p50_best(times["arrays"]))
            + (f"{ratio:.2f}x", odd, shapes)
        )
    print(f"Hub dataset, {args.edges:,} edges, {args.repeat} runs each, alternating (ms)")
    columns = ("hops", "nodes", "networkx p50 / best", "arrays p50 / best", "arrays/nx")
    print_table(columns + ("irregular nodes", "clusters (level: members), the engine's"), rows)
    print(f"\narrays: {graph.nbytes() / 2**20:.0f} MiB, built from the CSV files in {built:.1f} s")
    seconds = read_edge_table(database, np)
    print(f"the edge table read out of {database.name} into an array: {seconds:.1f} s")


if __name__ == "__main__":
    main()
