"""The Lineage tab, used the way a person uses it: click, hover, hide, search, apply."""

import json
import re
from unittest.mock import ANY
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Error, expect

from registry.models import ArtifactSequence, Run

from .conftest import (
    click_node,
    graph_labels,
    hover_node,
    node_id,
    node_point,
    search_cluster,
    wait_for_graph,
    wait_for_labels,
)

pytestmark = pytest.mark.browser
READY_WITH = (
    "() => window.lineageGraphReady"
    " && window.lineageGraph.nodes().some(n => n.data('label') === '%s')"
)


def open_model_lineage(page, query=""):
    page.goto(f"/registry/model/zoo-classifier/v1/?tab=lineage{query}")
    wait_for_graph(page)


def test_it_previews_a_run_and_an_artifact_on_click(page):
    open_model_lineage(page)
    panel = page.locator("#lineage-panel")
    click_node(page, "rural-feather-20")
    run = Run.objects.get(name="rural-feather-20")
    expect(panel.get_by_role("heading", name="rural-feather-20")).to_be_visible()
    expect(panel.get_by_text(run.run_id)).to_be_visible()
    expect(panel.get_by_text("finished")).to_be_visible()
    expect(panel.get_by_role("link", name="Open run page")).to_have_attribute(
        "href", run.get_absolute_url()
    )
    click_node(page, "zoo-ylbchv20:v0")
    expect(panel.get_by_role("heading", name="zoo-ylbchv20:v0")).to_be_visible()
    expect(panel.locator("dd", has_text="model").first).to_be_visible()
    expect(panel.get_by_text("best")).to_be_visible()  # its alias
    expect(panel.locator("dt", has_text="Created")).to_have_count(1)
    expect(panel.locator("time")).to_have_attribute("datetime", re.compile(r"^\d{4}-\d\d-\d\dT"))
    expect(panel.get_by_text("registry collection")).to_be_visible()  # impact at a glance


def test_it_recentres_on_a_node(page):
    open_model_lineage(page)
    click_node(page, "split_zoo_dataset:v4")
    page.get_by_role("button", name="Show lineage from here").click()
    page.wait_for_function(
        "() => window.lineageGraph.nodes('[?base]').data('label') === 'split_zoo_dataset:v4'"
    )
    wait_for_graph(page)
    assert "7 runs" in graph_labels(page)
    assert "node=artifact" in page.url


def eye(page, label):
    """The eye button that hovering a node shows over the canvas."""
    return page.locator(".lineage-stage").get_by_role("button", name=f"Hide {label}")


def test_it_hides_a_node_with_the_eye_and_shows_it_again(page):
    open_model_lineage(page)
    hover_node(page, "northern-lake-21")
    eye(page, "northern-lake-21").click()
    wait_for_labels(page, gone=["northern-lake-21"])
    hidden_id = node_id(page, "northern-lake-21")
    expect(page).to_have_url(re.compile("hidden=" + re.escape(hidden_id.replace(":", "%3A"))))
    hidden = page.get_by_role("region", name="Hidden")
    hidden.get_by_role("button", name="Show northern-lake-21").click()
    wait_for_labels(page, shown=["northern-lake-21"])
    expect(page).not_to_have_url(re.compile("hidden="))


def test_it_keeps_hidden_nodes_in_the_url(page):
    open_model_lineage(page)
    hover_node(page, "northern-lake-21")
    eye(page, "northern-lake-21").click()
    expect(page).to_have_url(re.compile("hidden="))
    page.reload()
    wait_for_graph(page)
    assert "northern-lake-21" not in graph_labels(page)
    hidden = page.get_by_role("region", name="Hidden")
    expect(hidden.get_by_role("button", name="Show northern-lake-21")).to_be_visible()
    expect(hidden.get_by_text("not in this view")).to_have_count(0)


def test_it_hides_and_shows_from_the_list_view_with_the_keyboard(page):
    open_model_lineage(page)
    nodes = page.get_by_role("list", name="Nodes of the graph")
    nodes.get_by_role("button", name="Hide northern-lake-21").focus()
    page.keyboard.press("Enter")
    wait_for_labels(page, gone=["northern-lake-21"])
    expect(
        nodes.get_by_role("button", name="northern-lake-21 (run, level 1, hidden)")
    ).to_have_count(1)
    hidden = page.get_by_role("region", name="Hidden")
    expect(hidden.get_by_role("button", name="Show northern-lake-21")).to_be_visible()
    nodes.get_by_role("button", name="Show northern-lake-21").focus()
    page.keyboard.press("Enter")
    wait_for_labels(page, shown=["northern-lake-21"])
    expect(hidden).to_contain_text("No hidden nodes.")


