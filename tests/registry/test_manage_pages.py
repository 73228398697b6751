"""Running a registry from its pages: each rule through the page, each role boundary
with a forged POST (refused with a clear message, nothing written), and the audit events
a page's change writes (the same as the API path's)."""

import pytest
from django.contrib.auth import get_user_model

from registry.errors import Forbidden
from registry.models import (
    ArtifactSequence,
    AuditEvent,
    Collection,
    Registry,
    RegistryEvent,
    RegistryMember,
)

from ..conftest import in_team

Role = RegistryMember.Role
NAMES = ("alice", "noah", "bob", "rita")
CLASSIFIER = "/registry/model/zoo-classifier"


@pytest.fixture
def people(db, log):
    """acme/zoo's model/zoo-classifier v0, v1 (`production`, protected), v2 (`staging`,
    `candidate`, `latest`); alice admin, noah member, bob an organisation viewer, rita a
    restricted viewer of `model`; other-model:v0 in no collection."""
    User = get_user_model()
    # All four in team acme (they see its project): only their registry roles differ.
    alice, noah, bob, rita = (in_team(User.objects.create_user(n)) for n in NAMES)
    model = Registry.objects.get(name="model")
    model.description, model.protected_aliases = "Models ready to ship.", ["production"]
    model.save()
    for user, role in ((alice, Role.ADMIN), (noah, Role.MEMBER), (rita, Role.RESTRICTED_VIEWER)):
        model.members.create(user=user, role=role)
    Registry.objects.get(name="dataset").members.create(user=alice, role=Role.ADMIN)
    versions = [log("zoo-model", {"m.pt": str(i)}, type="model")[0] for i in range(3)]
    for version, names in zip(
        versions, ([], ["production"], ["staging", "candidate"]), strict=True
    ):
        Collection.link(model, "zoo-classifier", version, alice, names)
    log("other-model", {"m.pt": "other"}, type="model")
    return {"alice": alice, "noah": noah, "bob": bob, "rita": rita}


def as_(client, user):
    client.force_login(user)
    return client


def events():
    return list(AuditEvent.objects.order_by("pk").values_list("action", "version_index", "alias"))


def aliases(index):
    collection = Collection.objects.get(registry__name="model", name="zoo-classifier")
    membership = collection.memberships.get(index=index)
    return sorted(membership.aliases.values_list("name", flat=True))


# --- registries: create, settings, members ---------------------------------------------


def test_anyone_creates_a_registry_and_becomes_its_admin(client, people):
    response = as_(client, people["bob"]).post(
        "/registry/",
        {
            "name": "zoo",
            "description": "Ours",
            "accepted_types": "model, checkpoint",
            "visibility": "restricted",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/registry/zoo/settings/"
    zoo = Registry.objects.get(name="zoo")
    assert (zoo.accepted_types, zoo.visibility) == (["model", "checkpoint"], "restricted")
    assert zoo.members.get().user == people["bob"] and zoo.role_of(people["bob"]) == Role.ADMIN


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"name": "model"}, "name", "A registry named &#x27;model&#x27; already exists."),
        ({"name": "a b"}, "name", "Invalid registry name"),
        ({"accepted_types": "ok, not/ok"}, "accepted_types", "Invalid artifact type"),
    ],
)
def test_a_bad_registry_is_refused_next_to_its_field(client, people, data, field, message):
    form = {"name": "zoo", "accepted_types": "model", "visibility": "organization", **data}
    response = as_(client, people["bob"]).post("/registry/", form)
    assert response.status_code in (400, 409)
    page = response.content.decode()
    assert message in page and f'id="id_{field}_error"' in page
    assert Registry.objects.count() == 2


def settings_form(**change):
    form = {
        "description": "Models",
        "accepted_types": "model",
        "protected_aliases": "production",
        "visibility": "organization",
    }
    return {**form, **change}


