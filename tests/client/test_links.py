"""`artifact.link(target_path, aliases)` and `artifact.unlink()`, with the reference
SDK's linked artifacts, audit events and the registry's role checks."""

import lineage_client as wandb
import pytest
from lineage_client import LineageError, _http

from registry.models import ApiKey, AuditEvent, Collection, Registry
from tests.conftest import in_team


def test_it_links_and_unlinks_with_audit_events(server):
    model = wandb.Api().artifact("acme/zoo/zoo-model:v2")
    linked = model.link("wandb-registry-model/zoo-classifier", aliases=["challenger"])
    assert (linked.name, linked.version, linked.source_name) == (
        "zoo-classifier:v3",
        "v3",
        "zoo-model:v2",
    )
    assert linked.aliases == ["challenger", "latest"]
    assert linked.qualified_name == "model/zoo-classifier:v3"
    assert linked.url.endswith("/registry/model/zoo-classifier/v3/")
    assert not model.is_link and model.name == "zoo-model:v2"
    again = wandb.Api().artifact("model/zoo-classifier:challenger")
    assert (again.id, again.name) == (model.id, "zoo-classifier:v3")

    again.unlink()
    assert not again.is_link and again.name == "zoo-model:v2"
    collection = Collection.objects.get(registry__name="model", name="zoo-classifier")
    actions = list(
        AuditEvent.objects.filter(collection=collection, version_index=3)
        .order_by("pk")
        .values_list("action", "alias")
    )
    assert actions[:3] == [
        ("version_linked", ""),
        ("alias_added", "latest"),
        ("alias_added", "challenger"),
    ]
    assert sorted(actions[3:5]) == [("alias_removed", "challenger"), ("alias_removed", "latest")]
    assert actions[5:] == [("version_unlinked", "")]  # and latest went back to v2:
    assert wandb.Api().artifact("model/zoo-classifier:latest").name == "zoo-classifier:v2"
    with pytest.raises(LineageError, match="has no version 'challenger'"):
        wandb.Api().artifact("model/zoo-classifier:challenger")


def test_it_refuses_to_unlink_what_is_not_linked(server):
    model = wandb.Api().artifact("acme/zoo/zoo-ylbchv20:v0")
    with pytest.raises(ValueError, match="zoo-ylbchv20:v0 is not a linked artifact"):
        model.unlink()
    with pytest.raises(ValueError, match="not logged yet"):
        wandb.Artifact("draft", "model").unlink()


def test_it_keeps_the_link_of_an_artifact_used_by_name(server):
    with wandb.init(entity="acme", project="zoo", job_type="eval") as run:
        used = run.use_artifact("model/zoo-classifier:production")
        again = run.use_artifact(used)
    assert used.is_link and again.name == used.name == "zoo-classifier:v1"
    assert [a.name for a in run.used_artifacts()] == ["zoo-ylbchv20:v0"]


def test_it_needs_the_member_role_to_link_and_unlink(server, django_user_model, monkeypatch):
    alice = django_user_model.objects.get(username="alice")
    Registry.create("secret", ["model"], admin=alice)
    wandb.Api().artifact("acme/zoo/zoo-model:v2").link("secret/models")
    bob = in_team(django_user_model.objects.create_user("bob"))  # sees acme/zoo
    monkeypatch.setenv("LINEAGE_API_KEY", ApiKey.create_for(bob)[1])
    monkeypatch.setattr(_http, "_settings", {})
    linked = wandb.Api().artifact("secret/models:v0")  # an organisation viewer sees it
    with pytest.raises(LineageError, match="You need the member role in registry 'secret'"):
        linked.unlink()
    with pytest.raises(LineageError, match="You need the member role"):
        wandb.Api().artifact("acme/zoo/zoo-model:v1").link("secret/models")
    assert Collection.objects.get(name="models").memberships.count() == 1