def test_it_says_when_a_hidden_node_is_not_in_the_view_and_clears_the_panel(page):
    open_model_lineage(page)
    hidden = page.get_by_role("region", name="Hidden")
    page.get_by_role("list", name="Nodes of the graph").get_by_role(
        "button", name="Hide northern-lake-21"
    ).click()
    click_node(page, "rural-feather-20")
    panel = page.locator("#lineage-panel")
    expect(panel.get_by_role("heading", name="rural-feather-20")).to_be_visible()
    page.get_by_role("button", name="Custom").click()
    page.get_by_label("Downstream hops").fill("0")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_function(
        "() => window.lineageGraphReady"
        " && window.lineageGraph.nodes(\"[kind != 'more']\").length === 4"  # "+N more" aside
    )
    expect(panel).to_contain_text("Click a node to see its details.")  # not the old preview
    expect(hidden.get_by_role("listitem")).to_contain_text("not in this view")
    expect(page).to_have_url(re.compile("hidden="))  # kept: a wider view hides it again
    hidden.get_by_role("button", name="Show northern-lake-21").click()
    expect(hidden).to_contain_text("No hidden nodes.")
    expect(page).not_to_have_url(re.compile("hidden="))


def test_it_searches_a_cluster_and_extracts_a_member(page):
    open_model_lineage(page)
    click_node(page, "5 runs")
    panel = page.locator("#lineage-panel")
    members = panel.locator(".cluster-members li:visible")
    expect(members).to_have_count(5)
    search_cluster(panel, "brisk")
    expect(members).to_have_count(4)
    search_cluster(panel, "misty-river-6")
    expect(members).to_have_count(1)
    search_cluster(panel, "")
    expect(members).to_have_count(5)
    panel.get_by_role("button", name="Preview brisk-leaf-10").click()
    # the preview is scrolled into the panel's view, not left below its fold
    expect(panel.get_by_role("heading", name="brisk-leaf-10")).to_be_in_viewport()
    expect(panel.get_by_role("link", name="Open run page")).to_be_in_viewport()
    expect(panel.get_by_label("Search cluster")).to_be_in_viewport()  # still at hand
    search_cluster(panel, "misty-river-6")
    expect(members).to_have_count(1)
    panel.get_by_role("button", name="Extract misty-river-6").click()
    page.wait_for_function(READY_WITH % "misty-river-6")
    # the panel follows the extracted node instead of showing a cluster that is gone
    expect(panel.get_by_role("heading", name="misty-river-6")).to_be_visible()
    selected = page.evaluate("window.lineageGraph.$(':selected').map(n => n.data('label'))")
    assert selected == ["misty-river-6"]
    labels = graph_labels(page)
    assert "misty-river-6" in labels and "5 runs" not in labels  # four left: no cluster
    edges = page.evaluate(
        "window.lineageGraph.edges().map(e =>"
        " e.source().data('label') + '>' + e.target().data('label'))"
    )
    assert "misty-river-6>split_zoo_dataset:v4" in edges


def test_it_applies_a_custom_view_and_reproduces_it_from_the_url(page):
    open_model_lineage(page)
    page.get_by_role("button", name="Custom").click()
    form = page.locator("#lineage-custom")
    for group in ("Filter by artifact type", "Filter by run job type"):  # checkboxes
        expect(form.get_by_role("group", name=group, exact=True)).to_be_visible()
    for label in (
        "Include extended lineage",
        "Include generated artifacts",
        "Expand clusters",
        "Downstream hops",
        "Upstream hops",
    ):
        expect(form.get_by_label(label, exact=True)).to_be_visible()
    jobs = form.get_by_role("group", name="Filter by run job type")
    for job_type in ("train", "eval", "preprocess"):
        jobs.get_by_label(job_type, exact=True).check()
    form.get_by_label("Include extended lineage").check()
    form.get_by_label("Include generated artifacts").check()
    form.get_by_label("Expand clusters").check()
    form.get_by_label("Upstream hops").fill("2")
    form.get_by_label("Downstream hops").fill("1")
    with page.expect_request(lambda request: "/api/v1/lineage?" in request.url) as asked:
        page.get_by_role("button", name="Apply").click()
    page.wait_for_function(READY_WITH % "source-zoo-train.py:v0")
    expected = graph_labels(page)
    assert "zoo_holdout:v0" in expected  # extended: the eval run's other input
    assert "zoo-eval-ylbchv20:v0" in expected  # extended: its output
    assert "5 runs" not in expected and "misty-river-6" not in expected  # 2 hops up
    url = page.url
    # One encoding: the page URL carries the view exactly as the API query does.
    view = {"upstream": ["2"], "downstream": ["1"], "job_types": ["eval,preprocess,train"]}
    view |= {"extended": ["1"], "generated": ["1"], "expand_clusters": ["1"]}
    assert parse_qs(urlsplit(url).query) == {"tab": ["lineage"], **view}
    assert parse_qs(urlsplit(asked.value.url).query) == {"node": [ANY], **view}
    page.goto("/")
    page.goto(url)
    wait_for_graph(page)
    assert graph_labels(page) == expected
    page.get_by_role("button", name="Custom").click()
    expect(page.get_by_label("Upstream hops")).to_have_value("2")
    expect(page.get_by_label("Include extended lineage")).to_be_checked()


