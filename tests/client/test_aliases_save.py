"""`artifact.aliases` is editable and `artifact.save()` keeps it: in the artifact sequence
for a project artifact, in the registry collection for a linked one; every change is an
audit event, and protected aliases stay the registry admins'."""

import lineage_client as wandb
import pytest
from lineage_client import LineageError, _http

from registry.models import ApiKey, AuditEvent, Registry, RegistryMember


def events(collection_name, since):
    found = AuditEvent.objects.filter(collection__name=collection_name, pk__gt=since)
    return sorted((e.action, e.alias, e.version_index) for e in found)


def last_event():
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def test_it_sets_aliases_in_the_sequence_with_audit_events(server):
    api = wandb.Api()
    model = api.artifact("acme/zoo/zoo-ylbchv20:v0")
    assert model.aliases == ["best", "latest"]
    since = last_event()
    model.aliases.remove("best")
    model.aliases.append("reviewed")
    model.save()
    assert model.aliases == ["latest", "reviewed"]
    assert api.artifact("acme/zoo/zoo-ylbchv20:reviewed").id == model.id
    with pytest.raises(LineageError, match="has no version 'best'"):
        api.artifact("acme/zoo/zoo-ylbchv20:best")
    assert events("zoo-ylbchv20", since) == [
        ("alias_added", "reviewed", 0),
        ("alias_removed", "best", 0),
    ]


def test_it_moves_an_alias_from_another_version(server):
    api = wandb.Api()
    older = api.artifact("acme/zoo/split_zoo_dataset:v1")
    older.aliases = [*older.aliases, "golden"]
    older.save()
    newer = api.artifact("acme/zoo/split_zoo_dataset:v3")
    newer.aliases = ["golden"]
    newer.save()
    assert api.artifact("acme/zoo/split_zoo_dataset:golden").id == newer.id
    assert "golden" not in api.artifact("acme/zoo/split_zoo_dataset:v1").aliases


def test_it_leaves_latest_to_itself_and_content_alone(server):
    api = wandb.Api()
    model = api.artifact("acme/zoo/zoo-ylbchv20:v0")
    model.aliases = ["best"]  # dropping latest
    with pytest.raises(LineageError, match="'latest' is reserved and moves by itself"):
        model.save()
    old = api.artifact("acme/zoo/split_zoo_dataset:v0")
    old.aliases = ["latest"]
    with pytest.raises(LineageError, match="'latest' is reserved"):
        old.save()
    model = api.artifact("acme/zoo/zoo-ylbchv20:v0")
    model.aliases = ["best", "latest", "v7"]
    with pytest.raises(LineageError, match="'v7' is reserved"):
        model.save()
    model = api.artifact("acme/zoo/zoo-ylbchv20:v0")
    model.description = "rewritten"
    with pytest.raises(ValueError, match="immutable content"):
        model.save()
    assert api.artifact("acme/zoo/zoo-ylbchv20:v0").aliases == ["best", "latest"]


def test_it_sets_aliases_in_a_registry_collection(server):
    api = wandb.Api()
    linked = api.artifact("model/zoo-classifier:production")
    assert (linked.name, linked.source_name) == ("zoo-classifier:v1", "zoo-ylbchv20:v0")
    assert linked.is_link and linked.aliases == ["production"]
    since = last_event()
    linked.aliases = ["production", "staging"]  # staging moves off v2
    linked.save()
    assert api.artifact("model/zoo-classifier:staging").name == "zoo-classifier:v1"
    assert events("zoo-classifier", since) == [
        ("alias_added", "staging", 1),
        ("alias_removed", "staging", 2),
    ]
    assert api.artifact("acme/zoo/zoo-ylbchv20:v0").aliases == ["best", "latest"]


def test_it_keeps_protected_aliases_for_admins(server, django_user_model, monkeypatch):
    registry = Registry.objects.get(name="model")
    registry.protected_aliases = ["production"]
    registry.save()
    bob = django_user_model.objects.create_user("bob")
    registry.members.create(user=bob, role=RegistryMember.Role.MEMBER)
    monkeypatch.setenv("LINEAGE_API_KEY", ApiKey.create_for(bob)[1])
    monkeypatch.setattr(_http, "_settings", {})
    linked = wandb.Api().artifact("model/zoo-classifier:production")
    linked.aliases = []
    with pytest.raises(LineageError, match="You need the admin role in registry 'model'"):
        linked.save()
    linked.aliases = ["production", "reviewed"]
    linked.save()  # an ordinary alias is a member's to set
    assert linked.aliases == ["production", "reviewed"]


def test_it_logs_a_draft_on_save(server):
    with wandb.init(entity="acme", project="zoo", job_type="train") as run:
        draft = wandb.Artifact(name="zoo-notes", type="dataset")
        draft.add_file(local_path="model.pt")
        draft.aliases = ["first"]
        draft.save()
    assert draft.version == "v0" and draft.aliases == ["first", "latest"]
    assert [a.name for a in run.logged_artifacts()] == ["zoo-notes:v0"]
    lonely = wandb.Artifact(name="zoo-lonely", type="dataset")
    lonely.add_file(local_path="model.pt", name="copy.pt")
    wandb.run = None
    lonely.save()  # no run: one of its own, as the reference does
    producer = lonely.logged_by()
    assert (producer.job_type, producer.state) == ("auto", "finished")
