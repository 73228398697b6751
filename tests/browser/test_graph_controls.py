"""The graph's controls a new user reached for: zoom buttons and a wheel that moves,
a node count that says how many are hidden, the Hidden strip above the canvas, and a
Custom form that opens over the details column with checkboxes and says what a shared
link applies."""

import re

from playwright.sync_api import expect

from .conftest import click_node, node_id, wait_for_graph, wait_for_labels

LINEAGE = "/registry/model/zoo-classifier/v1/?tab=lineage"


def zoom(page):
    return page.evaluate("window.lineageGraph.zoom()")


def test_zoom_buttons_and_the_wheel_move_at_a_useful_speed(page):
    page.goto(LINEAGE)
    wait_for_graph(page)
    start = zoom(page)
    page.get_by_role("button", name="Zoom in").click()
    assert zoom(page) == start * 1.25
    page.get_by_role("button", name="Zoom out").click()
    page.get_by_role("button", name="Zoom out").click()
    assert abs(zoom(page) - start / 1.25) < 1e-9
    box = page.locator("#lineage-canvas").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    before = zoom(page)
    page.mouse.wheel(0, -100)  # one notch of a mouse wheel, towards the screen
    page.wait_for_function("(z) => window.lineageGraph.zoom() > z", arg=before)
    assert 1.2 < zoom(page) / before < 1.35  # about a quarter; Cytoscape's own moved 3%
    before = zoom(page)
    page.mouse.wheel(0, 100)
    page.wait_for_function("(z) => window.lineageGraph.zoom() < z", arg=before)
    assert 0.75 < zoom(page) / before < 0.83


def test_the_count_says_how_many_are_hidden_and_the_strip_above_shows_them_again(page):
    page.goto(LINEAGE)
    wait_for_graph(page)
    status = page.locator("#lineage-status")
    expect(status).to_have_text(re.compile(r"^\d+ nodes$"))
    total = int(status.inner_text().split()[0])
    nodes = page.get_by_role("list", name="Nodes of the graph")
    for label in ("northern-lake-21", "rural-feather-20"):
        nodes.get_by_role("button", name=f"Hide {label}").click()
    wait_for_labels(page, gone=["northern-lake-21", "rural-feather-20"])
    expect(status).to_have_text(f"{total} nodes, 2 hidden")
    strip = page.get_by_role("region", name="Hidden")
    canvas = page.locator("#lineage-canvas").bounding_box()
    strip_box = strip.bounding_box()
    assert 0 <= canvas["y"] - (strip_box["y"] + strip_box["height"]) < 40  # right above it
    strip.get_by_role("button", name="Show northern-lake-21").click()
    wait_for_labels(page, shown=["northern-lake-21"])
    expect(status).to_have_text(f"{total} nodes, 1 hidden")
    nodes.get_by_role("button", name="Hide northern-lake-21").click()
    strip.get_by_role("button", name="Show all").click()
    wait_for_labels(page, shown=["northern-lake-21", "rural-feather-20"])
    expect(status).to_have_text(f"{total} nodes")
    expect(page).not_to_have_url(re.compile("hidden="))


def test_custom_opens_over_the_details_with_checkboxes_and_says_what_a_link_applies(page):
    page.goto(LINEAGE + "&job_types=train,eval&upstream=2")
    wait_for_graph(page)
    applied = page.locator("#lineage-applied")
    expect(applied).to_have_text("Applied: Upstream hops: 2 · Filter by run job type: eval, train")
    canvas = page.locator("#lineage-canvas").bounding_box()
    page.get_by_role("button", name="Custom").click()
    form = page.get_by_role("form", name="Custom view")
    expect(form).to_be_visible()
    assert page.locator("#lineage-canvas").bounding_box() == canvas  # the graph did not move
    form_box, panel = form.bounding_box(), page.locator("#lineage-panel").bounding_box()
    assert form_box["x"] >= canvas["x"] + canvas["width"]  # beside the canvas, not over it
    assert form_box["x"] == panel["x"]
    jobs = form.get_by_role("group", name="Filter by run job type")
    expect(jobs.get_by_label("train", exact=True)).to_be_checked()  # the link's filter, ticked
    expect(jobs.get_by_label("preprocess", exact=True)).not_to_be_checked()
    jobs.get_by_label("eval", exact=True).uncheck()  # a click each, no Ctrl
    form.get_by_role("group", name="Filter by artifact type").get_by_label("model").check()
    form.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"job_types=train(&|$)"))
    expect(applied).to_have_text(
        "Applied: Upstream hops: 2 · Filter by artifact type: model · Filter by run job type: train"
    )
    expect(form).to_be_visible()  # still open to adjust further
    page.keyboard.press("Escape")
    expect(form).to_be_hidden()
    page.get_by_role("button", name="Custom").click()
    wait_for_graph(page)
    click_node(page, "zoo-ylbchv20:v0")  # a node's details take the column back
    expect(form).to_be_hidden()
    expect(
        page.locator("#lineage-panel").get_by_role("heading", name="zoo-ylbchv20:v0")
    ).to_be_visible()
    assert node_id(page, "zoo-ylbchv20:v0").startswith("artifact:")


def test_long_names_wrap_after_separators_inside_nodes_and_cluster_rows(page):
    from registry.models import Run

    long = "northern-lake-21-evaluation-of-the-zoo-classifier-on-holdout-split"
    Run.objects.filter(name="northern-lake-21").update(name=long)
    Run.objects.filter(name="brisk-leaf-8").update(
        name="brisk-leaf-8-with-a-long-sweep-name_lr0.01"
    )
    page.goto(LINEAGE)
    wait_for_graph(page)
    node = page.evaluate(
        """(label) => {
            const n = window.lineageGraph.nodes().filter(n => n.data('label') === label)[0];
            const box = n.boundingBox({ includeLabels: false });
            const withLabel = n.boundingBox({ includeLabels: true, includeOverlays: false });
            return { text: n.data('_text'), height: n.data('_height'), box, withLabel };
        }""",
        long,
    )
    assert node["text"] == long.replace("-", "-\u200b")  # breaks only after separators
    assert node["height"] == 52  # two lines, the node grown to hold them
    assert node["withLabel"]["w"] <= node["box"]["w"] + 1  # the label stays inside its node
    assert node["withLabel"]["h"] <= node["box"]["h"] + 1

    click_node(page, "5 runs")
    panel = page.locator("#lineage-panel")
    rows = panel.locator(".cluster-members li")
    expect(rows).to_have_count(5)
    clipped = page.evaluate(
        """() => {
            const list = document.querySelector('.cluster-members');
            const rows = [...list.querySelectorAll('li')];
            return { list: list.scrollHeight > list.clientHeight + 1,
                     rows: rows.filter(r => r.scrollWidth > r.clientWidth + 1).length,
                     names: rows.map(r => r.querySelector('.member-name').innerHTML) };
        }"""
    )
    assert clipped["list"] is False and clipped["rows"] == 0  # whole rows, nothing cut off
    assert (
        "brisk-<wbr>leaf-<wbr>8-<wbr>with-<wbr>a-<wbr>long-<wbr>sweep-<wbr>name_<wbr>lr0.<wbr>01"
        in (clipped["names"])
    )
    panel.get_by_role("button", name="Preview brisk-leaf-8-with-a-long-sweep-name_lr0.01").click()
    expect(panel.locator("#cluster-preview h3")).to_have_text(
        "brisk-leaf-8-with-a-long-sweep-name_lr0.01"
    )