def test_it_filters_by_artifact_type_without_cutting_the_path(page):
    open_model_lineage(page, "&artifact_types=dataset")
    labels = graph_labels(page)
    assert "zoo-eval-ylbchv20:v0" not in labels  # an evaluation: filtered out
    assert "zoo-ylbchv20:v0" in labels  # the base always stays


def test_it_offers_a_keyboard_list_view_and_exports(page):
    open_model_lineage(page)
    item = page.get_by_role("list", name="Nodes of the graph").get_by_role(
        "button", name="rural-feather-20 (run, level -1)"
    )
    item.focus()
    page.keyboard.press("Enter")
    expect(
        page.locator("#lineage-panel").get_by_role("heading", name="rural-feather-20")
    ).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("button", name="Export JSON").click()
    data = json.loads(open(download.value.path()).read())
    assert {n["data"]["label"] for n in data["elements"]["nodes"]} >= {"rural-feather-20"}
    with page.expect_download() as download:
        page.get_by_role("button", name="Export PNG").click()
    assert open(download.value.path(), "rb").read(8) == b"\x89PNG\r\n\x1a\n"


def test_its_list_view_goes_level_by_level_in_label_order(page):
    open_wide_view(page)
    names = page.get_by_role("list", name="Nodes of the graph").get_by_role("button")
    texts = names.all_inner_texts()
    levels = [int(m[1]) for n in texts if (m := re.search(r"\(\w+, level (-?\d+)\)", n))]
    assert levels == sorted(levels)
    runs = [int(re.search(r"sweep-(\d+) \(run", n)[1]) for n in texts if "(run, level 1)" in n]
    assert runs == sorted(runs) and runs[:12] == list(range(12))  # sweep-9 before sweep-10


def test_it_fits_and_exposes_the_graph(page):
    open_model_lineage(page)
    page.evaluate("window.lineageGraph.zoom(0.1)")
    page.get_by_role("button", name="Fit", exact=True).click()
    page.wait_for_function("() => window.lineageGraph.zoom() > 0.2")
    data = page.evaluate("window.lineageGraph.nodes('[?base]').data()")
    assert data["kind"] == "artifact" and data["label"] == "zoo-ylbchv20:v0"
    assert data["type"] == "model" and data["level"] == 0


def test_it_drags_a_node(page):
    open_model_lineage(page)
    before = page.evaluate("window.lineageGraph.$('[label = \"northern-lake-21\"]').position()")
    x, y = node_point(page, "northern-lake-21")
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 60, y + 80, steps=5)
    page.mouse.up()
    after = page.evaluate("window.lineageGraph.$('[label = \"northern-lake-21\"]').position()")
    assert after["y"] > before["y"] + 20


def test_it_shows_user_text_as_text_never_as_code(page, live_server):
    evil_run = Run.objects.create(
        project=ArtifactSequence.objects.get(name="zoo-ylbchv20").project,
        name="<img src=x onerror=alert(1)>",
        job_type="train",
    )
    model = ArtifactSequence.objects.get(name="zoo-ylbchv20").version_by_alias("v0")
    evil_run.use_version(model)
    type(model).objects.filter(pk=model.pk).update(description="<script>alert(2)</script>")
    open_model_lineage(page)
    assert "<img src=x onerror=alert(1)>" in graph_labels(page)
    click_node(page, "<img src=x onerror=alert(1)>")
    panel = page.locator("#lineage-panel")
    expect(panel.get_by_role("heading", name="<img src=x onerror=alert(1)>")).to_be_visible()
    click_node(page, "zoo-ylbchv20:v0")
    expect(panel.get_by_text("<script>alert(2)</script>")).to_be_visible()
    expect(
        page.get_by_role("button", name="<img src=x onerror=alert(1)> (run, level 1)")
    ).to_be_visible()
    page.get_by_role("link", name="Overview", exact=True).click()
    expect(page.get_by_text("<script>alert(2)</script>")).to_be_visible()
    page.goto(evil_run.get_absolute_url())
    expect(page.get_by_role("heading", name="<img src=x onerror=alert(1)>")).to_be_visible()
    page.goto("/acme/zoo/runs/")
    expect(page.get_by_role("link", name="<img src=x onerror=alert(1)>")).to_be_visible()
    assert page.locator("img").count() == 0
    # the fixture fails the test if any alert() ran