def test_an_admin_changes_the_settings_of_a_core_registry_within_its_rules(client, people):
    admin = as_(client, people["alice"])
    assert admin.get("/registry/model/settings/").status_code == 200
    refused = admin.post("/registry/model/settings/", settings_form(visibility="restricted"))
    assert refused.status_code == 409 and "always organisation-wide" in refused.content.decode()
    refused = admin.post("/registry/model/settings/", settings_form(accepted_types="checkpoint"))
    assert "always accepts model" in refused.content.decode()
    refused = admin.post("/registry/model/settings/", settings_form(protected_aliases="v3"))
    assert "reserved" in refused.content.decode()
    assert Registry.objects.get(name="model").accepted_types == ["model"]
    done = admin.post(
        "/registry/model/settings/",
        settings_form(accepted_types="model checkpoint", protected_aliases="production, gold"),
    )
    assert done.status_code == 302
    model = Registry.objects.get(name="model")
    assert (model.accepted_types, model.protected_aliases) == (
        ["model", "checkpoint"],
        ["production", "gold"],
    )


@pytest.mark.parametrize("who", ["noah", "bob", "rita"])
def test_only_admins_reach_the_settings_and_a_forged_post_writes_nothing(client, people, who):
    page = as_(client, people[who])
    assert page.get("/registry/model/settings/").status_code == 403
    refused = page.post("/registry/model/settings/", settings_form(description="forged"))
    assert refused.status_code == 403 and "You need the admin role" in refused.content.decode()
    refused = page.post("/registry/model/settings/members/", {"username": who, "role": 40})
    assert refused.status_code == 403
    assert Registry.objects.get(name="model").description == "Models ready to ship."
    assert Registry.objects.get(name="model").role_of(people[who]) < Role.ADMIN


def test_an_admin_adds_changes_and_removes_members(client, people):
    admin = as_(client, people["alice"])
    assert (
        admin.post("/registry/model/settings/members/", {"username": "bob", "role": 30}).status_code
        == 302
    )
    model = Registry.objects.get(name="model")
    assert model.role_of(people["bob"]) == Role.MEMBER
    admin.post("/registry/model/settings/members/bob/", {"role": 20})
    assert (
        model.role_of(people["bob"]) == Role.VIEWER
        and model.members.filter(user=people["bob"]).exists()
    )
    admin.post("/registry/model/settings/members/bob/", {"remove": "1"})
    assert not model.members.filter(user=people["bob"]).exists()


def test_a_member_that_cannot_be_added_is_refused_next_to_the_username(client, people):
    admin = as_(client, people["alice"])
    unknown = admin.post("/registry/model/settings/members/", {"username": "nobody", "role": 20})
    assert unknown.status_code == 404
    page = unknown.content.decode()
    assert "No user named &#x27;nobody&#x27;." in page and 'id="id_username_error"' in page
    twice = admin.post("/registry/model/settings/members/", {"username": "noah", "role": 20})
    assert "noah is already a member" in twice.content.decode()
    last = admin.post("/registry/model/settings/members/alice/", {"remove": "1"})
    assert "the only admin" in last.content.decode()
    assert Registry.objects.get(name="model").members.count() == 3


def test_everybody_who_sees_the_registry_sees_its_members_and_roles(client, people):
    page = as_(client, people["rita"]).get("/registry/model/").content.decode()
    assert "<td>noah</td><td>member</td>" in page and "<td>alice</td><td>admin</td>" in page
    assert "/registry/model/settings/" not in page and "New collection" not in page


# --- collections ------------------------------------------------------------------------


def test_a_member_creates_a_collection_and_edits_its_description(client, people):
    member = as_(client, people["noah"])
    assert "New collection" in member.get("/registry/model/").content.decode()
    done = member.post(
        "/registry/model/settings/collections/",
        {"name": "zoo-detector", "type": "model", "description": "Boxes"},
    )
    assert done.status_code == 302 and done["Location"] == "/registry/model/zoo-detector/"
    member.post("/registry/model/zoo-detector/description/", {"description": "Bounding boxes"})
    assert Collection.objects.get(name="zoo-detector").description == "Bounding boxes"


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"name": "zoo-classifier"}, "name", "already has a collection"),
        ({"type": "dataset"}, "type", "does not accept artifacts of type &#x27;dataset&#x27;"),
        ({"name": "settings"}, "name", "is reserved"),
    ],
)
def test_a_bad_collection_is_refused_next_to_its_field(client, people, data, field, message):
    form = {"name": "zoo-detector", "type": "model", "description": "", **data}
    response = as_(client, people["noah"]).post("/registry/model/settings/collections/", form)
    page = response.content.decode()
    assert response.status_code in (400, 409) and message in page
    assert f'id="id_{field}_error"' in page
    assert Collection.objects.filter(registry__name="model").count() == 1


