"""A missing local file fails in `add_file`, before the run records anything; so does a
file that disappears between `add_file` and `log_artifact`."""

import os

import lineage_client as wandb
import pytest

from registry import blobs
from registry.models import ArtifactSequence, ArtifactVersion, Blob


def test_it_refuses_a_missing_file_at_add_file(server):
    with pytest.raises(ValueError, match="Path is not a file: 'no-such.pt'"):
        with wandb.init(entity="acme", project="zoo") as run:
            model = wandb.Artifact(name="zoo-missing", type="model")
            model.add_file(local_path="no-such.pt")
            run.log_artifact(model)
    assert model.file_count == 0
    assert run.logged_artifacts() == []
    assert wandb.Api().run(run.path).state == "failed"
    assert not ArtifactSequence.objects.filter(name="zoo-missing").exists()


def test_it_refuses_a_file_gone_before_logging_and_sends_nothing(server):
    versions, stored, received = ArtifactVersion.objects.count(), Blob.objects.count(), 0
    received = blobs.received["bytes"]
    with wandb.init(entity="acme", project="zoo") as run:
        model = wandb.Artifact(name="zoo-vanishing", type="model")
        open("other.pt", "wb").write(b"other weights")
        model.add_file(local_path="model.pt")
        model.add_file(local_path="other.pt")
        os.remove("other.pt")
        with pytest.raises(ValueError, match="Path is not a file .*other.pt"):
            run.log_artifact(model)
    assert run.logged_artifacts() == []
    assert (ArtifactVersion.objects.count(), Blob.objects.count()) == (versions, stored)
    assert blobs.received["bytes"] == received
    assert not ArtifactSequence.objects.filter(name="zoo-vanishing").exists()