def test_it_draws_readable_labels_stacked_clusters_and_an_outlined_selection(page):
    open_model_lineage(page)
    graph = page.evaluate(
        """(() => {
            const cy = window.lineageGraph;
            const cluster = cy.$('[kind = "cluster"]');
            return {
                font: cy.zoom() * parseFloat(cy.nodes().first().style('font-size')),
                stack: cluster.style('background-image'),
                fill: cluster.style('background-opacity'),
                text: cluster.data('_text'),
            };
        })()"""
    )
    assert graph["font"] >= 11  # px on screen at fit, for the 6-node reference graph
    assert graph["stack"].startswith("data:image/svg+xml")  # three cards drawn as one image
    assert graph["fill"] == "0" and graph["text"] == "preprocess\n5 runs"
    before = page.evaluate(
        "window.lineageGraph.$('[label = \"rural-feather-20\"]').renderedStyle('background-color')"
    )
    click_node(page, "rural-feather-20")
    after = page.evaluate(
        """(() => {
            const node = window.lineageGraph.$('[label = "rural-feather-20"]');
            return [node.selected(), node.renderedStyle('background-color'),
                    node.style('overlay-opacity'), node.style('outline-width')];
        })()"""
    )
    assert after[0] is True
    assert after[1] == before == "rgb(227,246,232)"  # still the run's green, not tinted
    assert after[2] == "0" and after[3] == "3px"


def test_it_reports_a_failed_load_instead_of_loading_for_ever(page):
    open_model_lineage(page)
    page.route(
        "**/api/v1/lineage?*",
        lambda route: route.fulfill(status=502, content_type="text/html", body="<h1>Bad</h1>"),
    )
    page.get_by_role("button", name="Custom").click()
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#lineage-status")).to_have_text(
        "The lineage could not be loaded (error 502). Try again."
    )


def test_it_never_draws_an_older_view_over_a_newer_one(page):
    open_model_lineage(page)
    held = []

    def hold_the_first(route):
        if "upstream=1" in route.request.url and not held:
            held.append(route)  # answered only after the second view is drawn
        else:
            route.continue_()

    page.route("**/api/v1/lineage?*", hold_the_first)
    page.get_by_role("button", name="Custom").click()
    page.get_by_label("Upstream hops").fill("1")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_function("() => window.lineageGraphReady === false")
    while not held:
        page.wait_for_timeout(50)
    page.get_by_label("Upstream hops").fill("3")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_function(READY_WITH % "5 runs")
    # The newer load cancels the older request, so the older answer can never be drawn.
    # Answering it and waiting a while instead would pass or fail by the machine's speed.
    older = held[0].request
    for _ in range(100):
        if older.failure is not None:
            break
        page.wait_for_timeout(50)
    assert older.failure == "net::ERR_ABORTED"
    try:
        held[0].continue_()
    except Error:
        pass  # the page has cancelled that request: what we want
    assert "5 runs" in graph_labels(page)  # the older, 1-hop view was not drawn over it
    expect(page.locator("#lineage-status")).to_have_text("6 nodes")


