import types

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from registry import demo
from registry.models import ApiKey, ArtifactSequence, Collection, Registry, RegistryMember, Run


@pytest.fixture
def world(build):
    """split v0..v4 -> train-1 -> model:v0, in collection model/classifier as v1
    (production) between model:v1 (v0, unlinked since) and model:v2 (v2: candidate,
    staging and latest)."""
    splits = [build.art("split", files={"train.csv": f"split {i} train\n"}) for i in range(5)]
    train = build.run("train-1", uses=[splits[-1]])
    model = build.art("model", "model", run=train)
    older, newer = build.art("model", "model"), build.art("model", "model")
    build.link("model", "classifier", older)
    build.link("model", "classifier", model, ["production"])
    membership = build.link("model", "classifier", newer, ["candidate", "staging"])
    membership.collection.unlink(older)
    return types.SimpleNamespace(
        splits=splits, train=train, model=model, newer=newer, collection=membership.collection
    )


@pytest.fixture
def viewer(client, alice, world):
    client.force_login(alice)
    return client


PAGES = [
    "/",
    "/registry/model/",
    "/registry/model/classifier/",
    "/registry/model/classifier/v1/?tab=overview",
    "/registry/model/classifier/v1/?tab=lineage",
    "/registry/model/classifier/v1/?tab=files",
    "/registry/model/classifier/history/",
    "/acme/zoo/artifacts/",
    "/acme/zoo/artifacts/dataset/split/",
    "/acme/zoo/artifacts/dataset/split/v4/",
    "/acme/zoo/artifacts/dataset/split/v4/?tab=lineage",
    "/acme/zoo/runs/",
    "/settings/",
]


@pytest.mark.parametrize("url", PAGES)
def test_it_serves_every_page_to_a_logged_in_user(viewer, url):
    assert viewer.get(url).status_code == 200