@pytest.mark.parametrize("who", ["bob", "rita"])
def test_viewers_get_no_collection_controls_and_forged_posts_write_nothing(client, people, who):
    viewer = as_(client, people[who])
    page = viewer.get(f"{CLASSIFIER}/v2/").content.decode()
    for control in ("New collection", "Edit description", "Add alias", "Unlink", "Move to"):
        assert control not in page
    before = events()
    for url, data in [
        ("/registry/model/settings/collections/", {"name": "x", "type": "model"}),
        (f"{CLASSIFIER}/description/", {"description": "forged"}),
        (f"{CLASSIFIER}/v2/aliases/", {"alias": "mine"}),
        (f"{CLASSIFIER}/v2/aliases/staging/remove/", {}),
        (f"{CLASSIFIER}/v2/unlink/", {}),
    ]:
        refused = viewer.post(url, data)
        assert refused.status_code == 403, url
        assert "You need the member role in registry &#x27;model&#x27;" in refused.content.decode()
    assert events() == before and aliases(2) == ["candidate", "latest", "staging"]
    assert not Collection.objects.filter(name="x").exists()


# --- aliases and unlinking ---------------------------------------------------------------


def test_a_member_adds_moves_and_removes_aliases_audited_as_the_api_does(client, people):
    member = as_(client, people["noah"])
    page = member.get(f"{CLASSIFIER}/v2/").content.decode()
    assert "Move staging" not in page and 'aria-label="Move production' not in page  # protected
    before = len(events())
    done = member.post(f"{CLASSIFIER}/v1/aliases/", {"alias": "staging"})  # held by v2 now
    assert done.status_code == 302 and done["Location"] == f"{CLASSIFIER}/v1/?history=open"
    member.post(f"{CLASSIFIER}/v1/aliases/", {"alias": "reviewed"})
    member.post(f"{CLASSIFIER}/v2/aliases/candidate/remove/", {})
    assert events()[before:] == [
        ("alias_removed", 2, "staging"),
        ("alias_added", 1, "staging"),
        ("alias_added", 1, "reviewed"),
        ("alias_removed", 2, "candidate"),
    ]
    assert aliases(1) == ["production", "reviewed", "staging"] and aliases(2) == ["latest"]
    history = member.get(f"{CLASSIFIER}/v1/?history=open").content.decode()
    assert "Action History of zoo-classifier" in history and "reviewed" in history


@pytest.mark.parametrize(
    "alias, message",
    [
        ("v3", "reserved"),
        ("latest", "reserved"),
        ("a b", "Invalid alias"),
    ],
)
def test_a_reserved_or_invalid_alias_is_refused_next_to_the_field(client, people, alias, message):
    before = events()
    response = as_(client, people["noah"]).post(f"{CLASSIFIER}/v1/aliases/", {"alias": alias})
    page = response.content.decode()
    assert response.status_code == 400 and message in page and 'id="id_alias_error"' in page
    assert events() == before


def test_a_member_cannot_move_remove_or_unlink_a_protected_alias(client, people):
    member = as_(client, people["noah"])
    page = member.get(f"{CLASSIFIER}/v1/").content.decode()
    assert "protected" in page and "Remove production" not in page and "Unlink v1" not in page
    before = events()
    moved = member.post(f"{CLASSIFIER}/v2/aliases/", {"alias": "production"})
    assert moved.status_code == 403 and "You need the admin role" in moved.content.decode()
    assert member.post(f"{CLASSIFIER}/v1/aliases/production/remove/", {}).status_code == 403
    assert member.post(f"{CLASSIFIER}/v1/unlink/", {}).status_code == 403
    assert events() == before and aliases(1) == ["production"]