def test_it_shows_hostile_names_as_text_in_cluster_panels_and_the_hidden_list(page):
    """The page fixture fails the test if any alert() (any dialog) opens."""
    model = ArtifactSequence.objects.get(name="zoo-ylbchv20").version_by_alias("v0")
    evil = "<img src=x onerror=alert(1)>"
    project = model.sequence.project
    for suffix in ("", " 2", " 3", " 4", " 5"):  # with northern-lake-21: six eval runs
        Run.objects.create(project=project, name=evil + suffix, job_type="eval").use_version(model)
    open_model_lineage(page)
    click_node(page, "6 runs")
    panel = page.locator("#lineage-panel")
    expect(panel.get_by_text(evil, exact=True)).to_be_visible()
    search_cluster(panel, "onerror")
    expect(panel.locator(".cluster-members li:visible")).to_have_count(5)
    panel.get_by_role("button", name=f"Preview {evil}", exact=True).click()
    expect(panel.get_by_role("heading", name=evil, exact=True)).to_be_visible()
    panel.get_by_role("button", name=f"Extract {evil}", exact=True).click()
    page.wait_for_function(READY_WITH % evil.replace("'", "\\'"))
    page.get_by_role("list", name="Nodes of the graph").get_by_role(
        "button", name=f"Hide {evil}", exact=True
    ).click()
    hidden = page.get_by_role("region", name="Hidden")
    expect(hidden.get_by_role("button", name=f"Show {evil}", exact=True)).to_be_visible()
    expect(hidden).to_contain_text(evil)
    assert page.locator("#lineage-graph img").count() == 0


# The labels of the nodes a large view's last frame drew labelled.
TRUNK = 16  # px past a node's side where a large view's edges turn (canvas.js)
LABELLED = (
    "window.lineageFrame.labelled.map(id => window.lineageGraph.getElementById(id).data('label'))"
)


def zoom_to(page, label):
    """Zoom a large view to 1 about the node labelled `label`."""
    page.evaluate(
        """(label) => {
            const cy = window.lineageGraph;
            cy.zoom(1);
            cy.center(cy.nodes().filter(n => n.data('label') === label));
        }""",
        label,
    )


def pixel(page, label, dx, dy):
    """The RGBA of the large view's canvas `dx`, `dy` px inside the left middle of a node."""
    return page.evaluate(
        """([label, dx, dy]) => {
            const node = window.lineageGraph.nodes().filter(n => n.data('label') === label)[0];
            const {x, y} = node.renderedPosition();
            const left = x - node.data('_width') * window.lineageGraph.zoom() / 2;
            const ratio = window.devicePixelRatio || 1;
            const canvas = document.getElementById('lineage-large');
            const data = canvas.getContext('2d').getImageData(
                Math.round((left + dx) * ratio), Math.round((y + dy) * ratio), 1, 1).data;
            return [...data];
        }""",
        [label, dx, dy],
    )


def next_frame(page):
    """Once the page has drawn its next frame."""
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def ink(page, label):
    """How many pixels in a node's box on the large view's canvas are label-dark."""
    return page.evaluate(
        """(label) => {
            const cy = window.lineageGraph;
            const node = cy.nodes().filter(n => n.data('label') === label)[0];
            const {x, y} = node.renderedPosition();
            const [w, h] = [node.data('_width') * cy.zoom(), node.data('_height') * cy.zoom()];
            const ratio = window.devicePixelRatio || 1;
            const data = document.getElementById('lineage-large').getContext('2d')
                .getImageData((x - w / 2) * ratio, (y - h / 2) * ratio, w * ratio, h * ratio).data;
            let dark = 0;
            for (let i = 0; i < data.length; i += 4) {
                const [r, g, b, a] = data.slice(i, i + 4);
                if (a > 200 && r < 90 && g < 90 && b < 90) dark++;
            }
            return dark;
        }""",
        label,
    )


def edges_of(page, label):
    """[kind, id, share of gaps] of each edge of a node in a large view: the share of the
    points along it, between the two nodes' boxes, where its canvas has no ink. An edge
    runs out of its source's side, along a trunk TRUNK px past it, into its target's side
    (canvas.js route(); between columns, as here)."""
    return page.evaluate(
        """([label, trunk]) => {
            const cy = window.lineageGraph;
            const ratio = window.devicePixelRatio || 1;
            const ctx = document.getElementById('lineage-large').getContext('2d');
            const inside = (n, x, y) => {  // in its box, or 3 px around it
                const at = n.renderedPosition();
                return Math.abs(x - at.x) <= n.data('_width') * cy.zoom() / 2 + 3
                    && Math.abs(y - at.y) <= n.data('_height') * cy.zoom() / 2 + 3;
            };
            const side = (n, way) =>
                n.renderedPosition().x + way * n.data('_width') * cy.zoom() / 2;
            const along = (e) => {  // the route's points, rendered
                const [s, t] = [e.source().renderedPosition(), e.target().renderedPosition()];
                const way = t.x >= s.x ? 1 : -1;
                const bend = side(e.source(), way) + way * trunk * cy.zoom();
                const corners = [[bend, s.y], [bend, t.y], [side(e.target(), -way), t.y]];
                const points = [];
                let from = [side(e.source(), way), s.y];
                for (const to of corners) {
                    for (let i = 0; i < 150; i++) {
                        points.push([from[0] + (to[0] - from[0]) * i / 150,
                                     from[1] + (to[1] - from[1]) * i / 150]);
                    }
                    from = to;
                }
                return points;
            };
            const node = cy.nodes().filter(n => n.data('label') === label)[0];
            return node.connectedEdges().map(e => {
                let [points, gaps] = [0, 0];
                for (const [x, y] of along(e)) {
                    if (inside(e.source(), x, y) || inside(e.target(), x, y)) continue;
                    if (x < 0 || y < 0 || x > cy.width() || y > cy.height()) continue;
                    points++;
                    const [px, py] = [Math.round(x * ratio), Math.round(y * ratio)];
                    if (ctx.getImageData(px, py, 1, 1).data[3] < 40) gaps++;
                }
                return [e.data('kind'), e.id(), points ? gaps / points : -1];
            });
        }""",
        [label, TRUNK],
    )


