"""Views that grow in place: a "+N more" marker where the hops or the bound cut the view,
and a click on it adds what it stood for beside it, without a reload or a new layout."""

import re

import pytest
from playwright.sync_api import expect

from .conftest import SCREEN_POINT, graph_labels, node_id, wait_for_graph

pytestmark = pytest.mark.browser

# zoo-ylbchv20:v0 one hop each way: rural-feather-20 made it (and used the split
# dataset, one hop further up), northern-lake-21 used it (and logged two versions).
ONE_HOP = "/registry/model/zoo-classifier/v1/?tab=lineage&upstream=1&downstream=1"


def positions(page):
    return page.evaluate(
        "Object.fromEntries(window.lineageGraph.nodes().map(n => [n.id(), n.position()]))"
    )


def boxes(page):
    return page.evaluate(
        """window.lineageGraph.nodes(':visible').map(n => {
            const {x, y} = n.position(), w = n.data('_width') / 2, h = n.data('_height') / 2;
            return {id: n.id(), label: n.data('label'), x1: x - w, x2: x + w, y1: y - h, y2: y + h};
        })"""
    )


def graph_nodes(page):
    """The ids of the graph's own nodes, markers aside."""
    return set(page.evaluate("window.lineageGraph.nodes(\"[kind != 'more']\").map(n => n.id())"))


def marker(page, anchor, direction):
    """The id of the "+N more" marker hanging from the node labelled `anchor`."""
    return page.evaluate(
        """([anchor, direction]) => window.lineageGraph.nodes("[kind = 'more']").filter(m =>
            window.lineageGraph.getElementById(m.data('anchor')).data('label') === anchor
            && m.data('direction') === direction)[0].id()""",
        [anchor, direction],
    )


def click_id(page, node_id):
    at = "(id) => (" + SCREEN_POINT + ")(window.lineageGraph.getElementById(id))"
    page.mouse.click(*page.evaluate(at, node_id))


def wait_for_grown(page, times):
    page.wait_for_function("(n) => window.lineageGrown === n", arg=times)


def assert_no_overlap(page):
    drawn = boxes(page)
    for i, a in enumerate(drawn):
        for b in drawn[i + 1 :]:
            apart = (
                a["x2"] <= b["x1"] or b["x2"] <= a["x1"] or a["y2"] <= b["y1"] or b["y2"] <= a["y1"]
            )
            assert apart, (a["label"], b["label"])


def test_a_click_on_more_grows_the_view_in_place(page):
    page.goto(ONE_HOP)
    wait_for_graph(page)
    assert {"+1 more"} == {label for label in graph_labels(page) if label.endswith(" more")}
    more = marker(page, "northern-lake-21", "downstream")
    before, nodes = positions(page), graph_nodes(page)
    page.evaluate("window.notReloaded = true")
    click_id(page, more)
    wait_for_grown(page, 1)
    after = positions(page)
    grown = graph_nodes(page) - nodes
    assert len(grown) == 1 and nodes < graph_nodes(page)
    # Everything drawn before stands exactly where it stood; the marker gave way.
    assert more not in after
    assert {i: p for i, p in before.items() if i != more} == {
        i: p for i, p in after.items() if i in before
    }
    # What it stood for is one column on, beside where the marker was, overlapping nothing.
    anchor = after[node_id(page, "northern-lake-21")]
    assert all(after[i]["x"] > anchor["x"] for i in grown)
    assert_no_overlap(page)
    assert page.evaluate("window.notReloaded") is True
    expect(page).to_have_url(re.compile(r"grow=more%3A"))
    expect(page.locator("#lineage-status")).to_have_text(re.compile(r"^4 nodes"))


def test_the_list_view_grows_it_from_the_keyboard_and_the_url_keeps_it(page):
    page.goto(ONE_HOP)
    wait_for_graph(page)
    before = positions(page)
    grow = page.get_by_role("list", name="Nodes of the graph").get_by_role(
        "button", name="+1 more: grow the view upstream of rural-feather-20"
    )
    grow.focus()
    page.keyboard.press("Enter")
    wait_for_grown(page, 1)
    labels = graph_labels(page)
    assert any(label.startswith("split_zoo_dataset:") for label in labels)
    after = positions(page)
    assert {i: p for i, p in after.items() if i in before} == {
        i: p for i, p in before.items() if i in after
    }
    assert_no_overlap(page)
    page.reload()  # the page URL holds the grown view
    wait_for_graph(page)
    assert graph_labels(page) == labels