def test_an_admin_moves_a_protected_alias_and_unlinks_after_confirming(client, people):
    admin = as_(client, people["alice"])
    page = admin.get(f"{CLASSIFIER}/v2/").content.decode()
    assert 'aria-label="Move production from v1 to v2"' in page
    admin.post(f"{CLASSIFIER}/v2/aliases/", {"alias": "production"})
    assert aliases(2) == ["candidate", "latest", "production", "staging"]
    confirm = admin.get(f"{CLASSIFIER}/v2/unlink/").content.decode()
    assert "Unlink v2 from zoo-classifier?" in confirm
    before = len(events())
    done = admin.post(f"{CLASSIFIER}/v2/unlink/", {})
    assert done.status_code == 302 and done["Location"] == f"{CLASSIFIER}/?history=open"
    assert events()[before:] == [
        ("alias_removed", 2, "candidate"),
        ("alias_removed", 2, "latest"),
        ("alias_removed", 2, "production"),
        ("alias_removed", 2, "staging"),
        ("version_unlinked", 2, ""),
        ("alias_added", 1, "latest"),
    ]


# --- Link to registry ---------------------------------------------------------------------

SWEEP_V0 = "/acme/zoo/artifacts/model/other-model/v0"


def test_a_member_links_a_version_into_a_new_collection_with_aliases(client, people):
    member = as_(client, people["noah"])
    form = member.get(f"{SWEEP_V0}/link/").content.decode()
    assert '<option value="model">model</option>' in form and "zoo-classifier" in form
    done = member.post(
        f"{SWEEP_V0}/link/", {"registry": "model", "collection": "zoo-sweep", "aliases": "first"}
    )
    assert (
        done.status_code == 302 and done["Location"] == "/registry/model/zoo-sweep/v0/?history=open"
    )
    sweep = Collection.objects.get(name="zoo-sweep")
    assert list(sweep.audit_events.order_by("pk").values_list("action", "alias")) == [
        ("version_linked", ""),
        ("alias_added", "latest"),
        ("alias_added", "first"),
    ]


@pytest.mark.parametrize(
    "data, field, message",
    [
        (
            {"registry": "dataset"},
            "registry",
            "does not accept artifacts of type &#x27;model&#x27;",
        ),
        ({"aliases": "latest"}, "aliases", "reserved"),
        ({"collection": "a/b"}, "collection", "Invalid collection name"),
    ],
)
def test_a_bad_link_is_refused_next_to_its_field(client, people, data, field, message):
    before = events()
    form = {"registry": "model", "collection": "zoo-sweep", "aliases": "", **data}
    response = as_(client, people["alice"]).post(f"{SWEEP_V0}/link/", form)
    page = response.content.decode()
    assert response.status_code == 400 and message in page, page
    assert f'id="id_{field}_error"' in page
    assert events() == before


@pytest.mark.parametrize("who", ["bob", "rita"])
def test_a_viewer_is_offered_no_registry_and_a_forged_link_writes_nothing(client, people, who):
    viewer = as_(client, people[who])
    assert "No registry accepts model artifacts" in viewer.get(f"{SWEEP_V0}/link/").content.decode()
    before = events()
    refused = viewer.post(
        f"{SWEEP_V0}/link/", {"registry": "model", "collection": "zoo-classifier"}
    )
    assert refused.status_code == 403 and "You need the member role" in refused.content.decode()
    assert events() == before


def test_the_lineage_preview_of_a_version_offers_link_to_registry(client, people):
    version = ArtifactSequence.objects.get(name="other-model").version_by_alias("v0")
    preview = as_(client, people["noah"]).get(f"/lineage/preview/{version.node_id}/")
    assert f'<a href="{SWEEP_V0}/link/">Link to registry</a>' in preview.content.decode()


# --- registry events: settings and members, from the pages and the admin ----------------


def registry_events(name="model"):
    events = RegistryEvent.objects.filter(registry__name=name).order_by("pk")
    return [(e.action, e.member, e.role, e.actor.username, e.changes) for e in events]


def test_settings_and_member_changes_are_audited_and_listed(client, people):
    admin = as_(client, people["alice"])
    admin.post("/registry/model/settings/", settings_form(description="Shipped models"))
    admin.post("/registry/model/settings/", settings_form(description="Shipped models"))
    admin.post("/registry/model/settings/members/", {"username": "bob", "role": 30})
    admin.post("/registry/model/settings/members/bob/", {"role": 20})
    admin.post("/registry/model/settings/members/bob/", {"remove": "1"})
    admin.post("/registry/model/settings/members/", {"username": "nobody", "role": 20})
    assert registry_events() == [
        (
            "settings_changed",
            "",
            "",
            "alice",
            {"description": ["Models ready to ship.", "Shipped models"]},
        ),
        ("member_added", "bob", "member", "alice", {}),
        ("role_changed", "bob", "viewer", "alice", {}),
        ("member_removed", "bob", "", "alice", {}),
    ]
    page = admin.get("/registry/model/settings/").content.decode()
    assert "Registry history" in page and "member removed" in page
    assert "description: Models ready to ship. → Shipped models" in page
    with pytest.raises(Forbidden):
        RegistryEvent.objects.all().delete()


