"""The lineage index kept true while runs log: catching up from the change log against
walking by SQL (what a process did while its index was stale) and building again.

    .venv/bin/python bench/freshness_bench.py [--edges 1000000] [--repeat 9]

On lineage_bench.py's databases (run it first; SQLite under bench/out/, PostgreSQL
`lineage_bench_<edges>`), one subprocess each: the index is built, then `repeat` times a
new run uses the hub dataset (one edge, committed: the clock moves) and, in turns, the
process catches up (lineage.index.current(): the log since its tick read in one snapshot,
applied as overlays) and draws the hub's 3-hop view on the caught-up index, and the same
view is drawn by SQL. Then 100 such runs at once and one catch-up for all. The runs made
are deleted at the end. Prints p50 in ms.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out"


def worker(database_url, edges, repeat):
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["LINEAGE_INDEX_NODES"] = "0"  # built here, when asked
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.core.management.color import no_style
    from django.db import connection

    from lineage import index
    from lineage.engine import View, lineage_view
    from registry.models import ArtifactVersion, LineageEdge, Run

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:  # lineage_bench loads rows with their ids given
        for statement in connection.ops.sequence_reset_sql(no_style(), [Run, LineageEdge]):
            cursor.execute(statement)
    bases = json.loads((OUT / f"graph-{edges}" / "bases.json").read_text())
    kind, at = bases["hub dataset"]
    hub = ArtifactVersion.objects.get(pk=at + 1)
    node, view = hub.node_id, View(upstream=3, downstream=3)
    project = Run.objects.filter(edges__version=hub).first().project
    started = time.perf_counter()
    built = index.build()
    found = {
        "build": [time.perf_counter() - started],
        "catch up": [],
        "on the index": [],
        "by SQL": [],
    }
    made = []

    def new_run():
        run = Run.objects.create(project=project, name=f"fresh-{len(made)}", job_type="fresh")
        run.use_version(hub)
        made.append(run.pk)

    try:
        for _ in range(repeat + 2):
            new_run()
            started = time.perf_counter()
            caught = index.current()
            found["catch up"].append(time.perf_counter() - started)
            assert caught is not None and caught.tick == index.clock()
            started = time.perf_counter()
            on_index = json.dumps(lineage_view(node, view))
            found["on the index"].append(time.perf_counter() - started)
            kept, index._index = index._index, None
            started = time.perf_counter()
            by_sql = json.dumps(lineage_view(node, view))
            found["by SQL"].append(time.perf_counter() - started)
            index._index = kept
            assert on_index == by_sql
        for _ in range(100):
            new_run()
        started = time.perf_counter()
        assert index.current() is not None
        found["catch up 100"] = [time.perf_counter() - started] * 3
        found["overlay edges"] = [len(index._index.added) + len(index._index.removed)] * 3
    finally:
        Run.objects.filter(pk__in=made).delete()
    print(json.dumps({k: statistics.median(v[2:] if len(v) > 2 else v) for k, v in found.items()}))
    del built


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--edges", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--worker")
    args = parser.parse_args()
    if args.worker:
        return worker(args.worker, args.edges, args.repeat)
    urls = {
        "SQLite": f"sqlite:///{OUT / f'lineage-{args.edges}.sqlite3'}",
        "PostgreSQL": f"postgres://postgres@127.0.0.1:5432/lineage_bench_{args.edges}",
    }
    rows = {}
    for name, url in urls.items():
        command = [sys.executable, __file__, "--worker", url, "--edges", str(args.edges)]
        output = subprocess.run(
            [*command, "--repeat", str(args.repeat)], check=True, capture_output=True, text=True
        )
        rows[name] = json.loads(output.stdout.strip().splitlines()[-1])
    title = f"The lineage index kept true while runs log, {args.edges:,} edges"
    print(f"\n{title}, p50 of {args.repeat}\n")
    print(f"{'':44}" + "".join(f"{name:>14}" for name in rows))
    lines = [
        ("catch up after one new edge (ms)", "catch up", 1000),
        ("hub's 3-hop view, on the caught-up index (ms)", "on the index", 1000),
        ("hub's 3-hop view by SQL, as when stale (ms)", "by SQL", 1000),
        ("catch up after 100 new edges at once (ms)", "catch up 100", 1000),
        ("build the index again (ms)", "build", 1000),
    ]
    for label, key, scale in lines:
        print(f"{label:44}" + "".join(f"{rows[name][key] * scale:>14.1f}" for name in rows))


if __name__ == "__main__":
    main()
