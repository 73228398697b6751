"""Renderer benchmark: a large view's first frame in Cytoscape.js against canvas.js.

    .venv/bin/python bench/renderer_bench.py [--repeat 10] [--against REV]

The graph page's large views (issue 17) spent most of their time in Cytoscape.js (see
bench/README.md), until static/lineage/canvas.js drew them. This measures the renderers
alone, on the graph_page_bench shape (a dataset used by N runs, each logging a model;
2N + 1 nodes, 2N edges), placed in columns as graph.js places a large view, drawn at the
zoom that view opens at, in headless Chromium on a fresh page each time:

- Cytoscape.js styling and drawing it, as graph.js drove it for a large view before
  canvas.js (89e05c3): a style sheet of these kinds only, haystack edges, positions in the
  element JSON, one batch;
- canvas.js as graph.js drives it now: a headless Cytoscape instance as the model, drawn
  on one 2D canvas, the edges as one path, the nodes as one path per look.

Each side's time runs from once its instance is made (graph.js makes both before the
view's answer arrives) to the first frame after drawing. Neither draws labels (a large
view has none at this zoom). Then each pans the view zoomed in to 1 (where canvas.js
draws the labels and arrows near the viewport; the old Cytoscape style sheet here has no
labels at all) by 4 px a frame for 30 frames: the median time between two animation
frames, 16.7 ms when the pan keeps up with a 60 Hz screen. Prints p50 and p95 of the
first frame per case, each side's ratio to its 49-node case, and the pan frame's p50.
`--against REV` adds canvas.js as it was at a git revision, drawn the same way beside.
"""

import argparse
import contextlib
import functools
import http.server
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from server import CHROMIUM_ARGS  # noqa: E402
from stats import p95  # noqa: E402

# 49, 499 and 1,999 nodes, as graph_page_bench's cases, and 9,999: a view "+N more" grew
RUNS = (24, 249, 999, 4999)
ZOOM, WIDTH, HEIGHT = 0.05, 1038, 558  # the Lineage tab's canvas and a large view's zoom

# The nodes and edges, as graph.js has them after columnPositions(); window.N is set first.
SHAPE = """
const N = window.N, nodes = [{ id: "d", kind: "artifact", x: 0, y: 0, w: 110, h: 52 }];
const edges = [];
for (let i = 0; i < N; i++) {
  nodes.push({ id: `r${i}`, kind: "run", x: 200, y: (i - N / 2) * 66, w: 110, h: 38 });
  nodes.push({ id: `m${i}`, kind: "artifact", x: 400, y: (i - N / 2) * 66, w: 130, h: 52 });
  edges.push(["d", `r${i}`], [`r${i}`, `m${i}`]);
}
const pan = { x: WIDTH / 2 - 200 * ZOOM, y: HEIGHT / 2 };
// Then, zoomed in to 1 on the middle rows (labels and arrows drawn), the frames of a pan:
// the median time from one animation frame to the next while the view moves 4 px a frame.
const done = () => requestAnimationFrame(() => {
  window.drawnMs = performance.now() - started;
  cy.viewport({ zoom: 1, pan: { x: WIDTH / 2 - 200, y: HEIGHT / 2 } });
  const gaps = [];
  let last = performance.now();
  const frame = (now) => {
    gaps.push(now - last);
    last = now;
    if (gaps.length === 31) {
      gaps.sort((a, b) => a - b);
      window.panMs = gaps[15];
      return;
    }
    cy.panBy({ x: 0, y: 4 });
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
});
"""

CYTOSCAPE = """
const cy = cytoscape({ container: document.getElementById("graph"), minZoom: 0.05, maxZoom: 3,
  textureOnViewport: true, hideEdgesOnViewport: true, style: [
    { selector: "node", style: { shape: "round-rectangle", width: "data(w)",
      height: "data(h)", "border-width": 2 } },
    { selector: "node[kind = 'run']", style: {
      "background-color": "#e3f6e8", "border-color": "#2da44e" } },
    { selector: "node[kind = 'artifact']", style: {
      "background-color": "#e7f0fe", "border-color": "#1a73e8" } },
    { selector: "edge", style: { width: 1.5, "curve-style": "haystack",
      "haystack-radius": 0, "line-color": "#8c959f" } },
  ] });
started = performance.now();  // graph.js makes its instance before the answer arrives
cy.startBatch();
cy.add({
  nodes: nodes.map(({ x, y, ...data }) => ({ data, position: { x, y } })),
  edges: edges.map(([source, target]) => ({ data: { id: `${source}>${target}`, source, target } })),
});
cy.endBatch();
cy.viewport({ zoom: ZOOM, pan });
done();
"""

