"""The Lineage tab, used the way a person uses it: click, hover, hide, search, apply."""

import json
import re

import pytest
from playwright.sync_api import expect

from registry.models import ArtifactSequence, Run

from .conftest import (
    click_node,
    graph_labels,
    hover_node,
    node_id,
    node_point,
    wait_for_graph,
    wait_for_labels,
)

pytestmark = pytest.mark.browser
READY_WITH = (
    "window.lineageGraphReady && window.lineageGraph.nodes().some(n => n.data('label') === '%s')"
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
        "window.lineageGraph.nodes('[?base]').data('label') === 'split_zoo_dataset:v4'"
    )
    wait_for_graph(page)
    assert "7 runs" in graph_labels(page)
    assert "node=artifact" in page.url


def test_it_hides_a_node_with_the_eye_and_shows_it_again(page):
    open_model_lineage(page)
    hover_node(page, "northern-lake-21")
    page.get_by_role("button", name="Hide northern-lake-21").click()
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
    page.get_by_role("button", name="Hide northern-lake-21").click()
    expect(page).to_have_url(re.compile("hidden="))
    page.reload()
    wait_for_graph(page)
    assert "northern-lake-21" not in graph_labels(page)
    expect(page.get_by_role("button", name="Show northern-lake-21")).to_be_visible()


def test_it_searches_a_cluster_and_extracts_a_member(page):
    open_model_lineage(page)
    click_node(page, "5 runs")
    panel = page.locator("#lineage-panel")
    members = panel.locator(".cluster-members li:visible")
    expect(members).to_have_count(5)
    panel.get_by_label("Search cluster").fill("brisk")
    expect(members).to_have_count(4)
    panel.get_by_label("Search cluster").fill("misty-river-6")
    expect(members).to_have_count(1)
    panel.get_by_role("button", name="Preview misty-river-6").click()
    expect(panel.get_by_role("heading", name="misty-river-6")).to_be_visible()
    panel.get_by_role("button", name="Extract misty-river-6").click()
    page.wait_for_function(READY_WITH % "misty-river-6")
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
    for label in (
        "Filter by artifact type",
        "Filter by run job type",
        "Include extended lineage",
        "Include generated artifacts",
        "Expand clusters",
        "Downstream hops",
        "Upstream hops",
    ):
        expect(form.get_by_label(label, exact=True)).to_be_visible()
    form.get_by_label("Filter by run job type").select_option(["train", "eval", "preprocess"])
    form.get_by_label("Include extended lineage").check()
    form.get_by_label("Include generated artifacts").check()
    form.get_by_label("Expand clusters").check()
    form.get_by_label("Upstream hops").fill("2")
    form.get_by_label("Downstream hops").fill("1")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_function(READY_WITH % "source-zoo-train.py:v0")
    expected = graph_labels(page)
    assert "zoo_holdout:v0" in expected  # extended: the eval run's other input
    assert "zoo-eval-ylbchv20:v0" in expected  # extended: its output
    assert "5 runs" not in expected and "misty-river-6" not in expected  # 2 hops up
    url = page.url
    assert "upstream=2" in url and "expand_clusters=on" in url
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


def test_it_fits_and_exposes_the_graph(page):
    open_model_lineage(page)
    page.evaluate("window.lineageGraph.zoom(0.1)")
    page.get_by_role("button", name="Fit").click()
    page.wait_for_function("window.lineageGraph.zoom() > 0.2")
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
