import datetime
import re
import types

import pytest

from registry.models import ApiKey, Registry, RegistryMember


@pytest.fixture
def world(build, alice, django_user_model):
    """split:v0 -> train-1 -> model:v0 ({"accuracy": 0.94}) and generated code;
    eval-1 reads model:v0. Collection model/classifier: model:v0 linked by alice (admin of
    `model`), model:v1 by noah."""
    noah = django_user_model.objects.create_user("noah")
    registry = Registry.objects.get(name="model")
    registry.members.create(user=alice, role=RegistryMember.Role.ADMIN)
    split = build.art("split")
    train = build.run("train-1", uses=[split])
    model = build.art("model", "model", run=train, metadata={"accuracy": 0.94})
    code = build.art("source-train.py", "code", run=train, generated=True)
    build.run("eval-1", "eval", uses=[model])
    membership = build.link(registry, "classifier", model, ["production"], user=alice)
    build.link(registry, "classifier", build.art("model", "model"), ["staging"], user=noah)
    ApiKey.create_for(alice)
    return types.SimpleNamespace(
        train=train, model=model, code=code, noah=noah, collection=membership.collection
    )


@pytest.mark.parametrize(
    "model",
    [
        "project",
        "run",
        "artifactsequence",
        "artifactversion",
        "registry",
        "registrymember",
        "collection",
        "membership",
        "alias",
        "blob",
        "lineageedge",
        "auditevent",
        "apikey",
    ],
)
def test_it_lists_and_searches_every_model(world, admin_client, model):
    assert admin_client.get(f"/admin/registry/{model}/").status_code == 200
    assert admin_client.get(f"/admin/registry/{model}/?q=zoo").status_code == 200


def test_it_shows_a_runs_inputs_and_outputs(world, admin_client):
    page = admin_client.get(f"/admin/registry/run/{world.train.pk}/change/").content.decode()
    assert "acme/zoo/split:v0" in page
    assert "acme/zoo/model:v0" in page


def test_it_shows_a_versions_producers_and_consumers(world, admin_client):
    page = admin_client.get(f"/admin/registry/artifactversion/{world.model.pk}/change/")
    assert "train-1" in page.content.decode()
    assert "eval-1" in page.content.decode()


@pytest.mark.parametrize("model", ["alias", "membership", "lineageedge"])
def test_it_keeps_rows_of_domain_operations_read_only(world, admin_client, model):
    """Aliases, links and edges change only through operations that write the audit."""
    page = admin_client.get(f"/admin/registry/{model}/").content.decode()
    assert f"/admin/registry/{model}/add/" not in page
    assert admin_client.get(f"/admin/registry/{model}/add/").status_code == 403


def test_it_keeps_a_versions_content_read_only(world, admin_client):
    url = f"/admin/registry/artifactversion/{world.model.pk}/change/"
    form = admin_client.get(url).context["adminform"].form
    assert set(form.fields) == {"description", "metadata"}


def test_it_refuses_a_collection_of_a_type_its_registry_does_not_accept(world, admin_client):
    from registry.models import Collection, Registry

    registry = Registry.objects.get(name="model")
    response = admin_client.post(
        "/admin/registry/collection/add/",
        {"registry": registry.pk, "name": "zoo-data", "type": "dataset", "description": ""},
    )
    assert "does not accept artifacts of type" in response.content.decode()
    assert not Collection.objects.filter(name="zoo-data").exists()


def test_it_filters_audit_events_by_collection_actor_and_date(world, admin_client):
    from registry.models import AuditEvent

    classifier, noah = world.collection, world.noah
    url = "/admin/registry/auditevent/"
    url += f"?collection__id__exact={classifier.pk}&actor__id__exact={noah.pk}"
    expected = AuditEvent.objects.filter(collection=classifier, actor=noah).count()
    assert 0 < expected < AuditEvent.objects.count()
    assert admin_client.get(url).context["cl"].result_count == expected
    today = AuditEvent.objects.first().created_at.date()
    url = f"/admin/registry/auditevent/?created_at__year={today.year}"
    assert admin_client.get(url).context["cl"].result_count == AuditEvent.objects.count()


