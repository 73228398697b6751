"""Every page a user opens, on a large database beside the same page on the demo's.

    .venv/bin/python bench/pages_bench.py [--edges 1000000] [--repeat 5] [--postgres]

1. The large database: lineage_bench's synthetic graph (one project, `bench/synthetic`,
   with hundreds of thousands of runs and tens of thousands of artifact sequences at 1M
   edges), loaded with the app's schema, then the demo on top, and a registry collection
   `model/bench-models` with edges/100 versions of the big project linked into it (each
   link through `Collection.link`, so with its aliases and audit events). Built once into
   bench/out/ (SQLite) or the database `pages_bench_<edges>` (PostgreSQL).
2. The demo database: the demo alone.
3. In one subprocess per database, the Django test client signed in as the demo's
   superuser GETs each page `repeat` times (after two warm-ups); p50 in ms, the number of
   SQL queries and the slowest one.
4. One table: each page on both databases and the ratio of the best times (the machine
   is shared; the best of several is what the page costs when nothing else runs),
   target within 3x; then the slowest query of each page on the large database.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

from bench import lineage_bench  # noqa: E402

OUT = BENCH / "out"
PG = "postgres://postgres@127.0.0.1:5432/"
BIG, DEMO = "bench/synthetic", "acme/zoo"
LIMIT = 60  # seconds a page may take before it counts as not answering


def pages(bases):
    """(page, demo URL, large URL): the same page, on each database's biggest thing."""
    admin = [
        (f"admin: {name}", f"/admin/registry/{name}/", f"/admin/registry/{name}/")
        for name in bases["admin"]
    ]
    return [
        ("home", "/", "/"),
        ("registry", "/registry/model/", "/registry/model/"),
        ("collection", "/registry/model/zoo-classifier/", "/registry/model/bench-models/"),
        (
            "Action History",
            "/registry/model/zoo-classifier/history/",
            "/registry/model/bench-models/history/",
        ),
        ("project artifacts", f"/{DEMO}/artifacts/", f"/{BIG}/artifacts/"),
        ("project runs", f"/{DEMO}/runs/", f"/{BIG}/runs/"),
        ("run (hub's trainer)", bases["demo run"], bases["run"]),
        ("sequence", f"/{DEMO}/artifacts/model/zoo-model/", f"/{BIG}/artifacts/model/model-0/"),
        (
            "version (hub dataset)",
            f"/{DEMO}/artifacts/dataset/split_zoo_dataset/v4/",
            f"/{BIG}/artifacts/dataset/split-0/v0/",
        ),
        *admin,
    ]


# ---- 1 and 2. the databases (built in a subprocess per database) ----------------------


def setup_django(database_url):
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ.setdefault("SECRET_KEY", "pages-bench")
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ["LINEAGE_STORAGE_DIR"] = str(OUT / "pages-files")  # the demo's files
    import django

    django.setup()