def test_a_level_the_bound_cut_grows_with_the_rest_of_it(page, settings):
    settings.LINEAGE_MAX_NODES = 2  # the base and rural-feather-20, nearest first
    page.goto(ONE_HOP)
    wait_for_graph(page)
    expect(page.locator("#lineage-status")).to_contain_text("truncated")
    assert "northern-lake-21" not in graph_labels(page)
    more = marker(page, "zoo-ylbchv20:v0", "downstream")
    before, nodes = positions(page), graph_nodes(page)
    was = next(b for b in boxes(page) if b["id"] == more)
    click_id(page, more)
    wait_for_grown(page, 1)
    assert "northern-lake-21" in graph_labels(page)
    after = positions(page)
    assert {i: p for i, p in before.items() if i != more} == {
        i: p for i, p in after.items() if i in before
    }
    assert graph_nodes(page) - nodes == {node_id(page, "northern-lake-21")}
    grown = next(b for b in boxes(page) if b["label"] == "northern-lake-21")
    assert (grown["x1"], grown["y1"] + grown["y2"]) == (
        was["x1"],
        was["y1"] + was["y2"],
    )  # where its marker was
    assert_no_overlap(page)
    expect(page.locator("#lineage-status")).not_to_contain_text("truncated")


def wide_view(page, runs, models):
    """A dataset used by `runs` runs and by wide-last, which logs `models` model versions:
    the view one hop down, with a "+N more" marker past wide-last."""
    from tests.conftest import Builder

    g = Builder("acme", "wide")
    data = g.art("wide-data")
    for i in range(runs):
        g.run(f"wide-{i}", "train", uses=[data])
    last = g.run("wide-last", "train", uses=[data])
    for i in range(models):
        g.art(f"wide-model-{i}", "model", run=last)
    page.goto(f"/lineage/{data.node_id}/?downstream=1&expand_clusters=1")
    wait_for_graph(page)


def grow_past_wide_last(page):
    """Click the marker past wide-last; check nothing drawn moved and nothing overlaps."""
    before = positions(page)
    more = marker(page, "wide-last", "downstream")
    page.evaluate(
        "(id) => window.lineageGraph.center(window.lineageGraph.getElementById(id))", more
    )
    click_id(page, more)
    wait_for_grown(page, 1)
    after = positions(page)
    assert {i: p for i, p in before.items() if i != more} == {
        i: p for i, p in after.items() if i in before
    }
    assert_no_overlap(page)


def test_a_large_view_grows_in_place_too(page):
    """Past 250 nodes the view stands in columns by level (no dagre): growing keeps them."""
    wide_view(page, runs=260, models=1)
    assert len(graph_nodes(page)) == 262
    grow_past_wide_last(page)
    assert "wide-model-0:v0" in graph_labels(page)


def test_a_small_view_grown_past_250_nodes_moves_to_the_canvas_as_it_stands(page):
    """A view dagre laid out, grown past its budget, is drawn by the large views' canvas
    from then on: nothing drawn moves, and its nodes still open on a click."""
    wide_view(page, runs=200, models=60)
    assert page.evaluate("window.lineageGraph.styleEnabled()")  # Cytoscape draws it
    grow_past_wide_last(page)
    assert not page.evaluate("window.lineageGraph.styleEnabled()")  # now the canvas
    assert len(graph_nodes(page)) == 262
    page.wait_for_function("() => window.lineageFrame.nodes > 0")
    assert page.locator("#lineage-large").is_visible()
    click_id(page, node_id(page, "wide-model-7:v0"))
    expect(
        page.locator("#lineage-panel").get_by_role("heading", name="wide-model-7:v0")
    ).to_be_visible()
