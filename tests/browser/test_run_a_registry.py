"""Running a registry by clicking, as an admin, a member, a viewer and a restricted
viewer: each change is checked on the page and in the Action History it opens."""

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from playwright.sync_api import expect

from registry.models import AuditEvent, Collection, Registry, RegistryMember

from ..conftest import Builder, in_team

pytestmark = pytest.mark.browser
Role = RegistryMember.Role


@pytest.fixture
def world(transactional_db):
    """Four people of team acme (they all see its project) and three model versions."""
    User = get_user_model()
    people = {
        name: in_team(User.objects.create_user(name)) for name in ("alice", "noah", "bob", "rita")
    }
    build = Builder()
    versions = [build.art("zoo-model", type="model") for _ in range(3)]
    return people, versions


@pytest.fixture
def as_user(browser, live_server):
    """`as_user(user)`: a page signed in as `user`; any JavaScript error fails the test."""
    contexts, pages = [], []

    def open_as(user):
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": 1300, "height": 900}
        )
        context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        page.set_default_timeout(10_000)
        contexts.append(context)
        pages.append(page)
        return page

    yield open_as
    for context in contexts:
        context.close()
    assert [error for page in pages for error in page.errors] == []


def submit(page, button):
    """Click a form's button and wait until htmx has swapped in the answer."""
    with page.expect_response(lambda response: response.request.method == "POST"):
        button.click()
    page.wait_for_function("() => !document.querySelector('.htmx-request')")


def history_row(page, action, alias=""):
    history = page.get_by_role("region", name="Action History of zoo-classifier")
    return history.locator("tr.event").filter(has_text=action).filter(has_text=alias)


def test_an_admin_creates_a_registry_adds_members_a_collection_and_links(world, as_user):
    people, versions = world
    page = as_user(people["alice"])
    page.goto("/")
    page.get_by_role("link", name="Create a registry").click()
    page.get_by_label("Name").fill("zoo")
    page.get_by_label("Description").fill("The zoo team's models")
    page.get_by_label("Accepted types").fill("model")
    submit(page, page.get_by_role("button", name="Create registry"))
    expect(page.get_by_role("heading", name="Settings of zoo")).to_be_visible()

    add = page.locator("form.add-member")
    add.get_by_label("Username").fill("nobody")
    submit(page, add.get_by_role("button", name="Add member"))
    expect(add.get_by_text("No user named 'nobody'.")).to_be_visible()
    for name, role in (("noah", "member"), ("bob", "viewer"), ("rita", "viewer")):
        add.get_by_label("Username").fill(name)
        add.get_by_label("Role").select_option(label=role)
        submit(page, add.get_by_role("button", name="Add member"))
        expect(page.get_by_role("cell", name=name, exact=True)).to_be_visible()
    page.get_by_label("Role of rita").select_option(label="restricted viewer")
    submit(page, page.get_by_role("row", name="rita").get_by_role("button", name="Change role"))
    expect(page.get_by_label("Role of rita")).to_have_value(str(Role.RESTRICTED_VIEWER.value))
    page.get_by_label("Protected aliases").fill("production")
    page.get_by_label("Visibility").select_option(label="Restricted (members only)")
    submit(page, page.get_by_role("button", name="Save settings"))
    expect(page.get_by_label("Protected aliases")).to_have_value("production")
    zoo = Registry.objects.get(name="zoo")
    assert (zoo.visibility, zoo.protected_aliases) == ("restricted", ["production"])
    assert {m.user.username: m.role for m in zoo.members.all()} == {
        "alice": Role.ADMIN,
        "noah": Role.MEMBER,
        "bob": Role.VIEWER,
        "rita": Role.RESTRICTED_VIEWER,
    }

    page.get_by_role("link", name="zoo", exact=True).click()
    page.get_by_text("New collection").click()
    page.get_by_label("Name").fill("zoo-classifier")
    page.get_by_label("Description").fill("Which animal")
    submit(page, page.get_by_role("button", name="Create collection"))
    expect(page.get_by_role("heading", name="zoo-classifier")).to_be_visible()
    page.get_by_text("Edit description").click()
    page.get_by_label("Description").fill("Which animal it is")
    submit(page, page.get_by_role("button", name="Save description"))
    expect(page.locator(".collection-description")).to_have_text("Which animal it is")

    page.goto(versions[0].get_absolute_url())
    page.get_by_role("link", name="Link to registry").click()
    page.get_by_label("Registry").select_option("zoo")
    page.get_by_label("Collection").fill("zoo-classifier")
    page.get_by_label("Aliases").fill("production")
    submit(page, page.get_by_role("button", name="Link to registry"))
    expect(history_row(page, "Version linked")).to_contain_text("alice")
    expect(history_row(page, "Alias added", "production")).to_contain_text("alice")
    controls = page.get_by_role("region", name="Aliases in zoo-classifier")
    expect(controls.get_by_role("button", name="Remove production from v0")).to_be_visible()


