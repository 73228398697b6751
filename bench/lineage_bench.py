"""Lineage engine benchmark: ~1,000,000 edges, SQLite and PostgreSQL, beside two peers.

    .venv/bin/python bench/lineage_bench.py [--edges 1000000] [--repeat 15] [--engine-only]

1. Generates a synthetic registry with a realistic shape (chains of preprocessing, hub
   datasets used by thousands of training runs, sweeps logging versions of one model,
   generated code artifacts, evaluation runs reading a model and a holdout set) into
   bench/out/graph-<edges>/ as CSV files.
2. Loads it into an SQLite file and a PostgreSQL database (`lineage_bench` on
   127.0.0.1:5432) with the app's own schema, and times `lineage.engine.lineage_view`
   (default view: clusters on) end to end, JSON included, in one subprocess per database,
   each case by both walks in turns: by SQL, and on the edges in memory (lineage.index,
   built first and checked to give every case's answer exactly as the SQL walk does).
3. Times the peers on the same edges in their own virtualenv (bench/.venv-mlmd, created
   here, because ml-metadata 1.17.1 pins protobuf<5): networkx walking the edges in
   memory (the floor) and ML Metadata's get_lineage_subgraph with its artifacts and
   executions filled in. One hop is one edge everywhere; each case walks `hops` upstream
   and `hops` downstream (two MLMD queries, UPSTREAM then DOWNSTREAM).
4. Prints one table: p50 and p95 per case, the answer's size, and ratios to each peer.

`--engine-only` skips the peers and prints the engine's times with the share of them
Python's cyclic garbage collector took (it runs, as in the server, during every view).
"""

import argparse
import csv
import gc
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

from stats import p95

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out"
PEER_VENV = BENCH / ".venv-mlmd"
PG_URL = "postgres://postgres@127.0.0.1:5432/lineage_bench"
HOPS = (1, 3, 6)


# ---- 1. the synthetic graph -------------------------------------------------------------


