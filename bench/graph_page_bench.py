"""Graph page benchmark: navigation to a drawn, clickable Lineage tab in headless Chromium.

    .venv/bin/python bench/graph_page_bench.py [--repeat 5]

Builds a temporary database with one dataset per case (used by N training runs that each
log a model), serves it with `manage.py runserver --noreload`, logs in with Playwright
and times, per case, from `page.goto` to `window.lineageGraphReady` (set by graph.js once
the view is laid out and drawn), then clicks the base node to check it answers.
Cases: 50, 500 and 2,000 visible nodes with "Expand clusters" on, and a hub dataset
with 10,000 consumers drawn with clusters on. Besides the wall time, the CPU time the
page's main thread spent from its navigation to drawn (Chromium's per-document ThreadTime
metric, through the DevTools protocol; the previous page's unloading is not in it): on a
shared machine the wall time grows with everyone's load, that one much less, so it shows
what the page itself costs.

`--against REV` measures a git revision side by side in the same run: its checkout (a
temporary git worktree, with this checkout's static/vendor) serves a copy of the same
database, and each navigation is timed on both in turn, so the machine's load falls on
both alike.
"""

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from server import CHROMIUM_ARGS, app_server  # noqa: E402
from stats import p95  # noqa: E402

CASES = [  # label, consumer runs, query string (besides the node)
    ("50 nodes, clusters expanded", 24, "upstream=0&downstream=2&expand_clusters=1"),
    ("500 nodes, clusters expanded", 249, "upstream=0&downstream=2&expand_clusters=1"),
    ("2,000 nodes, clusters expanded", 999, "upstream=0&downstream=2&expand_clusters=1"),
    ("hub, 10,000 consumers, clustered", 10_000, "upstream=0&downstream=2"),
]


def build(consumers):
    """A dataset used by `consumers` training runs, each logging one model version.
    Returns the dataset's version id. Bulk inserts: this is a fixture, not the domain."""
    from django.utils import timezone

    from registry.models import (
        ArtifactSequence,
        ArtifactVersion,
        LineageEdge,
        Membership,
        Project,
        Run,
    )

    project = Project.get_or_create_path("bench", f"hub-{consumers}")
    dataset = ArtifactSequence.objects.create(project=project, name="data", type="dataset")
    base = ArtifactVersion.objects.create(sequence=dataset, digest="0" * 32)
    Membership.objects.create(collection=dataset, version=base, index=0)
    model = ArtifactSequence.objects.create(project=project, name="model", type="model")
    now = timezone.now()
    runs = Run.objects.bulk_create(
        Run(
            project=project, run_id=f"r{i:07d}", name=f"train-{i}", job_type="train", started_at=now
        )
        for i in range(consumers)
    )
    versions = ArtifactVersion.objects.bulk_create(
        ArtifactVersion(sequence=model, digest=f"{i:032x}") for i in range(consumers)
    )
    Membership.objects.bulk_create(
        Membership(collection=model, version=v, index=i) for i, v in enumerate(versions)
    )
    LineageEdge.objects.bulk_create(
        [LineageEdge(run=r, version=base, direction="uses") for r in runs]
        + [
            LineageEdge(run=r, version=v, direction="logs")
            for r, v in zip(runs, versions, strict=True)
        ],
        batch_size=5000,
    )
    return base.pk


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--against", metavar="REV", help="a git revision to measure beside")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lineage-graph-bench-") as tmp:
        env = {**os.environ, "LINEAGE_VAR_DIR": tmp}
        env.pop("DATABASE_URL", None)
        os.environ.update(env)
        os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
        import django

        django.setup()
        from django.contrib.auth.models import User
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        User.objects.create_user("bench", password="bench-password")
        bases = [build(consumers) for _, consumers, _ in CASES]
        with contextlib.ExitStack() as stack:
            sides = {"this checkout": stack.enter_context(app_server(env))[1]}
            if args.against:
                other = stack.enter_context(checkout_copy(args.against, tmp))
                sides = {args.against: other, **sides}
            rows = measure(sides, bases, args.repeat)
    print(
        f"\nGraph page: navigation to a drawn, clickable graph, headless Chromium "
        f"({os.cpu_count()} cores), {args.repeat} runs per case\n"
    )
    line = "{:<34} {:<14} {:>6} {:>8} {:>8} {:>6} {:>8} {:>6} {:>13} {:>20}"
    print(
        line.format(
            "case",
            "side",
            "nodes",
            "p50 ms",
            "p95 ms",
            "ratio",
            "CPU ms",
            "ratio",
            "last: API ms",
            "layout+draw",
        )
    )
    first = {}
    for label, side, nodes, times, cpu, timings in rows:
        p50, cpu, slow = statistics.median(times), statistics.median(cpu), p95(times)
        small, small_cpu = first.setdefault(side, (p50, cpu))  # this side's first case
        fetch = f"{timings['fetch']:.0f}"
        draw = f"{timings['draw']:.0f} (layout {timings['layout']:.0f})"
        print(
            line.format(
                label,
                side[:14],
                nodes,
                f"{p50 * 1000:.0f}",
                f"{slow * 1000:.0f}",
                f"{p50 / small:.1f}x",
                f"{cpu * 1000:.0f}",
                f"{cpu / small_cpu:.1f}x",
                fetch,
                draw,
            )
        )


