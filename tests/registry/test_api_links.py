"""Linking, unlinking and aliases through the API, with registry roles."""

import json

import pytest

from registry.models import (
    ApiKey,
    AuditEvent,
    Collection,
    Registry,
    RegistryMember,
)


@pytest.fixture
def world(build, alice):
    """Registry `model` (alice its admin) with collection zoo-classifier: v0 `production`
    (deployed:v0), v1 `staging` and `latest` (deployed:v1)."""
    registry = Registry.objects.get(name="model")
    registry.members.create(user=alice, role=RegistryMember.Role.ADMIN)
    deployed = build.art("deployed", "model")
    build.link(registry, "zoo-classifier", deployed, ["production"])
    build.link(registry, "zoo-classifier", build.art("deployed", "model"), ["staging"])
    return registry


@pytest.fixture
def model(build, world):
    """zoo-model:v0, logged by run lively-star-24, not yet linked, not its sequence's latest."""
    run = build.run("lively-star-24")
    version = build.art("zoo-model", "model", run=run, files={"model.pt": "weights lr=0.02"})
    build.art("zoo-model", "model")
    return version


def client_for(client, user):
    _, key = ApiKey.create_for(user)
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    return client


def link(client, model, target, aliases=()):
    body = json.dumps({"target_path": target, "aliases": list(aliases)})
    return client.post(f"/api/v1/versions/{model.pk}/links", body, content_type="application/json")


def test_it_links_and_unlinks_with_audit_events(client, model, alice):
    api = client_for(client, alice)
    response = link(api, model, "wandb-registry-model/zoo-classifier", ["staging"])
    assert response.status_code == 200
    assert response.json()["version"] == "v2"
    assert response.json()["aliases"] == ["latest", "staging"]
    collection = Collection.objects.get(name="zoo-classifier")
    response = api.delete(f"/api/v1/versions/{model.pk}/links/model/zoo-classifier")
    assert response.status_code == 200
    assert not collection.memberships.filter(version=model).exists()
    actions = AuditEvent.objects.filter(collection=collection, version=model, actor=alice)
    assert {"version_linked", "version_unlinked"} <= set(actions.values_list("action", flat=True))


def test_it_needs_the_member_role_to_link(client, model, bob):
    api = client_for(client, bob)  # an organisation-wide viewer of `model`
    response = link(api, model, "model/zoo-classifier")
    assert response.status_code == 403
    assert "member role" in response.json()["detail"]
    RegistryMember.objects.create(
        registry=Registry.objects.get(name="model"), user=bob, role=RegistryMember.Role.MEMBER
    )
    assert link(api, model, "model/zoo-classifier").status_code == 200


def test_it_keeps_protected_aliases_for_admins(client, model, bob):
    registry = Registry.objects.get(name="model")
    registry.protected_aliases = ["production"]
    registry.save()
    RegistryMember.objects.create(registry=registry, user=bob, role=RegistryMember.Role.MEMBER)
    response = link(client_for(client, bob), model, "model/zoo-classifier", ["production"])
    assert response.status_code == 403
    assert Collection.objects.get(name="zoo-classifier").version_by_alias("production") != model


def test_it_adds_and_removes_aliases_in_the_sequence(client, model, bob):
    api = client_for(client, bob)
    url = f"/api/v1/versions/{model.pk}/aliases"
    response = api.post(url, json.dumps({"alias": "best"}), content_type="application/json")
    assert response.json()["aliases"] == ["best"]
    response = api.delete(f"{url}/best")
    assert response.json()["aliases"] == []
    events = AuditEvent.objects.filter(collection=model.sequence, alias="best")
    assert list(events.values_list("action", flat=True).order_by("id")) == [
        "alias_added",
        "alias_removed",
    ]