def generate(edges_wanted, folder, seed=7):
    """Write sequences.csv, versions.csv, runs.csv, edges.csv and bases.json."""
    rng = random.Random(seed)
    sequences, versions, runs, edges = [], [], [], []

    def sequence(name, type):
        sequences.append((name, type))
        return len(sequences) - 1

    def version(seq, generated=False):
        versions.append([seq, 0, int(generated)])  # numbered by _fix_version_indexes
        return len(versions) - 1

    def run(job_type):
        runs.append(job_type)
        return len(runs) - 1

    chains = max(20, edges_wanted // 500)
    splits, mid_chain_run = [], None
    for c in range(chains):  # raw -> clean -> features -> split, three preprocess runs
        current = version(sequence(f"raw-{c}", "dataset"))
        for stage in ("clean", "features", "split"):
            step = run("preprocess")
            edges.append((step, current, 0))
            current = version(sequence(f"{stage}-{c}", "dataset"))
            edges.append((step, current, 1))
            if c == 0 and stage == "features":
                mid_chain_run = step
        splits.append(current)
    hubs = splits[:40]
    holdouts = [version(sequence(f"holdout-{h}", "dataset")) for h in range(50)]
    budget = edges_wanted - len(edges)
    sweeps = max(1, int(budget / 4.13 / 12))
    models_by_sweep = []
    for s in range(sweeps):
        if rng.random() < 0.7:  # most sweeps train on a hub; hub 0 is the busiest
            dataset = hubs[0] if rng.random() < 0.1 else rng.choice(hubs)
        else:
            dataset = rng.choice(splits)
        model_seq, code_seq = sequence(f"model-{s}", "model"), sequence(f"source-{s}.py", "code")
        models = []
        for _ in range(12):
            train = run("train")
            edges.append((train, dataset, 0))
            models.append(version(model_seq))
            edges.append((train, models[-1], 1))
            if rng.random() < 1 / 3:
                edges.append((train, version(code_seq, generated=True), 1))
        models_by_sweep.append(models)
        eval_seq = sequence(f"eval-{s}", "evaluation")
        for model in models:
            if rng.random() < 0.6:
                evaluation = run("eval")
                edges += [(evaluation, model, 0), (evaluation, rng.choice(holdouts), 0)]
                edges.append((evaluation, version(eval_seq), 1))
    evaluated = {v for _, v, direction in edges if direction == 0}
    leaf = next(m for models in models_by_sweep for m in models if m in evaluated)
    bases = {
        "leaf model": ["artifact", leaf],
        "hub dataset": ["artifact", hubs[0]],
        "mid-chain run": ["run", mid_chain_run],
    }
    _fix_version_indexes(versions)
    folder.mkdir(parents=True, exist_ok=True)
    _write(folder / "sequences.csv", sequences)
    _write(folder / "versions.csv", versions)
    _write(folder / "runs.csv", [(job,) for job in runs])
    _write(folder / "edges.csv", edges)
    (folder / "bases.json").write_text(json.dumps(bases))
    return len(edges)


def _fix_version_indexes(versions):
    counts = {}
    for row in versions:
        row[1] = counts.get(row[0], 0)
        counts[row[0]] = row[1] + 1


def _write(path, rows):
    with open(path, "w", newline="") as out:
        csv.writer(out).writerows(rows)


def read(folder, name):
    with open(folder / name, newline="") as stream:
        return list(csv.reader(stream))


# ---- 2. the engine on a real database (runs in a subprocess per database) --------------


def engine_worker(folder, database_url, repeat):
    """Time the views on one database, each case by both walks alternating: by SQL
    ("sql") and on the edges in memory ("index": lineage.index, built first; every
    answer checked against the SQL walk's). {walk: {case: times...}, "built": ...}."""
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["LINEAGE_INDEX_NODES"] = "0"  # built here when asked for, not by a view
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection, transaction

    from lineage import index
    from lineage.engine import View, lineage_view

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM registry_lineageedge")
        if cursor.fetchone()[0] == 0:
            started = time.perf_counter()
            load(folder, connection)
            print(f"  loaded in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    cases = list(_cases(json.loads((folder / "bases.json").read_text()), View))
    by_sql = [json.dumps(lineage_view(node, view)) for _, node, view in cases]
    started = time.perf_counter()
    walks = {"sql": None, "index": index.build()}
    built = {"seconds": time.perf_counter() - started, "bytes": walks["index"].nbytes()}
    assert [json.dumps(lineage_view(node, view)) for _, node, view in cases] == by_sql
    results = {walk: {} for walk in walks}
    with transaction.atomic():  # the signed-in user is rolled back: the data stays as loaded
        # The project's entity is their username: they see every node, as the trusted
        # caller does, through the access checks every page and API answer goes through.
        user = get_user_model().objects.create_user("bench")
        for (case, node, view), answer in zip(cases, by_sql, strict=True):
            assert json.dumps(lineage_view(node, view, user)) == answer
            for walk in walks:
                results[walk][case] = {"bytes": len(answer)}
            for name, who in (("times", None), ("user_times", user)):
                for walk, (spent, paused) in _alternating(walks, index, node, view, who, repeat):
                    results[walk][case][name] = spent
                    results[walk][case].setdefault("gc", paused)
        transaction.set_rollback(True)
    print(json.dumps({**results, "built": built}))


def _alternating(walks, index, node, view, who, repeat):
    """(walk, (seconds of each view, GC pauses in each)) of `repeat` views by each walk,
    taken in turns (two more first, not counted), so the machine's drift hits both."""
    from lineage.engine import lineage_view

    spent = {walk: ([], []) for walk in walks}
    for _ in range(repeat + 2):
        for walk, built in walks.items():
            index._index = built  # the process's index, or none: the SQL walk
            with gc_pauses() as pauses:
                started = time.perf_counter()
                json.dumps(lineage_view(node, view, who))
                spent[walk][0].append(time.perf_counter() - started)
            spent[walk][1].append(sum(pauses))
    return [(walk, (times[2:], paused[2:])) for walk, (times, paused) in spent.items()]


def _cases(bases, View):
    """("label|hops", node id, view) of every case, in the table's order."""
    for label, (kind, index) in bases.items():
        for hops in HOPS:
            yield f"{label}|{hops}", f"{kind}:{index + 1}", View(upstream=hops, downstream=hops)


class gc_pauses:
    """The seconds each cyclic garbage collection took inside the block."""

    def __enter__(self):
        self.pauses, self.started = [], None
        gc.callbacks.append(self._note)
        return self.pauses

    def __exit__(self, *exc):
        gc.callbacks.remove(self._note)

    def _note(self, phase, info):
        if phase == "start":
            self.started = time.perf_counter()
        elif self.started is not None:
            self.pauses.append(time.perf_counter() - self.started)


def load(folder, connection):
    """Bulk-load the CSV graph with the app's schema; ids are CSV row numbers + 1. A
    column not given here takes its field's default, so new columns need no change."""
    from django.db import transaction

    from registry.models import (
        ArtifactCollection,
        ArtifactVersion,
        LineageEdge,
        Membership,
        Project,
        Run,
    )

    now = "2026-01-01 00:00:00+00"
    sequences = read(folder, "sequences.csv")
    versions = read(folder, "versions.csv")
    runs = read(folder, "runs.csv")
    edges = read(folder, "edges.csv")
    tables = [
        (Project, "id entity name created_at", [(1, "bench", "synthetic", now)]),
        (
            ArtifactCollection,
            "id kind name type created_at next_index project_id",
            [
                (i + 1, "sequence", name, type, now, 0, 1)
                for i, (name, type) in enumerate(sequences)
            ],
        ),
        (
            ArtifactVersion,
            "id digest size file_count generated created_at sequence_id",
            [
                (i + 1, f"{i:032x}", 0, 1, bool(int(g)), now, int(s) + 1)
                for i, (s, _, g) in enumerate(versions)
            ],
        ),
        (
            Membership,
            "id index created_at collection_id version_id",
            [
                (i + 1, int(index), now, int(s) + 1, i + 1)
                for i, (s, index, _) in enumerate(versions)
            ],
        ),
        (
            Run,
            "id run_id name state job_type started_at project_id",
            [
                (i + 1, f"r{i:07d}", f"run-{i}", "finished", job, now, 1)
                for i, (job,) in enumerate(runs)
            ],
        ),
        (
            LineageEdge,
            "id direction created_at version_id run_id",
            [
                (i + 1, "logs" if d == "1" else "uses", now, int(v) + 1, int(r) + 1)
                for i, (r, v, d) in enumerate(edges)
            ],
        ),
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        for model, given, rows in tables:
            columns, defaults = _with_defaults(model, given.split(), connection)
            rows = [(*row, *defaults) for row in rows]
            table = f"{model._meta.db_table} ({', '.join(map(connection.ops.quote_name, columns))})"
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ",".join("?" * len(rows[0]))
                cursor.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
    with connection.cursor() as cursor:
        # PostgreSQL: VACUUM too, as autovacuum would soon after such a load (this machine's
        # server runs without it): index-only scans need the visibility map it sets.
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def _with_defaults(model, given, connection):
    """The given columns then every other column, with the values their defaults give."""
    columns, defaults = list(given), []
    for field in model._meta.concrete_fields:
        if field.column not in given:
            columns.append(field.column)
            value = field.get_db_prep_save(field.get_default(), connection)
            defaults.append(json.dumps(value) if isinstance(value, dict | list) else value)
    return columns, defaults


# ---- 3. the peers, in their own virtualenv -----------------------------------------------


def peer_python():
    python = PEER_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
        pip = [str(PEER_VENV / "bin" / "pip"), "install", "--quiet"]
        subprocess.run([*pip, "ml-metadata==1.17.1", "networkx==3.4.2"], check=True)
    return str(python)


def run_json(command, env=None):
    output = subprocess.run(command, check=True, capture_output=True, text=True, env=env)
    sys.stderr.write(output.stderr)
    return json.loads(output.stdout.strip().splitlines()[-1])


# ---- 4. the table -------------------------------------------------------------------------


def ms(seconds):
    return seconds * 1000


def table(columns, rows):
    widths = [max(len(str(c)), *(len(str(r[i])) for r in rows)) for i, c in enumerate(columns)]
    line = "  ".join(str(c).ljust(w) for c, w in zip(columns, widths, strict=True))
    print(line)
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))


SYSTEMS = {  # the engine's columns: a database and a walk (by SQL, or "-index": in memory)
    "sqlite": "SQLite",
    "sqlite-index": "in memory",
    "postgres": "PostgreSQL",
    "postgres-index": "in memory",
}


def report(edges, results, repeat):
    p50 = {k: {c: statistics.median(v["times"]) for c, v in r.items()} for k, r in results.items()}
    rows = []
    for case in results["sqlite"]:
        row = case.split("|")
        for system in (*SYSTEMS, "networkx", "mlmd"):
            slow = p95(results[system][case]["times"])
            row.append(f"{ms(p50[system][case]):.1f} / {ms(slow):.1f}")
        row += [results["sqlite"][case]["bytes"], results["mlmd"][case]["bytes"]]
        for peer in ("networkx", "mlmd"):
            row += [f"{p50[db][case] / p50[peer][case]:.2f}x" for db in SYSTEMS]
        rows.append(row)
    print(f"\nLineage engine, {edges:,} edges, {repeat} timed runs per case (p50 / p95 in ms)")
    print(f"machine: {os.cpu_count()} cores, {sys.platform}, Python {sys.version.split()[0]}\n")
    names = list(SYSTEMS.values())
    short = ["SQLite", "SQLite mem", "PG", "PG mem"]
    table(
        ["base", "hops", *names, "networkx", "MLMD", "our bytes", "MLMD bytes"]
        + [f"{name}/nx" for name in short]
        + [f"{name}/MLMD" for name in short],
        rows,
    )
    signed_in_report(results)


def signed_in_report(results):
    """The same views for a signed-in user who may see every node: the access checks'
    share."""
    rows = []
    for case in results["sqlite"]:
        row = case.split("|")
        for system in SYSTEMS:
            trusted = statistics.median(results[system][case]["times"])
            signed_in = statistics.median(results[system][case]["user_times"])
            row += [f"{ms(trusted):.1f}", f"{ms(signed_in):.1f}"]
        mlmd = results.get("mlmd", {}).get(case)
        if mlmd:
            user_pg = statistics.median(results["postgres-index"][case]["user_times"])
            row.append(f"{user_pg / statistics.median(mlmd['times']):.2f}x")
        rows.append(row)
    print("\nThe same views signed in (a user whose project it is), p50 in ms\n")
    columns = ["base", "hops"]
    for name in SYSTEMS.values():
        columns += [name, "signed in"]
    table(columns + (["PG mem signed in/MLMD"] if "mlmd" in results else []), rows)


def engine_report(edges, results, repeat):
    rows = []
    for case in results["sqlite"]:
        row = case.split("|")
        for system in SYSTEMS:
            result = results[system][case]
            p50, gc_p50 = statistics.median(result["times"]), statistics.median(result["gc"])
            row += [f"{ms(p50):.1f}", f"{gc_p50 / p50:.0%}"]
        rows.append(row + [results["sqlite"][case]["bytes"]])
    print(f"\nLineage engine, {edges:,} edges, {repeat} timed runs per case (p50 in ms)")
    print(f"machine: {os.cpu_count()} cores, {sys.platform}, Python {sys.version.split()[0]}\n")
    columns = ["base", "hops"]
    for name in SYSTEMS.values():
        columns += [name, "GC"]
    table(columns + ["bytes"], rows)
    signed_in_report(results)


def built_report(built):
    """How long each database took to give the index, and its size."""
    print()
    for system, info in built.items():
        database = SYSTEMS[system]
        print(
            f"edges in memory ({database}): built in {info['seconds']:.1f} s,"
            f" {info['bytes'] / 2**20:.0f} MiB of arrays"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--edges", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--engine-only", action="store_true", help="skip the peers")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    folder = OUT / f"graph-{args.edges}"
    if args.worker == "engine":
        return engine_worker(folder, args.database_url, args.repeat)
    if not (folder / "bases.json").exists():
        edges = generate(args.edges, folder)
    else:
        edges = sum(1 for _ in open(folder / "edges.csv"))
    print(f"graph: {edges:,} edges in {folder}", file=sys.stderr)
    results = {}
    sqlite_url = f"sqlite:///{OUT / f'lineage-{args.edges}.sqlite3'}"
    _create_pg_database(f"lineage_bench_{args.edges}")
    pg_url = f"{PG_URL}_{args.edges}"
    built = {}
    for database, url in (("sqlite", sqlite_url), ("postgres", pg_url)):
        print(f"engine on {database}…", file=sys.stderr)
        command = [sys.executable, __file__, "--worker", "engine", "--edges", str(args.edges)]
        command += ["--repeat", str(args.repeat), "--database-url", url]
        answer = run_json(command)
        built[database] = answer["built"]
        results[database], results[f"{database}-index"] = answer["sql"], answer["index"]
    if args.engine_only:
        engine_report(edges, results, args.repeat)
        return built_report(built)
    print("peers (networkx, ML Metadata)…", file=sys.stderr)
    peers = [peer_python(), str(BENCH / "lineage_peers.py"), str(folder), str(args.repeat)]
    results.update(run_json(peers))
    report(edges, results, args.repeat)
    built_report(built)


def _create_pg_database(name):
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as db:
        if not db.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            db.execute(f'CREATE DATABASE "{name}"')


if __name__ == "__main__":
    main()
