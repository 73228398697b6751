"""Cluster search: the panel's search box on a hub's 20,000-run cluster, before and after.

    .venv/bin/python bench/cluster_search_bench.py [--runs 20000] [--repeat 15] [--no-postgres]

One dataset version used by `runs` runs of one job type (one cluster of the default
view's first downstream level), built with the ORM into a fresh SQLite file under
bench/out/ and the PostgreSQL database `cluster_search_bench` (127.0.0.1:5432), one
subprocess per database. A team member (so the visibility querysets are in play) searches
the cluster for a few terms, `repeat` times each after two warm-ups, by both paths in the
same run: "old" recomputes the whole view (compute(), as every keystroke did before),
"new" answers from the cluster's definition (engine._first_hop_runs). Prints p50
and best in ms (the machine is shared: the best is what it costs when nothing else runs).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from lineage_bench import _create_pg_database

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out"
PG_URL = "postgres://postgres@127.0.0.1:5432/cluster_search_bench"
TERMS = ("", "sweep-1", "SWEEP-19999", "no such run")


def worker(database_url, runs, repeat):
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ.setdefault("LINEAGE_VAR_DIR", str(OUT / "cluster-search-var"))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from lineage import engine
    from lineage.engine import View, cluster_members, lineage_view
    from registry.blobs import store_bytes
    from registry.models import ArtifactSequence, LineageEdge, Project, Run, Team

    call_command("migrate", verbosity=0)
    users = get_user_model().objects
    user = users.filter(username="bench").first()
    if user is None:
        user = users.create_user("bench")
        Team.create("hub", user)
        project = Project.get_or_create_path("hub", "sweeps")
        blobs = {"f": store_bytes(b"the hub dataset")}
        data, _ = ArtifactSequence.log_version(project, "hub-data", "dataset", blobs)
        made = Run.objects.bulk_create(
            Run(project=project, name=f"sweep-{i}", job_type="train") for i in range(runs)
        )
        LineageEdge.objects.bulk_create(
            LineageEdge(run=run, version=data, direction=LineageEdge.Direction.USES) for run in made
        )
        with connection.cursor() as cursor:  # as autovacuum would, before anyone searches
            cursor.execute("ANALYZE")
    data = ArtifactSequence.objects.get(name="hub-data").versions.get()
    view = View()  # the default view: 3 hops each way
    nodes = lineage_view(data.node_id, view, user)["elements"]["nodes"]
    cluster = max((n["data"] for n in nodes if "count" in n["data"]), key=lambda d: d["count"])

    def old(term):
        fast, engine._first_hop_runs = engine._first_hop_runs, lambda *args: None
        try:  # the same call with the fast path turned off: compute() answers
            return cluster_members(data.node_id, view, cluster["id"], term, user=user)
        finally:
            engine._first_hop_runs = fast

    def new(term):
        return cluster_members(data.node_id, view, cluster["id"], term, user=user)

    results = {"count": cluster["count"], "terms": {}}
    for term in TERMS:
        assert old(term) == new(term), term
        times = {}
        for name, search in (("old", old), ("new", new)):
            took = []
            for _ in range(repeat + 2):
                started = time.perf_counter()
                found, total = search(term)
                took.append(time.perf_counter() - started)
            times[name] = [statistics.median(took[2:]) * 1000, min(took[2:]) * 1000]
        times["total"] = total
        results["terms"][term] = times
    print(json.dumps(results))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--worker")
    args = parser.parse_args()
    if args.worker:
        return worker(args.worker, args.runs, args.repeat)
    OUT.mkdir(exist_ok=True)
    sqlite = OUT / f"cluster-search-{args.runs}.sqlite3"
    databases = {"SQLite": f"sqlite:///{sqlite}"}
    if not args.no_postgres:
        databases["PostgreSQL"] = PG_URL
        _create_pg_database("cluster_search_bench")
    print(f"{'database':<11} {'term':<14} {'matches':>7}   old p50 / best   new p50 / best   x p50")
    for label, url in databases.items():
        command = [sys.executable, __file__, "--worker", url, "--runs", str(args.runs)]
        output = subprocess.run(
            [*command, "--repeat", str(args.repeat)], check=True, capture_output=True, text=True
        ).stdout
        results = json.loads(output.strip().splitlines()[-1])
        for term, t in results["terms"].items():
            (old, old_best), (new, new_best) = t["old"], t["new"]
            print(
                f"{label:<11} {term or '(empty)':<14} {t['total']:>7}"
                f"   {old:>7.1f} / {old_best:<6.1f}   {new:>7.1f} / {new_best:<6.1f}"
                f" {old / new:>5.1f}x"
            )
    print(f"cluster of {results['count']} runs; ms, p50 and best of {args.repeat}")


if __name__ == "__main__":
    main()