def test_each_role_sees_and_does_what_it_may(world, as_user):
    people, versions = world
    zoo = Registry.create("zoo", ["model"], admin=people["alice"], protected_aliases=["production"])
    for name, role in (
        ("noah", Role.MEMBER),
        ("bob", Role.VIEWER),
        ("rita", Role.RESTRICTED_VIEWER),
    ):
        zoo.members.create(user=people[name], role=role)
    Collection.link(zoo, "zoo-classifier", versions[0], people["alice"], ["production"])

    member = as_user(people["noah"])
    member.goto(versions[1].get_absolute_url())
    member.get_by_role("link", name="Link to registry").click()
    member.get_by_label("Collection").fill("zoo-classifier")
    member.get_by_label("Aliases").fill("staging")
    submit(member, member.get_by_role("button", name="Link to registry"))
    expect(history_row(member, "Alias added", "staging")).to_contain_text("noah")
    controls = member.get_by_role("region", name="Aliases in zoo-classifier")
    expect(controls.locator("tr", has_text="production")).to_contain_text("protected")
    expect(controls.get_by_role("button", name="Move production from v0 to v1")).to_have_count(0)
    # typed anyway: refused with the reason
    member.get_by_role("textbox", name="Alias").fill("production")
    submit(member, member.get_by_role("button", name="Add alias to v1"))
    expect(
        member.get_by_text("You need the admin role in registry 'zoo' for this.")
    ).to_be_visible()
    member.get_by_role("textbox", name="Alias").fill("v7")
    submit(member, member.get_by_role("button", name="Add alias to v1"))
    expect(member.get_by_text("The alias 'v7' is reserved")).to_be_visible()
    member.get_by_role("textbox", name="Alias").fill("candidate")
    submit(member, member.get_by_role("button", name="Add alias to v1"))
    expect(history_row(member, "Alias added", "candidate")).to_contain_text("noah")
    submit(member, controls.get_by_role("button", name="Remove candidate from v1"))
    expect(history_row(member, "Alias removed", "candidate")).to_contain_text("noah")
    member.get_by_role("link", name="Unlink v1…").click()
    expect(member.get_by_role("heading", name="Unlink v1 from zoo-classifier?")).to_be_visible()
    submit(member, member.get_by_role("button", name="Unlink v1"))
    expect(history_row(member, "Version unlinked")).to_contain_text("noah")
    member.goto("/registry/zoo/zoo-classifier/v0/")
    expect(member.get_by_role("link", name="Unlink v0…")).to_have_count(0)  # holds production

    admin = as_user(people["alice"])
    Collection.link_by(people["noah"], zoo, "zoo-classifier", versions[2], ["staging"])
    admin.goto("/registry/zoo/")
    expect(admin.get_by_role("link", name="Registry settings")).to_be_visible()
    admin.goto("/registry/zoo/zoo-classifier/v2/")
    submit(admin, admin.get_by_role("button", name="Move production from v0 to v2"))
    expect(history_row(admin, "Alias added", "production").first).to_contain_text("alice")
    assert AuditEvent.objects.filter(alias="production", action="alias_removed").count() == 1

    for name in ("bob", "rita"):
        viewer = as_user(people[name])
        viewer.goto("/registry/zoo/")
        expect(viewer.get_by_role("table", name="Members of zoo")).to_contain_text("noah")
        expect(viewer.get_by_text("New collection")).to_have_count(0)
        expect(viewer.get_by_role("link", name="Registry settings")).to_have_count(0)
        viewer.goto("/registry/zoo/zoo-classifier/v2/")
        controls = viewer.get_by_role("region", name="Aliases in zoo-classifier")
        expect(controls).to_contain_text("production")
        expect(controls.get_by_role("button")).to_have_count(0)
        expect(viewer.get_by_role("link", name="Unlink v2…")).to_have_count(0)
        viewer.goto(versions[0].get_absolute_url() + "link/")
        expect(viewer.get_by_text("No registry accepts model artifacts")).to_be_visible()