def change_form(client, url):
    """The admin form's current values, as a browser would post them back."""
    form = client.get(url).context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()  # prepared for the widget already
        if isinstance(value, datetime.datetime):  # the admin's split date and time
            data[f"{name}_0"], data[f"{name}_1"] = value.date(), value.time()
        else:
            data[name] = value if value is not None else ""
    return data


def inline_management(prefix, total=0):
    return {f"{prefix}-TOTAL_FORMS": total, f"{prefix}-INITIAL_FORMS": 0}


@pytest.mark.parametrize("path", ["", "registry/registry/", "registry/run/", "registry/alias/"])
def test_staff_who_are_not_superusers_cannot_use_the_console(world, client, path):
    """It would show every team's rows and edit them without the pages' role checks."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    staff = get_user_model().objects.create_user("staff", password="pw", is_staff=True)
    staff.user_permissions.set(Permission.objects.all())
    client.force_login(staff)
    response = client.get(f"/admin/{path}")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert "not authorized" in client.get(response["Location"]).content.decode()


def test_staff_cannot_add_a_registry_member_through_the_console(world, client):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    from registry.models import Registry, RegistryMember

    staff = get_user_model().objects.create_user("staff", password="pw", is_staff=True)
    staff.user_permissions.set(Permission.objects.all())
    client.force_login(staff)
    registry = Registry.objects.get(name="model")
    form = {"registry": registry.pk, "user": staff.pk, "role": RegistryMember.Role.ADMIN}
    client.post("/admin/registry/registrymember/add/", form)
    assert not RegistryMember.objects.filter(user=staff).exists()


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("entity", "acme/x", "Invalid entity"),
        ("entity", "admin", "reserved"),
        ("name", "zoo two", "Invalid project name"),
    ],
)
def test_it_refuses_a_project_the_domain_would_refuse(world, admin_client, field, value, message):
    from registry.models import Project

    form = {"entity": "acme", "name": "new-project", "openlineage_namespace": "", field: value}
    form["created_at_0"], form["created_at_1"] = "2026-01-01", "00:00:00"
    response = admin_client.post("/admin/registry/project/add/", form)
    assert message in response.content.decode()
    assert not Project.objects.filter(**{field: value}).exists()


def test_it_renames_a_collection_by_the_rules(world, admin_client):
    from registry.models import Collection

    classifier = world.collection
    url = f"/admin/registry/collection/{classifier.pk}/change/"
    form = change_form(admin_client, url)
    refused = admin_client.post(url, {**form, "name": "tmp/zoo"})
    assert "Invalid collection name" in refused.content.decode()
    Collection.create(classifier.registry, "other", "model")
    taken = admin_client.post(url, {**form, "name": "other"})
    assert "already has a collection" in taken.content.decode()
    assert Collection.objects.get(pk=classifier.pk).name == "classifier"
    assert admin_client.post(url, {**form, "name": "classifier-2"}).status_code == 302
    assert Collection.objects.get(pk=classifier.pk).name == "classifier-2"


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("tags", '"baseline"', "list of strings"),
        ("config", "[1]", "JSON object"),
        ("job_type", "train eval", "Invalid job type"),
    ],
)
def test_it_refuses_run_details_the_api_would_refuse(world, admin_client, field, value, message):
    from registry.models import Run

    run = world.train
    url = f"/admin/registry/run/{run.pk}/change/"
    form = change_form(admin_client, url)
    assert "project" not in form and "author" not in form  # not the console's to move
    response = admin_client.post(url, {**form, field: value})
    assert message in response.content.decode()
    assert Run.objects.get(pk=run.pk).tags == run.tags
    assert Run.objects.get(pk=run.pk).job_type == run.job_type


def test_it_refuses_version_metadata_that_is_not_an_object(world, admin_client):
    from registry.models import ArtifactVersion

    model = world.model
    url = f"/admin/registry/artifactversion/{model.pk}/change/"
    response = admin_client.post(url, {**change_form(admin_client, url), "metadata": '"x"'})
    assert "JSON object" in response.content.decode()
    assert ArtifactVersion.objects.get(pk=model.pk).metadata == {"accuracy": 0.94}


def test_it_deletes_versions_only_the_domains_way(world, admin_client):
    """The action keeps what delete_by keeps: a used or linked version stays, with why."""
    from registry.models import ArtifactVersion

    used, code = world.model, world.code
    url = "/admin/registry/artifactversion/"
    assert "delete_selected" not in admin_client.get(url).content.decode()
    form = {"action": "delete_versions", "_selected_action": [used.pk, code.pk]}
    response = admin_client.post(url, form, follow=True)
    assert "is an input of 1 run(s)" in response.content.decode()
    assert ArtifactVersion.objects.filter(pk=used.pk).exists()
    assert not ArtifactVersion.objects.filter(pk=code.pk).exists()
    assert admin_client.post(f"{url}{used.pk}/delete/").status_code == 403


def registry_form(**fields):
    return {
        "name": "scratch",
        "description": "",
        "visibility": "organization",
        "accepted_types": "model, dataset",
        "protected_aliases": "",
        "created_at_0": "2026-01-01",
        "created_at_1": "00:00:00",
        **inline_management("members"),
        **fields,
    }


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"name": "tmp/reg"}, "Invalid registry name &#x27;tmp/reg&#x27;"),
        ({"name": "model"}, "already exists"),
        ({"accepted_types": "model, two words"}, "Invalid artifact type"),
        ({"protected_aliases": '["production"]'}, "Invalid alias"),
        ({"protected_aliases": "latest"}, "reserved"),
        ({"visibility": "everyone"}, "Select a valid choice"),
    ],
)
def test_it_refuses_a_registry_the_domain_would_refuse(world, admin_client, fields, message):
    from registry.models import Registry

    before = set(Registry.objects.values_list("name", flat=True))
    response = admin_client.post("/admin/registry/registry/add/", registry_form(**fields))
    assert message in response.content.decode()
    assert set(Registry.objects.values_list("name", flat=True)) == before
    assert admin_client.get("/").status_code == 200  # the home page lists registries


def test_it_saves_protected_aliases_as_a_list_whatever_is_typed(world, admin_client):
    from registry.models import Registry

    form = registry_form(protected_aliases="production", accepted_types=" model ,model")
    assert admin_client.post("/admin/registry/registry/add/", form).status_code == 302
    registry = Registry.objects.get(name="scratch")
    assert registry.protected_aliases == ["production"]
    assert registry.accepted_types == ["model"]
    url = f"/admin/registry/registry/{registry.pk}/change/"
    assert 'value="production"' in admin_client.get(url).content.decode()


def test_it_renames_a_custom_registry_only_to_a_valid_name(world, admin_client):
    from registry.models import Registry

    registry = Registry.create("scratch", ["model"])
    url = f"/admin/registry/registry/{registry.pk}/change/"
    response = admin_client.post(url, registry_form(name="a/b", accepted_types="model"))
    assert "Invalid registry name" in response.content.decode()
    assert Registry.objects.filter(name="scratch").exists()


def test_a_restricted_registry_stays_restricted_in_the_console(world, admin_client):
    from registry.models import Registry

    registry = Registry.create("secret", ["model"], visibility="restricted")
    url = f"/admin/registry/registry/{registry.pk}/change/"
    form = registry_form(name="secret", accepted_types="model", visibility="organization")
    assert "cannot become organisation-wide" in admin_client.post(url, form).content.decode()
    assert Registry.objects.get(pk=registry.pk).visibility == "restricted"


def test_it_refuses_a_member_twice_or_with_a_role_that_does_not_exist(world, admin_client):
    """Members are changed on their registry's page (audited there); the standalone
    member pages only list them."""
    from django.contrib.auth import get_user_model

    registry = Registry.objects.get(name="model")
    alice = registry.members.get()  # already a member
    assert admin_client.post("/admin/registry/registrymember/add/", {}).status_code == 403
    url = f"/admin/registry/registry/{registry.pk}/change/"
    form = registry_form(
        description=registry.description,
        accepted_types="model",
        **{
            "members-TOTAL_FORMS": 2,
            "members-INITIAL_FORMS": 1,
            "members-0-id": alice.pk,
            "members-0-registry": registry.pk,
            "members-0-user": alice.user.pk,
            "members-0-role": 40,
            "members-1-user": alice.user.pk,
            "members-1-role": 20,
        },
    )
    twice = admin_client.post(url, form)
    assert "Please correct the duplicate data" in twice.content.decode()
    bob = get_user_model().objects.create_user("bob2")
    odd = admin_client.post(url, {**form, "members-1-user": bob.pk, "members-1-role": 99})
    assert "Select a valid choice" in odd.content.decode()
    assert not RegistryMember.objects.filter(user=bob).exists()


def test_the_audit_list_names_each_version_name_vN_in_one_query(world, admin_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from registry.models import AuditEvent

    classifier, model = world.collection, world.model
    url = f"/admin/registry/auditevent/?collection__id__exact={classifier.pk}"
    body = admin_client.get(url).content.decode()
    linked = AuditEvent.objects.filter(version=model, collection=classifier).first()
    assert f'<td class="field-collection_version">v{linked.version_index}</td>' in body
    assert '<td class="field-version_label">model:v0</td>' in body
    assert "(model)" not in body
    with CaptureQueriesContext(connection) as few:
        admin_client.get(url + "&action__exact=alias_added")
    for i in range(5):
        classifier.add_alias(model, f"tag-{i}")
    with CaptureQueriesContext(connection) as more:
        admin_client.get(url + "&action__exact=alias_added")
    assert len(more) == len(few)


def test_the_admin_shows_times_with_their_zone(build, admin_client):
    model = build.art("zoo-model", "model")
    build.link("model", "classifier", model)
    body = admin_client.get("/admin/registry/auditevent/").content.decode()
    assert re.search(r">\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC<", body)
    assert " p.m." not in body and " a.m." not in body


@pytest.mark.parametrize("model", ["membership", "lineageedge"])
def test_long_lists_name_each_rows_version_without_a_query_a_row(
    world, admin_client, build, model, django_assert_max_num_queries
):
    """The version column reads `split:v0`: its number comes with the page's versions."""
    url = f"/admin/registry/{model}/"
    admin_client.get(url)  # warm: session, content types
    with django_assert_max_num_queries(12) as few:
        admin_client.get(url)
    for i in range(10):
        build.run(f"reader-{i}", uses=[build.art(f"extra-{i}")])
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = admin_client.get(url).content.decode()
    assert "extra-9:v0<" in page


def test_the_membership_list_counts_up_to_a_cap(world, admin_client, monkeypatch):
    from registry import models

    monkeypatch.setattr(models, "COUNTED_UP_TO", 2)
    page = admin_client.get("/admin/registry/membership/").content.decode()
    assert "2+ memberships" in page  # 6 (four versions' homes, two links): counted up to 3
    monkeypatch.setattr(models, "COUNTED_UP_TO", 100)
    assert "6 memberships" in admin_client.get("/admin/registry/membership/").content.decode()


def test_the_job_type_and_type_filters_list_each_value_once_in_order(world, build, admin_client):
    build.run("train-2")
    page = admin_client.get("/admin/registry/run/").content.decode()
    choices = re.findall(r'href="\?job_type=(\w+)"', page)
    assert choices == ["eval", "train"]
    page = admin_client.get("/admin/registry/artifactsequence/").content.decode()
    assert re.findall(r'href="\?type=(\w+)"', page) == ["code", "dataset", "model"]
    filtered = admin_client.get("/admin/registry/run/?job_type=eval").content.decode()
    assert "eval-1" in filtered and "train-1" not in filtered