@pytest.mark.parametrize("url", PAGES)
def test_it_sends_anonymous_users_to_the_login(client, world, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_it_hides_restricted_registries_from_non_members(viewer, world, bob):
    secret = Registry.create("secret", ["model"], visibility=Registry.Visibility.RESTRICTED)
    model = world.model
    Collection.link(secret, "hidden-models", model)
    viewer.force_login(bob)
    assert "secret" not in viewer.get("/").content.decode()
    assert viewer.get("/registry/secret/").status_code == 404
    assert viewer.get("/registry/secret/hidden-models/").status_code == 404
    assert viewer.get("/registry/secret/hidden-models/history/").status_code == 404
    RegistryMember.objects.create(registry=secret, user=bob)
    assert viewer.get("/registry/secret/hidden-models/").status_code == 200


def test_it_searches_collections_with_an_htmx_partial(viewer):
    response = viewer.get("/registry/model/?q=class", HTTP_HX_REQUEST="true")
    assert "classifier" in response.content.decode()
    assert "<html" not in response.content.decode()
    assert "HX-Request" in response["Vary"]
    assert "classifier" not in viewer.get("/registry/model/?q=nope").content.decode()


def test_it_filters_and_paginates_action_history(viewer, world):
    url = "/registry/model/classifier/history/"
    page = viewer.get(url, {"action": "version_unlinked"}, HTTP_HX_REQUEST="true")
    body = page.content.decode()
    assert body.count('class="event version_unlinked"') == 1
    assert 'class="event alias_added"' not in body
    tags = 41 - world.collection.audit_events.count()  # 41 events: pages of 20, 20 and 1
    for i in range(tags):
        world.collection.add_alias(world.model, f"tag-{i}")
    first = viewer.get(url).content.decode()
    assert "Page 1<" in first  # no "of N": the history is not counted for its pager
    newest, older = f"tag-{tags - 1}<", f"tag-{tags - 21}<"
    assert newest in first and older not in first  # newest first
    assert "Next" in first
    second = viewer.get(url, {"page": 2}).content.decode()
    assert "Page 2<" in second and older in second and "Previous" in second
    third = viewer.get(url, {"page": 3}).content.decode()
    assert "Page 3<" in third and "Next" not in third  # the one event left: no next page


def test_it_navigates_collection_versions_with_the_dropdown(viewer):
    response = viewer.get("/registry/model/classifier/", {"version": "v1", "tab": "files"})
    assert response["Location"] == "/registry/model/classifier/v1/?tab=files"
    assert viewer.get("/registry/model/classifier/v9/").status_code == 404
    assert viewer.get("/registry/model/classifier/latest/").status_code == 404


def test_it_downloads_a_file(viewer):
    response = viewer.get("/acme/zoo/artifacts/dataset/split/v4/files/train.csv")
    assert b"".join(response.streaming_content) == b"split 4 train\n"
    missing = "/acme/zoo/artifacts/dataset/split/v4/files/../secret"
    assert viewer.get(missing).status_code == 404


def test_it_creates_shows_once_and_revokes_api_keys(viewer, alice):
    response = viewer.post("/settings/keys/", {"name": "laptop"}, follow=True)
    assert response.redirect_chain == [("/settings/", 302)]  # a reload makes no second key
    raw = response.context["new_key"]
    assert raw in response.content.decode()
    assert ApiKey.objects.filter(user=alice).count() == 1
    assert ApiKey.objects.authenticate(raw) == alice
    assert raw not in viewer.get("/settings/").content.decode()
    key = ApiKey.objects.get(user=alice)
    viewer.post(f"/settings/keys/{key.pk}/revoke/")
    assert ApiKey.objects.authenticate(raw) is None


def test_it_refuses_to_revoke_someone_elses_key(viewer, bob):
    key, raw = ApiKey.create_for(bob)
    assert viewer.post(f"/settings/keys/{key.pk}/revoke/").status_code == 404
    assert ApiKey.objects.authenticate(raw) == bob


def test_it_escapes_user_text(viewer, world):
    model = world.model
    type(model).objects.filter(pk=model.pk).update(
        description="<script>alert(1)</script>", metadata={"<b>k</b>": "<i>v</i>"}
    )
    body = viewer.get(model.get_absolute_url()).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "&lt;b&gt;k&lt;/b&gt;" in body and "<i>v</i>" not in body
    preview = viewer.get(f"/lineage/preview/artifact:{model.pk}/").content.decode()
    assert "&lt;script&gt;" in preview and "<script>alert" not in preview


def test_it_hides_restricted_collections_in_overviews_and_previews(viewer, world, bob):
    secret = Registry.create("secret", ["model"], visibility=Registry.Visibility.RESTRICTED)
    model = world.model
    Collection.link(secret, "hidden-models", model)
    viewer.force_login(bob)
    for url in (model.get_absolute_url(), f"/lineage/preview/artifact:{model.pk}/"):
        body = viewer.get(url).content.decode()
        assert "model/classifier v1</a>" in body
        assert "hidden-models" not in body
    preview = viewer.get(f"/lineage/preview/artifact:{model.pk}/").content.decode()
    assert "1 registry collection<" in preview  # the secret one is not counted either
    RegistryMember.objects.create(registry=secret, user=bob)
    assert "secret/hidden-models" in viewer.get(model.get_absolute_url()).content.decode()


def test_it_lists_a_collections_versions_with_their_aliases(viewer):
    body = viewer.get("/registry/model/classifier/").content.decode()
    assert 'aria-labelledby="versions-title"' in body
    assert '<a href="/registry/model/classifier/v1/">v1</a>' in body
    assert '<a href="/registry/model/classifier/v2/">v2</a>' in body
    v2 = body[body.index('href="/registry/model/classifier/v2/"') :]
    v2 = v2[: v2.index("</tr>")]
    for alias in ("candidate", "latest", "staging"):
        assert f'<span class="badge alias">{alias}</span>' in v2
    assert "/acme/zoo/artifacts/model/model/v2/" in v2  # the artifact version it holds
    assert "/registry/model/classifier/v0/" not in body  # unlinked: gone


def test_it_shows_registry_aliases_per_collection_where_the_user_may_see_them(
    viewer, world, alice, bob
):
    model = world.model
    secret = Registry.create("secret", ["model"], visibility=Registry.Visibility.RESTRICTED)
    RegistryMember.objects.create(registry=secret, user=alice)
    Collection.link(secret, "hidden-models", model, aliases=["golden"])
    urls = (
        model.get_absolute_url(),
        "/registry/model/classifier/v1/",
        f"/lineage/preview/artifact:{model.pk}/",
    )
    for url in urls:
        body = viewer.get(url).content.decode()
        assert (
            '<a href="/registry/model/classifier/v1/">model/classifier v1</a>: '
            '<span class="badge alias">production</span>'
        ) in body
        assert "secret/hidden-models v0" in body and ">golden<" in body  # alice is a member
    viewer.force_login(bob)
    for url in urls:
        body = viewer.get(url).content.decode()
        assert "model/classifier v1" in body
        assert "hidden-models" not in body and "golden" not in body


def test_it_loads_registry_aliases_without_a_query_per_collection(viewer, world):
    model = world.model
    url = f"/lineage/preview/artifact:{model.pk}/"

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert viewer.get(url).status_code == 200
            assert viewer.get(model.get_absolute_url()).status_code == 200
        return len(captured)

    queries()  # the first requests warm caches up
    before = queries()
    registry = Registry.objects.get(name="model")
    for i in range(4):
        Collection.link(registry, f"more-{i}", model, aliases=[f"tag-{i}"])
    assert queries() == before
    assert "model/more-3 v0" in viewer.get(url).content.decode()


def test_it_links_every_crumb_of_a_project_trail(viewer, world):
    body = viewer.get(world.train.get_absolute_url()).content.decode()
    crumbs = body[body.index('<nav class="crumbs"') : body.index("</nav>", body.index("crumbs"))]
    assert '<a href="/acme/zoo/artifacts/">acme/zoo</a>' in crumbs
    assert '<a href="/acme/zoo/runs/">Runs</a> › <span aria-current="page">train-1' in crumbs
    assert "Artifacts" not in crumbs
    body = viewer.get("/acme/zoo/artifacts/dataset/split/v4/").content.decode()
    assert '<a href="/acme/zoo/artifacts/">acme/zoo</a>' in body
    assert '<a href="/acme/zoo/artifacts/dataset/split/">split</a>' in body
    assert '<span aria-current="page">v4</span>' in body
    assert (
        '<a href="/acme/zoo/artifacts/">acme/zoo</a>'
        in viewer.get("/acme/zoo/runs/").content.decode()
    )


def test_it_pushes_action_history_and_serves_it_whole_to_a_history_restore(viewer):
    body = viewer.get("/registry/model/classifier/").content.decode()
    assert 'hx-push-url="true"' in body
    url = "/registry/model/classifier/history/"
    fragment = viewer.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and 'aria-label="Close Action History"' in fragment
    restored = viewer.get(url, HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    assert "<html" in restored.content.decode()  # the browser lost its copy: the whole page


def test_it_dates_demo_versions_over_the_week_when_their_runs_made_them(client, alice):
    """The demo itself (the end-to-end suites' data): a week of work, dated as it went."""
    demo.load()
    client.force_login(alice)
    model = ArtifactSequence.objects.get(name="zoo-ylbchv20").version_by_alias("v0")
    assert model.created_at == Run.objects.get(name="rural-feather-20").finished_at
    split = ArtifactSequence.objects.get(name="split_zoo_dataset")
    first, last = split.version_by_alias("v0"), split.version_by_alias("v4")
    assert first.created_at < last.created_at < model.created_at
    body = client.get(split.get_absolute_url()).content.decode()
    stamps = {version.created_at.strftime("%Y-%m-%d %H:%M") for version in split.versions.all()}
    assert len(stamps) == 5 and all(stamp in body for stamp in stamps)
