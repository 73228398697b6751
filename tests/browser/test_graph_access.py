"""The same graph page, opened by a restricted viewer of a registry and by a user in
nothing: what they may not see is drawn as locked placeholders, and no private word
reaches the page (DOM, graph data, panels, export)."""

import json

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from tests.lineage.private_world import make_world

from .conftest import click_node, search_cluster, wait_for_graph

pytestmark = pytest.mark.browser

# What neither of them may see; rita sees SECRETmodel (through the registry), not these.
NEVER = ("SECRETtrain", "SECRETsweep", "SECRETjob", "SECRETsweepjob", "SECRETproject")


@pytest.fixture
def world(transactional_db):
    return make_world()


@pytest.fixture
def open_as(browser, live_server, world):
    """open_as(user) -> a page signed in as `user` on the graph of open-data."""
    contexts = []

    def open_as(user):
        client = Client()
        client.force_login(user)
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": 1400, "height": 900}
        )
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        page.set_default_timeout(10_000)
        page.goto(f"/lineage/{world.data.node_id}/?downstream=4")
        wait_for_graph(page)
        return page

    yield open_as
    for context in contexts:
        assert context.pages[0].errors == [], context.pages[0].errors
        context.close()


def graph_data(page):
    return page.evaluate("JSON.stringify(window.lineageGraph.elements().map(e => e.data()))")


def assert_private_words_absent(page, words):
    for text in (page.content(), graph_data(page)):
        for word in words:
            assert word not in text, word


@pytest.mark.parametrize("who", ["nobody", "rita"])
def test_the_same_graph_shows_locked_placeholders(world, open_as, who):
    page = open_as(getattr(world, who))
    words = ("SECRET",) if who == "nobody" else NEVER
    assert_private_words_absent(page, words)
    kinds = page.evaluate(
        "window.lineageGraph.nodes().map(n => n.data('clusterKind') || n.data('kind'))"
    )
    assert kinds.count("locked") == (2 if who == "nobody" else 1)  # the runs; the model too
    listed = page.get_by_role("list", name="Nodes of the graph")
    expect(listed.get_by_role("button", name="7 without access (cluster, level 1)")).to_be_visible()
    if who == "rita":  # the version linked into the registry she may see
        expect(
            listed.get_by_role("button", name="SECRETmodel:v0 (SECRETtype, level 2)")
        ).to_be_visible()

    # A locked cluster's panel lists placeholders, and its search finds no name.
    panel = page.locator("#lineage-panel")
    click_node(page, "7 without access")
    expect(panel.get_by_text("7 members")).to_be_visible()
    expect(panel.locator(".cluster-members li")).to_have_count(7)
    expect(panel.locator(".cluster-members li span", has_text="No access")).to_have_count(7)
    # Their real names hold "sweep": a search by name must not find them.
    search_cluster(panel, "sweep")
    expect(panel.get_by_text("0 members")).to_be_visible()
    panel.locator(".cluster-members li").first.wait_for(state="detached")
    assert_private_words_absent(page, words)

    with page.expect_download() as download:
        page.get_by_role("button", name="Export JSON").click()
    exported = open(download.value.path()).read()
    assert json.loads(exported)["elements"]["nodes"]
    for word in words:
        assert word not in exported


def test_a_placeholders_preview_says_no_access(world, open_as):
    page = open_as(world.nobody)
    click_node(page, "No access")  # SECRETmodel's placeholder
    panel = page.locator("#lineage-panel")
    expect(panel.get_by_role("heading", name="No access")).to_be_visible()
    expect(panel.get_by_text("You have no access to this node")).to_be_visible()
    click_node(page, "public-eval")
    expect(panel.get_by_text("1 version you have no access to")).to_be_visible()
    assert_private_words_absent(page, ("SECRET",))