def open_wide_view(page):
    """A dataset used by 140 sweep runs, each logging a model: 281 nodes, a large view."""
    from registry.blobs import store_bytes
    from registry.models import Project

    project = Project.objects.get(entity="acme", name="zoo")
    data, _ = ArtifactSequence.log_version(project, "wide", "dataset", {"f": store_bytes(b"w")})
    for i in range(140):
        run = Run.objects.create(project=project, name=f"sweep-{i}", job_type="train")
        run.use_version(data)
        blob = {"m": store_bytes(f"model {i}".encode())}
        ArtifactSequence.log_version(project, "wide-model", "model", blob, run=run)
    page.goto(f"/lineage/artifact:{data.pk}/?upstream=0&downstream=2&expand_clusters=1")
    wait_for_graph(page)


def test_it_lays_out_a_large_view_in_columns_by_level_and_labels_what_is_in_view(page):
    """Past dagre's budget the view stands in columns by level, rows in line; labels are
    drawn only near the viewport at a readable zoom, and a node there opens on a click."""
    open_wide_view(page)
    nodes = page.evaluate(
        """window.lineageGraph.nodes().map(n => ({
            label: n.data('label'), level: n.data('level'), height: n.data('_height'),
            x: n.position('x'), y: n.position('y')}))"""
    )
    assert len(nodes) == 281
    columns = {}
    for node in nodes:
        columns.setdefault(node["level"], set()).add(round(node["x"]))
    assert all(len(xs) == 1 for xs in columns.values())
    assert sorted(columns, key=lambda level: min(columns[level])) == [0, 1, 2]
    y = {node["label"]: node["y"] for node in nodes}
    assert y["sweep-7"] == pytest.approx(y["wide-model:v7"])  # each model in line with its run
    runs = sorted(node["y"] for node in nodes if node["level"] == 1)
    tallest = max(node["height"] for node in nodes)
    assert all(b - a >= tallest for a, b in zip(runs, runs[1:], strict=False))  # no overlap
    # It opens on the base's row, readable; fitted whole it is far too small to read.
    assert "wide:v0" in page.evaluate(LABELLED)
    x, y = node_point(page, "wide:v0")
    box = page.locator("#lineage-large").bounding_box()
    assert y == pytest.approx(box["y"] + box["height"] / 2, abs=2)
    page.get_by_role("button", name="Fit", exact=True).click()
    page.wait_for_function("() => window.lineageFrame.labelled.length === 0")
    zoom_to(page, "sweep-7")
    page.wait_for_function("() => " + LABELLED + ".includes('sweep-7')")
    shown = page.evaluate(LABELLED)
    assert "wide-model:v7" in shown and "sweep-139" not in shown
    assert ink(page, "sweep-7") > 20  # its label, drawn on the canvas
    assert pixel(page, "sweep-7", 6, 0)[:3] == [0xE3, 0xF6, 0xE8]  # a run's fill
    click_node(page, "sweep-7")
    expect(page.locator("#lineage-panel").get_by_role("heading", name="sweep-7")).to_be_visible()
    # One chosen in the list view, far off screen, is brought into view.
    page.get_by_role("button", name="sweep-139 (run, level 1)").click()
    expect(page.locator("#lineage-panel").get_by_role("heading", name="sweep-139")).to_be_visible()
    x, y = node_point(page, "sweep-139")
    box = page.locator("#lineage-large").bounding_box()
    assert box["x"] < x < box["x"] + box["width"] and box["y"] < y < box["y"] + box["height"]