@contextlib.contextmanager
def checkout_copy(rev, tmp):
    """A server of git revision `rev` on a copy of the benchmark's database; yields its URL."""
    from django.db import connections

    connections.close_all()
    root, var = Path(tmp) / "against", Path(tmp) / "against-var"
    var.mkdir()
    for name in ("db.sqlite3", "secret_key"):  # the same users, sessions and data
        shutil.copy(Path(tmp) / name, var / name)
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach", str(root), rev], check=True
    )
    try:
        shutil.copytree(ROOT / "static" / "vendor", root / "static" / "vendor")
        with app_server({**os.environ, "LINEAGE_VAR_DIR": str(var)}, root) as (_, url):
            yield url
    finally:
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(root)], check=True
        )


def measure(sides, bases, repeat):
    """Rows (case, side, nodes, times, main-thread CPU times, last timings); each
    navigation is timed on every side in turn."""
    from playwright.sync_api import sync_playwright

    rows = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        pages = {side: signed_in(browser, url) for side, url in sides.items()}
        sessions = {side: page.context.new_cdp_session(page) for side, page in pages.items()}
        for session in sessions.values():
            session.send("Performance.enable")
        for (label, _, query), base in zip(CASES, bases, strict=True):
            times = {side: [] for side in sides}
            cpu = {side: [] for side in sides}
            for _ in range(repeat + 1):  # the first run warms the server and the cache
                for side, url in sides.items():
                    started = time.perf_counter()
                    pages[side].goto(f"{url}/lineage/artifact:{base}/?{query}")
                    pages[side].wait_for_function(
                        "() => window.lineageGraphReady === true", timeout=120_000
                    )
                    times[side].append(time.perf_counter() - started)
                    cpu[side].append(thread_time(sessions[side]))
            for side, page in pages.items():
                nodes = page.evaluate("window.lineageGraph.nodes().length")
                timings = page.evaluate("window.lineageTimings")
                clickable(page)
                rows.append((label, side, nodes, times[side][1:], cpu[side][1:], timings))
        browser.close()
    return rows


def thread_time(session):
    """CPU seconds the page's main thread has run for the current document."""
    metrics = session.send("Performance.getMetrics")["metrics"]
    return next(m["value"] for m in metrics if m["name"] == "ThreadTime")


def signed_in(browser, url):
    page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    page.goto(url + "/accounts/login/")
    page.fill("#id_username", "bench")
    page.fill("#id_password", "bench-password")
    page.click("button[type=submit]")
    page.wait_for_url(url + "/")
    return page


def clickable(page):
    """Zoom in on the base node as a person would, click it: its preview must open."""
    box = page.locator("#lineage-canvas").bounding_box()
    position = page.evaluate(
        """(() => {
            const cy = window.lineageGraph, base = cy.nodes('[?base]');
            cy.zoom(1);
            cy.center(base);
            return base.renderedPosition();
        })()"""
    )
    page.mouse.click(box["x"] + position["x"], box["y"] + position["y"])
    page.locator("#lineage-panel h3").wait_for()


if __name__ == "__main__":
    main()
