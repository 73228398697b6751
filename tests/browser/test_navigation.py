"""A person's way through the registry, by clicking visible links."""

import re

import pytest
from playwright.sync_api import expect

from registry.models import Run

from .conftest import (
    click_node,
    graph_labels,
    hover_node,
    search_cluster,
    wait_for_graph,
    wait_for_labels,
)

pytestmark = pytest.mark.browser

REFERENCE = {"split_zoo_dataset:v4", "rural-feather-20", "zoo-ylbchv20:v0", "northern-lake-21"}


def test_it_does_the_must_show_flow_by_clicking_from_the_registry_home(page):
    page.goto("/")
    page.get_by_role("link", name="model").first.click()
    page.get_by_role("link", name="zoo-classifier").click()
    expect(page.get_by_role("heading", name="zoo-classifier", exact=True)).to_be_visible()
    versions = page.get_by_role("table", name="Versions of zoo-classifier")
    expect(versions.get_by_role("row", name="v1 production zoo-ylbchv20:v0")).to_be_visible()
    page.get_by_label("Version", exact=True).select_option(
        label="v1 · production — zoo-ylbchv20:v0"
    )
    expect(page).to_have_url(re.compile(r"/zoo-classifier/v1/"))
    page.get_by_role("link", name="Lineage", exact=True).click()
    wait_for_graph(page)
    assert REFERENCE <= graph_labels(page)
    edges = page.evaluate(
        """window.lineageGraph.edges().map(e =>
            e.source().data('label') + ' -> ' + e.target().data('label'))"""
    )
    assert "split_zoo_dataset:v4 -> rural-feather-20" in edges
    assert "rural-feather-20 -> zoo-ylbchv20:v0" in edges
    assert "zoo-ylbchv20:v0 -> northern-lake-21" in edges

    panel = page.locator("#lineage-panel")
    click_node(page, "rural-feather-20")
    run = Run.objects.get(name="rural-feather-20")
    expect(panel.get_by_role("heading", name="rural-feather-20")).to_be_visible()
    expect(panel.get_by_text(run.run_id)).to_be_visible()
    expect(panel.get_by_text("finished")).to_be_visible()

    click_node(page, "zoo-ylbchv20:v0")
    expect(panel.get_by_role("heading", name="zoo-ylbchv20:v0")).to_be_visible()
    expect(
        panel.locator("dt", has_text="Type").locator("xpath=following-sibling::dd[1]")
    ).to_have_text("model")
    expect(panel.get_by_text("best")).to_be_visible()  # its alias in its own sequence
    collection = panel.get_by_role("listitem").filter(has_text="model/zoo-classifier v1")
    expect(collection).to_have_text("model/zoo-classifier v1: production")  # and the registry's
    expect(panel.locator("time")).to_have_attribute("datetime", re.compile(r"^\d{4}-\d\d-\d\dT"))

    hover_node(page, "northern-lake-21")
    page.locator(".lineage-stage").get_by_role("button", name="Hide northern-lake-21").click()
    wait_for_labels(page, gone=["northern-lake-21"])
    hidden = page.get_by_role("region", name="Hidden")
    hidden.get_by_role("button", name="Show northern-lake-21").click()
    wait_for_labels(page, shown=["northern-lake-21"])

    click_node(page, "5 runs")
    members = panel.locator(".cluster-members li:visible")
    expect(members).to_have_count(5)
    search_cluster(panel, "misty")
    expect(members).to_have_count(1)
    panel.get_by_role("button", name="Extract misty-river-6").click()
    wait_for_labels(page, shown=["misty-river-6"], gone=["5 runs"])
    expect(panel.get_by_role("heading", name="misty-river-6")).to_be_visible()

    page.get_by_role("button", name="Custom").click()
    form = page.locator("#lineage-custom")
    form.get_by_label("Include extended lineage").check()
    form.get_by_label("Downstream hops").fill("2")
    form.get_by_role("button", name="Apply").click()
    wait_for_labels(page, shown=["zoo_holdout:v0", "misty-river-6"])
    wait_for_graph(page)
    expect(panel).to_contain_text("Click a node to see its details.")
    click_node(page, "zoo_holdout:v0")  # the open form moved the canvas: clicks still land
    expect(panel.get_by_role("heading", name="zoo_holdout:v0")).to_be_visible()
    page.get_by_role("list", name="Nodes of the graph").get_by_role(
        "button", name="Hide zoo-eval-ylbchv20:v0"
    ).click()
    wait_for_labels(page, gone=["zoo-eval-ylbchv20:v0"])
    expected, url = graph_labels(page), page.url
    assert "extract=" in url and "hidden=" in url and "extended=1" in url

    page.reload()
    wait_for_graph(page)
    assert page.url == url
    assert graph_labels(page) == expected
    expect(hidden.get_by_role("button", name="Show zoo-eval-ylbchv20:v0")).to_be_visible()

    page.get_by_label("Collection menu").click()
    page.get_by_role("menuitem", name="Action History").click()
    history = page.locator("#history")
    expect(history.get_by_role("heading", name="Action History of zoo-classifier")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/registry/model/zoo-classifier/history/$"))
    expect(history.locator("tbody tr").first).to_contain_text("version unlinked")  # the last
    times = history.locator("time").evaluate_all("els => els.map(e => e.dateTime)")
    assert len(times) > 5 and times == sorted(times, reverse=True)  # newest first


def test_it_searches_a_registrys_collections(page):
    page.goto("/registry/model/")
    page.get_by_label("Search collections").fill("nothing-like-this")
    expect(page.get_by_text("No collection matches")).to_be_visible()
    page.get_by_label("Search collections").fill("zoo")
    expect(page.get_by_role("link", name="zoo-classifier")).to_be_visible()


def test_it_reaches_a_projects_artifacts_and_their_lineage(page):
    page.goto("/")
    page.get_by_role("link", name="acme/zoo").click()
    expect(page.get_by_role("heading", name="Artifacts of acme/zoo")).to_be_visible()
    page.get_by_role("link", name="split_zoo_dataset", exact=True).click()
    page.get_by_role("link", name="split_zoo_dataset:v4").click()
    expect(page.get_by_text("acme/zoo/split_zoo_dataset:v4")).to_be_visible()
    page.get_by_role("link", name="Files", exact=True).click()
    expect(page.get_by_role("link", name="train.csv")).to_be_visible()
    page.get_by_role("link", name="Lineage", exact=True).click()
    wait_for_graph(page)
    assert {"split_zoo_dataset:v4", "5 runs", "7 runs"} <= graph_labels(page)


def test_it_shows_a_runs_inputs_outputs_and_lineage(page):
    page.goto("/acme/zoo/runs/")
    page.get_by_role("link", name="rural-feather-20").click()
    inputs = page.get_by_role("region", name="Inputs")
    outputs = page.get_by_role("region", name="Outputs")
    expect(inputs.get_by_role("link", name="split_zoo_dataset:v4")).to_be_visible()
    expect(outputs.get_by_role("link", name="zoo-ylbchv20:v0")).to_be_visible()
    page.get_by_role("link", name="Lineage", exact=True).click()
    wait_for_graph(page)
    assert {"rural-feather-20", "split_zoo_dataset:v4", "zoo-ylbchv20:v0"} <= graph_labels(page)
    page.get_by_role("link", name="Overview", exact=True).click()
    outputs = page.get_by_role("region", name="Outputs")
    outputs.get_by_role("link", name="zoo-ylbchv20:v0").click()
    expect(page.get_by_role("heading", name="zoo-ylbchv20:v0")).to_be_visible()


def test_it_opens_action_history_from_the_collection_menu(page):
    page.goto("/registry/model/zoo-classifier/v1/?tab=overview")
    page.get_by_label("Collection menu").click()
    page.get_by_role("menuitem", name="Action History").click()
    history = page.locator("#history")
    expect(history.get_by_role("heading", name="Action History of zoo-classifier")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/zoo-classifier/history/$"))  # bookmarkable
    page.get_by_role("link", name="Close Action History").click()
    expect(history).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/zoo-classifier/v1/\?tab=overview$"))
    page.go_forward()
    expect(page.get_by_role("heading", name="Action History of zoo-classifier")).to_be_visible()
    page.reload()  # the bookmark: the history on a page of its own, closing goes to the collection
    expect(history.get_by_role("cell", name="alice").first).to_be_visible()
    page.get_by_role("link", name="Close Action History").click()
    expect(page).to_have_url(re.compile(r"/registry/model/zoo-classifier/$"))
    page.get_by_label("Collection menu").click()
    page.get_by_role("menuitem", name="Action History").click()
    expect(history.get_by_role("cell", name="alice").first).to_be_visible()
    expect(history.get_by_role("cell", name="noah").first).to_be_visible()
    expect(history.get_by_role("cell", name="version unlinked")).to_be_visible()
    history.get_by_role("combobox", name="Action").select_option("version_linked")
    expect(page.locator("#history tbody tr")).to_have_count(3)
    expect(page.locator("#history").get_by_role("cell", name="alias added")).to_have_count(0)
    # still over the collection page
    expect(page.get_by_label("Version", exact=True)).to_be_visible()
