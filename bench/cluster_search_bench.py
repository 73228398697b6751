"""Cluster search: the panel's search box on a hub's 20,000-member clusters, by each path.

    .venv/bin/python bench/cluster_search_bench.py [--runs 20000] [--repeat 15] [--no-postgres]

One dataset version used by `runs` runs of one job type, each logging a version of one
model (the default view's first downstream level: one cluster of runs; the second: one
cluster of model versions), built into a fresh SQLite file under bench/out/ and the
PostgreSQL database `cluster_search_bench` (127.0.0.1:5432), one subprocess per database.
A team member (so the visibility querysets are in play) searches each cluster for a few
terms, `repeat` times each after two warm-ups, by every path in the same run:
"recompute" computes the whole view (compute(), as every keystroke did once),
"definition" answers a hub's first-hop runs from the cluster's definition
(engine._first_hop_runs, what a process that never drew the view does), "drawn" from
the members the drawn view kept (engine._keep_members). Prints p50 and best in ms (the
machine is shared: the best is what it costs when nothing else runs).
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
TERMS = {
    "runs": ("", "sweep-1", "SWEEP-19999", "no such run"),
    "versions": ("", ":v1", "MODEL:V19999"),
}


def worker(database_url, runs, repeat):
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ.setdefault("LINEAGE_VAR_DIR", str(OUT / "cluster-search-var"))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection

    from lineage import engine
    from lineage.engine import View, cluster_members, lineage_view
    from registry.blobs import store_bytes
    from registry.models import (
        ArtifactSequence,
        ArtifactVersion,
        LineageEdge,
        Membership,
        Project,
        Run,
        Team,
    )

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
        model = ArtifactSequence.objects.create(project=project, name="model", type="model")
        versions = ArtifactVersion.objects.bulk_create(
            ArtifactVersion(sequence=model, digest=f"{i:032x}") for i in range(runs)
        )
        Membership.objects.bulk_create(
            Membership(collection=model, version=v, index=i) for i, v in enumerate(versions)
        )
        edges = LineageEdge.Direction
        LineageEdge.objects.bulk_create(
            [LineageEdge(run=run, version=data, direction=edges.USES) for run in made]
            + [
                LineageEdge(run=r, version=v, direction=edges.LOGS)
                for r, v in zip(made, versions, strict=True)
            ]
        )
        with connection.cursor() as cursor:  # as autovacuum would, before anyone searches
            cursor.execute("ANALYZE")
    data = ArtifactSequence.objects.get(name="hub-data").versions.get()
    view = View()  # the default view: 3 hops each way
    nodes = [n["data"] for n in lineage_view(data.node_id, view, user)["elements"]["nodes"]]
    kinds = {"run": "runs", "artifact": "versions"}
    clusters = {kinds[d["clusterKind"]]: d for d in nodes if d.get("count", 0) >= runs}
    paths = {
        "recompute": (cache.clear, lambda *args: None),
        "definition": (cache.clear, engine._first_hop_runs),
        "drawn": (lambda: lineage_view(data.node_id, view, user), lambda *args: None),
    }
    fast = engine._first_hop_runs
    results = {}
    for kind, cluster in clusters.items():
        for term in TERMS[kind]:
            times, answers = {}, []
            for name, (prepare, first_hop) in paths.items():
                engine._first_hop_runs = first_hop
                if name == "definition" and fast(data.pk << 1, view, cluster["id"], user) is None:
                    continue  # no definition of its own answers this cluster
                took = []
                for _ in range(repeat + 2):
                    prepare()
                    started = time.perf_counter()
                    answer = cluster_members(data.node_id, view, cluster["id"], term, user=user)
                    took.append(time.perf_counter() - started)
                answers.append(answer)
                times[name] = [statistics.median(took[2:]) * 1000, min(took[2:]) * 1000]
            engine._first_hop_runs = fast
            assert all(answer == answers[0] for answer in answers), term
            results[f"{cluster['count']} {kind}|{term}"] = {**times, "total": answers[0][1]}
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
    columns = "".join(
        f"{name + ' p50 / best':>24}" for name in ("recompute", "definition", "drawn")
    )
    print(f"{'database':<11} {'cluster':<16} {'term':<13} {'matches':>7}{columns}")
    for label, url in databases.items():
        command = [sys.executable, __file__, "--worker", url, "--runs", str(args.runs)]
        output = subprocess.run(
            [*command, "--repeat", str(args.repeat)], check=True, capture_output=True, text=True
        ).stdout
        results = json.loads(output.strip().splitlines()[-1])
        for case, t in results.items():
            cluster, term = case.split("|")
            cells = "".join(
                f"{t[name][0]:>15.1f} / {t[name][1]:<6.1f}" if name in t else f"{'-':>24}"
                for name in ("recompute", "definition", "drawn")
            )
            print(f"{label:<11} {cluster:<16} {term or '(empty)':<13} {t['total']:>7}{cells}")
    print(f"ms, p50 and best of {args.repeat}")


if __name__ == "__main__":
    main()
