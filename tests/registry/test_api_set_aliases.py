"""PUT .../aliases: a version's aliases set at once, in its sequence or a collection."""

import json

import pytest

from registry.models import ApiKey, ArtifactSequence, AuditEvent, Registry, RegistryMember


@pytest.fixture
def version(build):
    """zoo-ylbchv20:v0, aliased `best` (and `latest`) in its sequence, in collection
    model/zoo-classifier; zoo-model:v0 is in no collection."""
    version = build.art("zoo-ylbchv20", "model", aliases=["best"])
    build.link("model", "zoo-classifier", version)
    build.art("zoo-model", "model")
    return version


@pytest.fixture
def api(client, alice, version):
    """alice's key; she is an admin of registry `model`."""
    registry = Registry.objects.get(name="model")
    registry.members.create(user=alice, role=RegistryMember.Role.ADMIN)
    _, key = ApiKey.create_for(alice)
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    return client


def put(client, path, aliases):
    body = json.dumps({"aliases": aliases})
    return client.put(f"/api/v1{path}", body, content_type="application/json")


@pytest.mark.parametrize(
    "aliases, status, message",
    [
        (["best", "bad name"], 400, "Invalid alias 'bad name'"),
        (["best", "latest", "v3"], 400, "The alias 'v3' is reserved"),
        (["best"], 400, "The alias 'latest' is reserved and moves by itself"),
        ("best", 422, "The request is not valid: aliases: Input should be a valid list"),
    ],
)
def test_it_refuses_bad_aliases_and_writes_nothing(api, version, aliases, status, message):
    events = AuditEvent.objects.count()
    answer = put(api, f"/versions/{version.pk}/aliases", aliases)
    assert answer.status_code == status
    assert answer.json()["detail"].startswith(message)
    assert version.aliases() == ["best", "latest"]
    assert AuditEvent.objects.count() == events


def test_it_answers_404_for_what_is_not_there(api, version):
    assert put(api, "/versions/999999/aliases", []).json() == {
        "detail": "No artifact version with id 999999."
    }
    answer = put(api, f"/versions/{version.pk}/links/model/no-such/aliases", [])
    assert (answer.status_code, answer.json()["detail"]) == (
        404,
        "No collection 'no-such' in registry 'model'.",
    )
    zoo_model = ArtifactSequence.objects.get(name="zoo-model").version_by_alias("v0")
    answer = put(api, f"/versions/{zoo_model.pk}/links/model/zoo-classifier/aliases", [])
    assert answer.status_code == 404  # v0 of zoo-model is not in the collection


def test_it_sets_them_in_one_transaction(api, version):
    answer = put(api, f"/versions/{version.pk}/aliases", ["latest", "a", "b", "a"])
    assert answer.status_code == 200 and answer.json()["aliases"] == ["a", "b", "latest"]
