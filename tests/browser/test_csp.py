"""The Content-Security-Policy holds on every kind of page: Chromium reports nothing it
refused (a refused inline script, handler or style is a console error and a
`securitypolicyviolation` event), and the pages still work under it."""

import re

import pytest
from playwright.sync_api import expect

from registry.models import ArtifactCollection, ArtifactVersion, Project, Registry, Run

from .conftest import wait_for_graph

pytestmark = pytest.mark.browser

WATCH = """document.addEventListener('securitypolicyviolation', (e) => {
    (window.cspViolations = window.cspViolations || []).push(
        `${e.violatedDirective} ${e.blockedURI || 'inline'} ${e.sourceFile}:${e.lineNumber}`);
});"""


def visit(page, url, ready=None):
    """Open url and return what the policy refused there (console and events)."""
    page.refused.clear()
    response = page.goto(url)
    assert "script-src 'self'" in response.headers["content-security-policy"]
    if ready:
        ready()
    page.wait_for_load_state("networkidle")
    return page.refused + page.evaluate("window.cspViolations || []")


@pytest.fixture
def watched(page):
    page.refused = []
    page.on(
        "console",
        lambda m: (
            "Content Security Policy" in m.text and page.refused.append(f"{m.text} {m.location}")
        ),
    )
    page.add_init_script(WATCH)
    return page


def test_the_main_pages_break_no_rule_of_the_policy(watched, django_user_model):
    page = watched
    collection = ArtifactCollection.objects.filter(registry__isnull=False).first()
    version = ArtifactVersion.objects.first()
    urls = [
        "/",
        "/settings/",
        Registry.objects.get(name="model").get_absolute_url(),
        collection.get_absolute_url(),
        f"{collection.get_absolute_url()}history/",
        Project.objects.first().get_absolute_url(),
        version.get_absolute_url(),
        Run.objects.first().get_absolute_url(),
    ]
    for url in urls:
        refused = visit(page, url)
        assert refused == [], (url, refused)
    refused = visit(page, f"/lineage/artifact:{version.pk}/", lambda: wait_for_graph(page))
    assert refused == [], refused


def test_inline_behaviour_moved_to_modules_still_works(watched):
    page = watched
    collection = ArtifactCollection.objects.get(name="zoo-classifier")
    assert visit(page, collection.get_absolute_url()) == []
    menu = page.locator("details.menu")
    menu.locator("summary").click()
    menu.get_by_role("menuitem", name="Action History").click()
    expect(page.get_by_role("heading", name="Action History of zoo-classifier")).to_be_visible()
    assert menu.evaluate("d => d.open") is False  # data-closes-menu
    page.get_by_role("link", name="Close Action History").click()  # data-back-to-panel
    expect(page).to_have_url(re.compile(r"/zoo-classifier/$"))
    picker = page.get_by_label("Version", exact=True)
    other = picker.locator("option:not(:checked)").first.get_attribute("value")
    picker.select_option(other)  # data-submit-on-change
    expect(page).to_have_url(re.compile(rf"/zoo-classifier/{other}/"))
    assert page.evaluate("window.cspViolations || []") == []


def test_the_admin_and_the_api_docs_work_under_the_policy(watched, django_user_model):
    page = watched
    django_user_model.objects.filter(username="demo").update(is_staff=True, is_superuser=True)
    for url in ["/admin/", "/admin/registry/registry/", "/admin/registry/registry/add/"]:
        refused = visit(page, url)
        assert refused == [], (url, refused)
    refused = visit(page, "/api/v1/docs", lambda: page.wait_for_selector(".opblock"))
    assert refused == []
    page.locator(".opblock-summary").first.click()
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.cspViolations || []") == []
