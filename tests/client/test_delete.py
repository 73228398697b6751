"""`artifact.delete()` where our rules allow it: versions are immutable and numbered
without reuse, so a version is deleted only while nothing depends on it (no run used
it, no registry collection holds it), and it stays a tombstone whose number is taken."""

import lineage_client as wandb
import pytest
from lineage_client import LineageError

from registry.models import ArtifactVersion, AuditEvent, ManifestEntry


def log(run, name, text, aliases=()):
    artifact = wandb.Artifact(name, "model")
    with artifact.new_file("model.pt") as stream:
        stream.write(text)
    return run.log_artifact(artifact, aliases=list(aliases))


def test_it_deletes_a_version_and_never_gives_its_number_again(server, client):
    with wandb.init(entity="acme", project="zoo") as run:
        first = log(run, "zoo-draft", "one")
        second = log(run, "zoo-draft", "two", aliases=["oops"])
    with pytest.raises(LineageError, match="holds the aliases oops"):
        second.delete()
    second.delete(delete_aliases=True)
    api = wandb.Api()
    assert api.artifact("acme/zoo/zoo-draft:latest").name == "zoo-draft:v0"
    with pytest.raises(LineageError, match="has no version 'v1'"):
        api.artifact("acme/zoo/zoo-draft:v1")
    assert [a.name for a in api.artifact_versions("model", "acme/zoo/zoo-draft")] == [
        "zoo-draft:v0"
    ]
    assert run.logged_artifacts()[0].name == "zoo-draft:v0"
    assert not ManifestEntry.objects.filter(version_id=second.id).exists()

    with wandb.init(entity="acme", project="zoo") as run:
        again = log(run, "zoo-draft", "two")  # the same content as the deleted one
    assert again.name == "zoo-draft:v2" and again.id != second.id
    events = AuditEvent.objects.filter(version_id=second.id).values_list("action", "alias")
    assert sorted(events) == [
        ("alias_added", "latest"),
        ("alias_added", "oops"),
        ("alias_removed", "latest"),
        ("alias_removed", "oops"),
    ]
    tombstone = ArtifactVersion._base_manager.get(pk=second.id)
    assert tombstone.deleted_at is not None and tombstone.name == "zoo-draft:v1"
    assert first.id != again.id


def test_it_refuses_to_delete_what_others_depend_on(server):
    api = wandb.Api()
    used = api.artifact("acme/zoo/split_zoo_dataset:v4")
    with pytest.raises(LineageError, match="is an input of 7 run"):
        used.delete(delete_aliases=True)
    linked = api.artifact("acme/zoo/zoo-model:v4")
    with pytest.raises(LineageError, match="is linked into model/zoo-classifier: unlink"):
        linked.delete(delete_aliases=True)
    assert api.artifact("acme/zoo/zoo-model:v4").id == linked.id


def test_it_deletes_only_the_link_of_a_linked_artifact(server):
    api = wandb.Api()
    linked = api.artifact("model/zoo-classifier:candidate")
    with pytest.raises(LineageError, match="holds the aliases candidate, staging"):
        linked.delete()
    linked.delete(delete_aliases=True)
    assert not linked.is_link
    assert api.artifact("acme/zoo/zoo-model:v4").name == "zoo-model:v4"  # the source stays
    assert api.artifact("model/zoo-classifier:latest").name == "zoo-classifier:v1"


def test_it_answers_404_for_a_deleted_version(server, client, django_user_model):
    with wandb.init(entity="acme", project="zoo") as run:
        gone = log(run, "zoo-gone", "bytes")
    gone.delete()
    client.force_login(django_user_model.objects.get(username="alice"))
    page = client.get("/acme/zoo/artifacts/model/zoo-gone/v0/")
    assert page.status_code == 404
    history = client.get("/acme/zoo/artifacts/model/zoo-gone/")
    assert history.status_code == 200 and b"zoo-gone:v0" not in history.content
    listing = client.get("/acme/zoo/artifacts/").content.decode()
    assert 'zoo-gone</a> <span class="muted">0 versions' in listing
    with pytest.raises(LineageError, match=f"No artifact version with id {gone.id}"):
        gone.files()
