"""A fresh installation (migrate only, then `createsuperuser`): the reference snippet links
into the core registry `model` with nothing else set up."""

import lineage_client
import pytest
from lineage_client import _http

from registry.models import ApiKey, AuditEvent, Collection, Registry

from .conftest import run_snippet


@pytest.fixture
def fresh_server(live_server, transactional_db, monkeypatch, tmp_path, django_user_model):
    """No demo: only what the migrations made, and the first admin with an API key."""
    admin = django_user_model.objects.create_superuser("root", password="root-password")
    monkeypatch.setenv("LINEAGE_BASE_URL", live_server.url)
    monkeypatch.setenv("LINEAGE_API_KEY", ApiKey.create_for(admin)[1])
    monkeypatch.setenv("LINEAGE_SILENT", "1")
    monkeypatch.setattr(_http, "_settings", {})
    monkeypatch.setattr(lineage_client, "run", None)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "model.pt").write_bytes(b"weights")
    return live_server


def test_the_reference_snippet_links_into_the_core_model_registry(fresh_server):
    assert sorted(Registry.objects.values_list("name", "accepted_types", "visibility")) == [
        ("dataset", ["dataset"], "organization"),
        ("model", ["model"], "organization"),
    ]
    names = run_snippet(
        """
        import lineage_client as wandb

        run = wandb.init(entity="root", project="zoo", job_type="train")
        model = wandb.Artifact(name="zoo-model", type="model")
        model.add_file(local_path="model.pt", name="model.pt")
        run.log_artifact(model)
        run.link_artifact(model, target_path="wandb-registry-model/zoo-classifier")
        run.finish()
        """
    )
    collection = Collection.objects.get(registry__name="model", name="zoo-classifier")
    assert collection.memberships.get().version_id == names["model"].id
    linked = AuditEvent.objects.get(collection=collection, action="version_linked")
    assert linked.actor.username == "root"
