"""A person's way through the registry, by clicking visible links."""

import re

import pytest
from playwright.sync_api import expect

from .conftest import graph_labels, wait_for_graph

pytestmark = pytest.mark.browser

REFERENCE = {"split_zoo_dataset:v4", "rural-feather-20", "zoo-ylbchv20:v0", "northern-lake-21"}


def test_it_reaches_a_collection_versions_lineage_by_clicking(page):
    page.goto("/")
    page.get_by_role("link", name="model").first.click()
    page.get_by_role("link", name="zoo-classifier").click()
    expect(page.get_by_role("heading", name="zoo-classifier")).to_be_visible()
    page.get_by_label("Version").select_option(label="v1 · production — zoo-ylbchv20:v0")
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
    page.goto("/registry/model/zoo-classifier/")
    page.get_by_label("Collection menu").click()
    page.get_by_role("menuitem", name="Action History").click()
    history = page.locator("#history")
    expect(history.get_by_role("heading", name="Action History of zoo-classifier")).to_be_visible()
    expect(history.get_by_role("cell", name="alice").first).to_be_visible()
    expect(history.get_by_role("cell", name="noah").first).to_be_visible()
    expect(history.get_by_role("cell", name="version unlinked")).to_be_visible()
    history.get_by_label("Action").select_option("version_linked")
    expect(page.locator("#history tbody tr")).to_have_count(3)
    expect(page.locator("#history").get_by_role("cell", name="alias added")).to_have_count(0)
    assert "/zoo-classifier/" in page.url  # stayed on the collection page
