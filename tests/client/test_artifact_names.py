"""`Artifact(name=...)` refuses a bad name at once with ValueError, as the reference SDK
does, by the server's own rule (tests/client/test_names_agree.py keeps the two alike)."""

import lineage_client as wandb
import pytest


@pytest.mark.parametrize("name", ["bad name", "a/b", "zoo:v1", "", "x" * 129])
def test_it_refuses_an_invalid_name_at_once(name):
    with pytest.raises(ValueError, match="Invalid artifact name"):
        wandb.Artifact(name=name, type="model")


def test_it_refuses_an_invalid_type_and_alias_at_once():
    with pytest.raises(ValueError, match="Invalid artifact type 'my model'"):
        wandb.Artifact(name="zoo-model", type="my model")
    artifact = wandb.Artifact(name="zoo-model", type="model")
    with pytest.raises(ValueError, match="Invalid alias 'a/b'"):
        artifact.aliases = ["best", "a/b"]
    assert artifact.aliases == []


def test_it_sends_nothing_for_an_invalid_name(server):
    from registry.models import ArtifactSequence

    with wandb.init(entity="acme", project="zoo") as run:
        with pytest.raises(ValueError, match="Invalid artifact name"):
            run.log_artifact("model.pt", name="bad name", type="model")
    assert not ArtifactSequence.objects.filter(name="bad name").exists()
    assert run.logged_artifacts() == []
