"""Browser tests: Debian's Chromium driven by Playwright against `live_server`."""

import os

import pytest
from django.conf import settings
from django.test import Client

from bench.server import CHROMIUM_ARGS
from registry import demo

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# between browser steps are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def demo_data(transactional_db):
    demo.load()


@pytest.fixture
def page(browser, live_server, demo_data, django_user_model):
    """A page logged in as the demo user; any JavaScript dialog, error or refusal by the
    Content-Security-Policy fails the test."""
    client = Client()
    client.force_login(django_user_model.objects.get(username="demo"))
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1400, "height": 900})
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
    page = context.new_page()
    page.dialogs = []
    page.errors = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    # What the Content-Security-Policy refused (an inline script, handler or style).
    page.on("console", lambda m: "Content Security Policy" in m.text and page.errors.append(m.text))
    page.set_default_timeout(10_000)
    yield page
    context.close()
    assert page.dialogs == [], f"a dialog opened: {page.dialogs}"
    assert page.errors == [], f"JavaScript errors: {page.errors}"


def wait_for_graph(page):
    page.wait_for_function("() => window.lineageGraphReady === true")


def node_id(page, label):
    return page.evaluate(
        "(label) => window.lineageGraph.nodes().filter(n => n.data('label') === label)[0].id()",
        label,
    )


# Where a node is on the page: its rendered position is from the corner of the drawing's
# container (Cytoscape's div, or a large view's canvas).
SCREEN_POINT = """(node) => {
    const [box, at] = [node.cy().container().getBoundingClientRect(), node.renderedPosition()];
    return [box.x + at.x, box.y + at.y];
}"""


def node_point(page, label):
    """Where a node is drawn on the screen, to click or hover it like a person."""
    return page.evaluate(
        "(label) => (" + SCREEN_POINT + ")"
        "(window.lineageGraph.nodes().filter(n => n.data('label') === label)[0])",
        label,
    )


def click_node(page, label):
    page.mouse.click(*node_point(page, label))


def hover_node(page, label):
    page.mouse.move(*node_point(page, label))


def search_cluster(panel, text):
    """Type into the cluster panel's search box once htmx has wired it: the panel arrives
    by htmx, which attaches the box's listener as the swap settles, a moment after the
    members are drawn (typing sooner sends no search)."""
    panel.page.wait_for_function(
        "() => !document.querySelector('#lineage-panel .htmx-added, .htmx-settling')"
    )
    panel.get_by_role("searchbox", name="Search cluster").fill(text)


# The nodes the graph shows: Cytoscape's visible ones, or in a large view (a headless
# instance, where every node counts as visible) those canvas.js draws, all but the hidden.
SHOWN = (
    "window.lineageGraph.nodes().filter(n => n.cy().styleEnabled() ? n.visible()"
    " : !n.hasClass('hidden'))"
)


def wait_for_labels(page, shown=(), gone=()):
    """Wait until the graph draws every label of `shown` and none of `gone`.

    A click's handlers may run after Playwright's click returns, so a check right after an
    action polls instead of reading the graph once.
    """
    page.wait_for_function(
        "([shown, gone]) => {"
        "  const labels = new Set(" + SHOWN + ".map(n => n.data('label')));"
        "  return shown.every(l => labels.has(l)) && !gone.some(l => labels.has(l));"
        "}",
        arg=[list(shown), list(gone)],
    )


def graph_labels(page):
    return set(page.evaluate(SHOWN + ".map(n => n.data('label'))"))