# canvas.js as graph.js drives it: a headless Cytoscape instance as the model (made, like
# the drawn one, before the answer arrives), the view drawn from it at once.
CANVAS = """
import { canvasView } from "./CANVAS_JS";
const canvas = document.getElementById("graph");
const cy = cytoscape({ container: canvas, headless: true, minZoom: 0.05, maxZoom: 3 });
const colors = {
  run: { fill: "#e3f6e8", line: "#2da44e" }, artifact: { fill: "#e7f0fe", line: "#1a73e8" } };
const view = canvasView(canvas, cy, { colors, stack: 6, onTap() {}, onHover() {} });
started = performance.now();
cy.startBatch();
cy.add({
  nodes: nodes.map(({ x, y, w, h, ...data }) =>
    ({ data: { ...data, _width: w, _height: h, _lines: [data.id] }, position: { x, y } })),
  edges: edges.map(([source, target]) => ({ data: { id: `${source}>${target}`, source, target } })),
});
cy.endBatch();
cy.viewport({ zoom: ZOOM, pan });
view.drawNow();
done();
"""


def page(body, script):
    return (
        f"<!doctype html><body style='margin:0'>{body}<script src='cytoscape.min.js'></script>"
        "<script type='module'>"
        f"let started = performance.now(); const ZOOM = {ZOOM}, WIDTH = {WIDTH}, HEIGHT = {HEIGHT};"
        f"window.N = +new URLSearchParams(location.search).get('n');{SHAPE}{script}"
        "</script></body>"
    )


BOX = f"style='display:block;width:{WIDTH}px;height:{HEIGHT}px'"


def sides(against=None):
    """{name: page}: Cytoscape.js, canvas.js at `against` (a git revision) if given, and
    canvas.js as it is."""
    canvas = {"canvas.js": page(f"<canvas id='graph' {BOX}></canvas>", CANVAS)}
    if against:
        canvas = {f"canvas.js at {against}": canvas["canvas.js"], **canvas}
    pages = {"Cytoscape.js": page(f"<div id='graph' {BOX}></div>", CYTOSCAPE)}
    for number, (name, html) in enumerate(canvas.items()):
        pages[name] = html.replace("CANVAS_JS", f"canvas-{number}.js")
    return pages


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def served(folder):
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=folder)
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


def measure(url, names, repeat):
    """({(side, runs): [first frame ms, ...]}, {(side, runs): [pan frame ms, ...]}), each
    case's navigations taken side by side in turn."""
    from playwright.sync_api import sync_playwright

    times, pans = {}, {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        tab = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
        for runs in RUNS:
            for index in range(repeat + 1):  # the first round warms the HTTP cache
                for number, side in enumerate(names):
                    tab.goto(f"{url}/{number}.html?n={runs}")
                    tab.wait_for_function("window.panMs !== undefined")
                    if index:
                        drawn, pan = tab.evaluate("[window.drawnMs, window.panMs]")
                        times.setdefault((side, runs), []).append(drawn)
                        pans.setdefault((side, runs), []).append(pan)
        browser.close()
    return times, pans


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--against", metavar="REV", help="canvas.js at a git revision beside")
    args = parser.parse_args()
    pages = sides(args.against)
    with tempfile.TemporaryDirectory(prefix="lineage-renderer-bench-") as folder:
        shutil.copy(ROOT / "static" / "vendor" / "cytoscape.min.js", folder)
        canvas = ROOT / "static" / "lineage" / "canvas.js"
        scripts = [canvas.read_text()]
        if args.against:
            show = ["git", "-C", str(ROOT), "show", f"{args.against}:static/lineage/canvas.js"]
            scripts.insert(
                0, subprocess.run(show, check=True, capture_output=True, text=True).stdout
            )
        for number, script in enumerate(scripts):
            Path(folder, f"canvas-{number}.js").write_text(script)
        for number, html in enumerate(pages.values()):
            Path(folder, f"{number}.html").write_text(html)
        with served(folder) as url:
            times, pans = measure(url, list(pages), args.repeat)
    print(f"\nA large view's first frame, headless Chromium, {args.repeat} fresh pages per case\n")
    width = max(map(len, pages))
    line = f"{{:<{width}}} {{:>6}} {{:>6}} {{:>8}} {{:>8}} {{:>6}} {{:>14}}"
    print(line.format("renderer", "nodes", "edges", "p50 ms", "p95 ms", "ratio", "pan frame ms"))
    for side in pages:
        first = statistics.median(times[side, RUNS[0]])
        for runs in RUNS:
            p50, slow = statistics.median(times[side, runs]), p95(times[side, runs])
            pan = statistics.median(pans[side, runs])
            cells = (f"{p50:.1f}", f"{slow:.1f}", f"{p50 / first:.1f}x", f"{pan:.1f}")
            print(line.format(side, 2 * runs + 1, 2 * runs, *cells))


if __name__ == "__main__":
    main()