def test_it_draws_a_large_view_s_path_edges_dashed_and_gives_edges_in_view_their_arrows(page):
    """A large view's edges are plain lines at a zoom that fits it; zoomed in, the edges
    near the viewport point the way they run; a path through filtered-out nodes stays
    dashed, and any node opens on a click."""
    from registry.blobs import store_bytes
    from registry.models import Project

    project = Project.objects.get(entity="acme", name="zoo")
    data, _ = ArtifactSequence.log_version(project, "raw", "dataset", {"f": store_bytes(b"r")})
    for i in range(130):
        prep = Run.objects.create(project=project, name=f"prep-{i}", job_type="prep")
        prep.use_version(data)
        blob = {"f": store_bytes(f"features {i}".encode())}
        features, _ = ArtifactSequence.log_version(project, "feat", "features", blob, run=prep)
        Run.objects.create(project=project, name=f"fit-{i}", job_type="train").use_version(features)
    page.goto(
        f"/lineage/artifact:{data.pk}/?upstream=0&downstream=3&expand_clusters=1"
        "&artifact_types=dataset"
    )
    wait_for_graph(page)
    assert page.evaluate("window.lineageGraph.nodes().length") == 261
    page.get_by_role("button", name="Fit", exact=True).click()
    page.wait_for_function("() => window.lineageFrame.arrows.length === 0")  # fitted: none
    zoom_to(page, "prep-7")
    page.wait_for_function("() => " + LABELLED + ".includes('prep-7')")
    arrows = set(page.evaluate("window.lineageFrame.arrows"))
    near, far = edges_of(page, "prep-7"), edges_of(page, "prep-129")
    assert {kind for kind, _, _ in near} == {"uses", "path"}
    assert {id for _, id, _ in near} <= arrows and not {id for _, id, _ in far} & arrows
    # Along each edge, out of the nodes: a solid line is ink all the way, a dashed one has gaps.
    gaps = {kind: gap for kind, _, gap in near}
    assert gaps["uses"] == 0 and gaps["path"] > 0.2
    click_node(page, "fit-7")
    expect(page.locator("#lineage-panel").get_by_role("heading", name="fit-7")).to_be_visible()
    # An arrow's tip is on its target: the base's edges to runs out of view get none.
    zoom_to(page, "raw:v0")
    page.wait_for_function("() => " + LABELLED + ".includes('raw:v0')")
    frame = page.evaluate("window.lineageFrame")
    tips = page.evaluate(
        "(ids) => ids.map(id => window.lineageGraph.getElementById(id).target().id())",
        frame["arrows"],
    )
    assert 0 < len(tips) < 130 and set(tips) <= set(frame["labelled"])


# Two touches on the large view's canvas, from [a, b] to [c, d] (canvas px).
PINCH = """([a, b, c, d]) => {
    const canvas = document.getElementById('lineage-large');
    const box = canvas.getBoundingClientRect();
    const touch = (type, id, [x, y]) => canvas.dispatchEvent(new PointerEvent(type, {
        pointerId: id, pointerType: 'touch', isPrimary: id === 1, bubbles: true,
        clientX: box.x + x, clientY: box.y + y}));
    touch('pointerdown', 1, a);
    touch('pointerdown', 2, b);
    touch('pointermove', 1, c);
    touch('pointermove', 2, d);
    touch('pointerup', 1, c);
    touch('pointerup', 2, d);
}"""