def test_creating_a_registry_is_audited(client, people):
    form = {"name": "zoo", "accepted_types": "model", "visibility": "organization"}
    as_(client, people["bob"]).post("/registry/", form)
    assert registry_events("zoo") == [
        ("registry_created", "", "", "bob", {}),
        ("member_added", "bob", "admin", "bob", {}),
    ]


def test_the_admin_console_audits_settings_and_members_alike(admin_client, people):
    """A new registry with a member typed into the inline, then its description edited."""
    form = {
        "name": "scratch",
        "description": "",
        "visibility": "organization",
        "accepted_types": "model",
        "protected_aliases": "",
        "created_at_0": "2026-01-01",
        "created_at_1": "00:00:00",
        "members-TOTAL_FORMS": 1,
        "members-INITIAL_FORMS": 0,
        "members-0-user": people["noah"].pk,
        "members-0-role": Role.MEMBER,
    }
    assert admin_client.post("/admin/registry/registry/add/", form).status_code == 302
    scratch = Registry.objects.get(name="scratch")
    member = scratch.members.get()
    changed = {
        **form,
        "description": "Edited",
        "members-INITIAL_FORMS": 1,
        "members-0-id": member.pk,
        "members-0-registry": scratch.pk,
    }
    url = f"/admin/registry/registry/{scratch.pk}/change/"
    assert admin_client.post(url, changed).status_code == 302
    assert registry_events("scratch") == [
        ("registry_created", "", "", "admin", {}),
        ("member_added", "noah", "member", "admin", {}),
        ("settings_changed", "", "", "admin", {"description": ["", "Edited"]}),
    ]


def test_the_pages_write_exactly_the_events_the_api_writes(client, people, log):
    """The same link, alias move, alias removal and unlink, once by the JSON API into one
    collection and once by the pages into another: the same events, in the same order."""
    from django.test import Client

    from registry.models import ApiKey

    first, second = (log("twin", {"m.pt": str(i)}, type="model")[0] for i in range(2))
    api = Client(HTTP_AUTHORIZATION=f"Bearer {ApiKey.create_for(people['noah'])[1]}")
    json = "application/json"
    for version, aliases in ((first, ["gold"]), (second, [])):
        body = {"target_path": "model/by-api", "aliases": aliases}
        assert api.post(f"/api/v1/versions/{version.pk}/links", body, json).status_code == 200
    links = f"/api/v1/versions/{second.pk}/links/model/by-api"
    api.post(f"{links}/aliases", {"alias": "gold"}, json)
    api.delete(f"{links}/aliases/gold")
    api.delete(links)

    page = as_(client, people["noah"])
    for version, aliases in ((first, "gold"), (second, "")):
        url = f"/acme/zoo/artifacts/model/twin/v{version.version_index}/link/"
        page.post(url, {"registry": "model", "collection": "by-page", "aliases": aliases})
    page.post("/registry/model/by-page/v1/aliases/", {"alias": "gold"})
    page.post("/registry/model/by-page/v1/aliases/gold/remove/", {})
    page.post("/registry/model/by-page/v1/unlink/", {})

    def trail(name):
        events = AuditEvent.objects.filter(collection__name=name).order_by("pk")
        return [(e.action, e.version_id, e.version_index, e.alias, e.actor_id) for e in events]

    assert len(trail("by-api")) == 12 and trail("by-page") == trail("by-api")


def test_a_boosted_form_landing_on_the_registry_page_gets_the_whole_page(client, people):
    headers = {"HX-Request": "true", "HX-Boosted": "true"}
    page = as_(client, people["noah"]).get("/registry/model/", headers=headers)
    assert "<h1>model</h1>" in page.content.decode()
    search = client.get("/registry/model/?q=zoo", headers={"HX-Request": "true"})
    assert "<h1>" not in search.content.decode()  # the search box's fragment