def test_it_reads_a_version_with_its_manifest_and_files(client, model, alice):
    api = client_for(client, alice)
    body = api.get(f"/api/v1/versions/{model.pk}").json()
    assert body["name"] == "zoo-model:v0" and body["type"] == "model"
    assert list(body["manifest"]) == ["model.pt"]
    download = api.get(f"/api/v1/versions/{model.pk}/files/model.pt")
    assert b"".join(download.streaming_content) == b"weights lr=0.02"
    missing = api.get(f"/api/v1/versions/{model.pk}/files/nope.pt")
    assert missing.status_code == 404 and "No file 'nope.pt'" in missing.json()["detail"]
    producers = api.get(f"/api/v1/versions/{model.pk}/producers").json()
    assert [run["name"] for run in producers] == ["lively-star-24"]


def member(registry_name, user, role=RegistryMember.Role.MEMBER):
    registry = Registry.objects.get(name=registry_name)
    RegistryMember.objects.create(registry=registry, user=user, role=role)
    return registry


def test_it_adds_and_removes_aliases_in_a_collection(client, model, bob):
    member("model", bob)
    api = client_for(client, bob)
    link(api, model, "model/zoo-classifier")
    url = f"/api/v1/versions/{model.pk}/links/model/zoo-classifier/aliases"
    response = api.post(url, json.dumps({"alias": "review"}), content_type="application/json")
    assert response.status_code == 200
    assert response.json()["aliases"] == ["latest", "review"]
    response = api.delete(f"{url}/review")
    assert response.status_code == 200
    assert response.json()["aliases"] == ["latest"]
    collection = Collection.objects.get(name="zoo-classifier")
    events = AuditEvent.objects.filter(collection=collection, alias="review", actor=bob)
    assert list(events.values_list("action", flat=True).order_by("id")) == [
        "alias_added",
        "alias_removed",
    ]


def test_it_removes_only_an_alias_the_version_holds_there(client, world, alice):
    api = client_for(client, alice)
    collection = Collection.objects.get(name="zoo-classifier")
    production = collection.version_by_alias("production")
    staging = collection.version_by_alias("staging")
    assert staging != production
    response = api.delete(
        f"/api/v1/versions/{production.pk}/links/model/zoo-classifier/aliases/staging"
    )
    assert response.status_code == 404
    assert "has no alias 'staging'" in response.json()["detail"]
    assert collection.version_by_alias("staging") == staging


def test_it_keeps_protected_aliases_in_a_collection_for_admins(client, world, bob):
    registry = member("model", bob)
    registry.protected_aliases = ["production"]
    registry.save()
    collection = Collection.objects.get(name="zoo-classifier")
    production = collection.version_by_alias("production")
    api = client_for(client, bob)
    url = f"/api/v1/versions/{production.pk}/links/model/zoo-classifier"
    response = api.delete(f"{url}/aliases/production")
    assert response.status_code == 403 and "admin role" in response.json()["detail"]
    response = api.delete(url)  # unlinking would take `production` with it
    assert response.status_code == 403 and "admin role" in response.json()["detail"]
    assert collection.version_by_alias("production") == production
    api = client_for(client, registry.members.get(role=RegistryMember.Role.ADMIN).user)
    assert api.delete(f"{url}/aliases/production").status_code == 200
    assert not collection.aliases.filter(name="production").exists()


def test_it_unlinks_a_version_without_protected_aliases_for_members(client, model, bob):
    registry = member("model", bob)
    registry.protected_aliases = ["production"]
    registry.save()
    api = client_for(client, bob)
    link(api, model, "model/zoo-classifier", ["review"])
    response = api.delete(f"/api/v1/versions/{model.pk}/links/model/zoo-classifier")
    assert response.status_code == 200


def test_it_resolves_the_reference_three_part_registry_path(client, world, alice):
    api = client_for(client, alice)
    name = "acme-org/wandb-registry-model/zoo-classifier:production"
    response = api.get("/api/v1/versions/resolve", {"name": name})
    assert response.status_code == 200, response.content
    assert response.json()["qualified_name"] == "acme/zoo/deployed:v0"