def test_a_large_view_hides_drags_pans_and_exports_like_a_small_one(page):
    """On a large view's canvas the eye hides a node, a press on a node drags it and one
    beside the nodes pans, two fingers zoom, and Export PNG draws the whole view with
    every label."""
    open_wide_view(page)
    zoom_to(page, "sweep-7")
    page.wait_for_function("() => " + LABELLED + ".includes('sweep-7')")
    hover_node(page, "sweep-7")
    eye(page, "sweep-7").click()
    wait_for_labels(page, gone=["sweep-7"])
    page.wait_for_function("() => !" + LABELLED + ".includes('sweep-7')")
    assert pixel(page, "sweep-7", 6, 0)[3] == 0  # nothing drawn where it stood
    hidden = page.get_by_role("region", name="Hidden")
    expect(hidden.get_by_role("button", name="Show sweep-7", exact=True)).to_be_visible()

    position = '(label) => window.lineageGraph.$(`[label = "${label}"]`).position()'
    before = page.evaluate(position, "sweep-8")
    x, y = node_point(page, "sweep-8")
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 60, y + 40, steps=5)
    page.mouse.up()
    after = page.evaluate(position, "sweep-8")
    assert (after["x"] - before["x"], after["y"] - before["y"]) == pytest.approx((60, 40))
    next_frame(page)
    assert pixel(page, "sweep-8", 6, 0)[:3] == [0xE3, 0xF6, 0xE8]  # drawn where it went

    pan = page.evaluate("window.lineageGraph.pan()")
    width = page.evaluate("window.lineageGraph.$('[label = \"sweep-9\"]').data('_width')")
    x, y = node_point(page, "sweep-9")
    page.mouse.move(x - width / 2 - 20, y)  # in the gap left of its column
    page.mouse.down()
    page.mouse.move(x - width / 2 + 10, y, steps=5)
    page.mouse.up()
    assert page.evaluate("window.lineageGraph.pan()")["x"] == pytest.approx(pan["x"] + 30)
    assert page.evaluate("window.lineageGraph.$(':selected').length") == 0  # no click
    click_node(page, "sweep-10")
    next_frame(page)
    *colour, alpha = pixel(page, "sweep-10", -4, 0)
    assert alpha > 200 and max(colour) < 90  # the selection's outline

    zoom = page.evaluate("window.lineageGraph.zoom()")
    page.evaluate(PINCH, [[400, 300], [440, 300], [360, 300], [480, 300]])  # fingers 3x apart
    assert page.evaluate("window.lineageGraph.zoom()") == pytest.approx(3 * zoom)

    with page.expect_download() as download:
        page.get_by_role("button", name="Export PNG").click()
    png = open(download.value.path(), "rb").read()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    drawn = page.evaluate(
        """async (bytes) => {
            const image = await createImageBitmap(new Blob([new Uint8Array(bytes)]));
            const ctx = new OffscreenCanvas(image.width, image.height).getContext('2d');
            ctx.drawImage(image, 0, 0);
            const data = ctx.getImageData(0, 0, image.width, image.height).data;
            let dark = 0;
            for (let i = 0; i < data.length; i += 4) dark += data[i] < 90 && data[i + 2] < 90;
            const nodes = window.lineageGraph.nodes().not('.hidden');
            const span = (axis, size) => {
                const ends = nodes.map(n =>
                    [-1, 1].map(s => n.position(axis) + s * n.data(size) / 2));
                return Math.max(...ends.flat()) - Math.min(...ends.flat()) + 20;  // 10 px a side
            };
            const box = [span('x', '_width'), span('y', '_height')];
            return {size: [image.width, image.height], box, dark};
        }""",
        list(png),
    )
    # All of it, at 2x but for the 16,384 px a browser's canvas can have on a side.
    (width, height), (wide, high) = drawn["size"], drawn["box"]
    scale = min(2, 16384 / wide, 16384 / high)
    assert width == pytest.approx(wide * scale, abs=1)
    assert height == pytest.approx(high * scale, abs=1)
    assert drawn["dark"] > 280 * 100  # every label, 280 of them


def test_a_view_switches_between_the_canvas_and_cytoscape_as_its_size_crosses_250(page):
    """Applying a narrower view to a large one draws it with Cytoscape again, and a wider
    one back on the canvas: one drawing shown at a time, each answering clicks."""
    open_wide_view(page)
    assert not page.evaluate("window.lineageGraph.styleEnabled()")
    page.get_by_role("button", name="Custom").click()
    page.get_by_label("Expand clusters").uncheck()
    page.get_by_role("button", name="Apply").click()
    page.wait_for_function(READY_WITH % "wide:v0")
    assert page.evaluate("window.lineageGraph.styleEnabled()")  # 3 nodes: Cytoscape
    expect(page.locator("#lineage-large")).to_be_hidden()
    click_node(page, "wide:v0")
    expect(page.locator("#lineage-panel").get_by_role("heading", name="wide:v0")).to_be_visible()
    page.get_by_role("button", name="Custom").click()
    page.get_by_label("Expand clusters").check()
    page.get_by_role("button", name="Apply").click()
    page.wait_for_function(READY_WITH % "sweep-7")
    assert not page.evaluate("window.lineageGraph.styleEnabled()")
    expect(page.locator("#lineage-large")).to_be_visible()
    page.get_by_role("button", name="Fit", exact=True).click()
    page.wait_for_function("() => window.lineageFrame.nodes === 281")  # all of it, drawn
    zoom_to(page, "sweep-7")
    click_node(page, "sweep-7")
    expect(page.locator("#lineage-panel").get_by_role("heading", name="sweep-7")).to_be_visible()