def build_worker(database_url, folder, big):
    setup_django(database_url)
    from django.core.management import call_command
    from django.db import connection

    from registry import demo

    call_command("migrate", verbosity=0)
    if demo.is_loaded():
        return print(json.dumps({"built": False}))
    started = time.perf_counter()
    if big:
        lineage_bench.load(folder, connection)
        _reset_sequences(connection)
        print(f"  graph loaded in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    demo.load()
    if big:
        _link_into_registry(max(100, sum(1 for _ in open(folder / "edges.csv")) // 100))
    print(f"  built in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    print(json.dumps({"built": True}))


def _reset_sequences(connection):
    """The graph's rows came with their ids; later inserts need the id sequences past
    them (PostgreSQL; SQLite follows the largest rowid by itself)."""
    from django.apps import apps
    from django.core.management.color import no_style

    statements = connection.ops.sequence_reset_sql(no_style(), apps.get_models())
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def _link_into_registry(count):
    """`count` model versions of the big project linked into model/bench-models, each
    with an alias of its own and `latest` moving: realistic audit events."""
    from django.db import connection

    from registry.models import ArtifactVersion, Collection, Registry

    model = Registry.objects.get(name="model")
    versions = ArtifactVersion.objects.filter(
        sequence__project__entity="bench", sequence__type="model"
    ).order_by("pk")[:count]
    started = time.perf_counter()
    for i, version in enumerate(versions):
        aliases = [f"candidate-{i % 50}"] if i % 10 == 0 else []
        Collection.link(model, "bench-models", version, None, aliases=aliases)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"  {len(versions)} links in {time.perf_counter() - started:.0f} s", file=sys.stderr)


# ---- 3. the pages (timed in a subprocess per database) -------------------------------


def time_worker(database_url, repeat, folder):
    setup_django(database_url)
    from django.contrib import admin
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from registry.demo import DEMO_LOGIN
    from registry.models import Run

    client = Client()
    client.force_login(get_user_model().objects.get(username=DEMO_LOGIN[0]))
    hub_trainer = _hub_trainer(folder)
    demo_run = Run.objects.get(project__entity="acme", name="rural-feather-20")
    bases = {
        "run": f"/{BIG}/runs/{hub_trainer}/" if hub_trainer else "",
        "demo run": f"/{DEMO}/runs/{demo_run.run_id}/",
        "admin": sorted(m._meta.model_name for m in admin.site._registry if _ours(m)),
    }
    results = {}
    for page, demo_url, big_url in pages(bases):
        url = big_url if hub_trainer else demo_url
        results[page] = {"url": url, **_time_page(client, url, repeat, connection)}
    print(json.dumps(results))


def _time_page(client, url, repeat, connection, limit=LIMIT):
    """p50 of `repeat` GETs after two warm-ups; a page slower than `limit` seconds is
    cut there (its query interrupted) and one slower than 5 s is timed once."""
    from django.db import DatabaseError
    from django.test.utils import CaptureQueriesContext

    times = []
    for _ in range(repeat + 2):
        _interrupt_after(connection, limit)
        connection.queries_log.clear()  # a full log would count no query at all
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            try:
                response = client.get(url)
            except DatabaseError:
                return {"timeout": limit}
            times.append(time.perf_counter() - started)
        if times[0] > 5:
            break
    times = times[2:] or times
    slowest = max(queries.captured_queries, key=lambda q: float(q["time"]), default=None)
    return {
        "status": response.status_code,
        "bytes": len(response.content),
        "ms": statistics.median(times) * 1000,
        "best": min(times) * 1000,
        "queries": len(queries.captured_queries),
        "slowest": (float(slowest["time"]) * 1000, slowest["sql"][:160]) if slowest else None,
    }


def _interrupt_after(connection, seconds):
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        deadline = time.monotonic() + seconds
        connection.connection.set_progress_handler(lambda: time.monotonic() > deadline, 10000)
    else:
        with connection.cursor() as cursor:
            cursor.execute(f"SET statement_timeout = {int(seconds * 1000)}")


def _ours(model):
    return model._meta.app_label == "registry"


def _hub_trainer(folder):
    """The run id of a run that read the hub dataset (None on the demo database)."""
    from registry.models import Run

    if not Run.objects.filter(project__entity="bench").exists():
        return None
    hub = json.loads((folder / "bases.json").read_text())["hub dataset"][1] + 1
    return Run.objects.filter(edges__version_id=hub, edges__direction="uses").first().run_id


# ---- 4. the table -------------------------------------------------------------------------


def report(edges, counts, demo, big, repeat, engine):
    rows = []
    for page in demo:
        d, b = demo[page], big[page]
        if "timeout" in b:
            cut = f"> {b['timeout'] * 1000:,}"
            rows.append([page, f"{d['ms']:.1f}", cut, f"{d['best']:.1f}", cut, "-", "-", "-", "-"])
            continue
        flag = "" if d["status"] == b["status"] == 200 else f" (HTTP {d['status']}/{b['status']})"
        slowest = b["slowest"][0] if b["slowest"] else 0
        rows.append(
            [
                page + flag,
                f"{d['ms']:.1f}",
                f"{b['ms']:.1f}",
                f"{d['best']:.1f}",
                f"{b['best']:.1f}",
                f"{b['best'] / d['best']:.1f}x",
                f"{d['queries']} / {b['queries']}",
                f"{slowest:.1f}",
                f"{b['bytes'] // 1024}",
            ]
        )
    print(
        f"\nPages on {engine}: the demo database beside a large one ({edges:,} edges: "
        f"{counts['runs']:,} runs, {counts['sequences']:,} artifact sequences, "
        f"{counts['links']:,} versions in model/bench-models); p50 and best of {repeat} GETs "
        "in ms (the ratio compares the best: on a shared machine it is the least disturbed)"
    )
    print(f"machine: {os.cpu_count()} cores, {sys.platform}, Python {sys.version.split()[0]}\n")
    lineage_bench.table(
        [
            "page",
            "demo p50",
            "large p50",
            "demo best",
            "large best",
            "ratio (best)",
            "queries",
            "slowest query ms",
            "large KiB",
        ],
        rows,
    )
    slow = [(p, big[p]["slowest"]) for p in big if big[p].get("slowest")]
    print("\nslowest query of each page on the large database:")
    for page, (took, sql) in slow:
        print(f"  {page}: {took:.1f} ms  {sql}")


def counts_worker(database_url):
    setup_django(database_url)
    from registry.models import ArtifactSequence, Collection, Run

    bench = {"project__entity": "bench"}
    print(
        json.dumps(
            {
                "runs": Run.objects.filter(**bench).count(),
                "sequences": ArtifactSequence.objects.filter(**bench).count(),
                "links": Collection.objects.get(name="bench-models").memberships.count(),
            }
        )
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--edges", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--postgres", action="store_true", help="instead of SQLite files")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    folder = OUT / f"graph-{args.edges}"
    if args.worker:
        if args.worker == "counts":
            return counts_worker(args.database_url)
        if args.worker == "time":
            return time_worker(args.database_url, args.repeat, folder)
        return build_worker(args.database_url, folder, big=args.worker == "build-big")
    OUT.mkdir(exist_ok=True)
    if not (folder / "bases.json").exists():
        print(f"generating a graph of {args.edges:,} edges…", file=sys.stderr)
        lineage_bench.generate(args.edges, folder)
    edges = sum(1 for _ in open(folder / "edges.csv"))
    if args.postgres:
        urls = {"demo": PG + "pages_bench_demo", "big": PG + f"pages_bench_{args.edges}"}
        for url in urls.values():
            lineage_bench._create_pg_database(url.rsplit("/", 1)[1])
    else:
        urls = {
            "demo": f"sqlite:///{OUT / 'pages-demo.sqlite3'}",
            "big": f"sqlite:///{OUT / f'pages-{args.edges}.sqlite3'}",
        }
    worker = [sys.executable, __file__, "--edges", str(args.edges), "--repeat", str(args.repeat)]
    for name, url in urls.items():
        print(f"building the {name} database (once)…", file=sys.stderr)
        kind = "build-big" if name == "big" else "build-demo"
        lineage_bench.run_json([*worker, "--worker", kind, "--database-url", url])
    results = {}
    for name, url in urls.items():
        print(f"timing the pages on the {name} database…", file=sys.stderr)
        results[name] = lineage_bench.run_json([*worker, "--worker", "time", "--database-url", url])
    counts = lineage_bench.run_json([*worker, "--worker", "counts", "--database-url", urls["big"]])
    engine = "PostgreSQL" if args.postgres else "SQLite"
    report(edges, counts, results["demo"], results["big"], args.repeat, engine)


if __name__ == "__main__":
    main()
