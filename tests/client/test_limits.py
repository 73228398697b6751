"""The client reads the server's limits (GET /api/v1/limits) and refuses, before it
uploads anything, what the server would refuse only at the end; it batches small files
as the server takes them. Before: every file was uploaded, then the manifest failed with
"The server answered 400 Bad Request"."""

import lineage_client as wandb
import pytest
from lineage_client import LineageError
from lineage_client import artifact as artifact_module

from registry.models import ArtifactVersion, Blob


def artifact_of(**files):
    artifact = wandb.Artifact("limited", "dataset")
    for path, text in files.items():
        with artifact.new_file(path) as stream:
            stream.write(text)
    return artifact


def test_a_file_past_the_servers_limit_is_refused_before_any_upload(server, settings):
    settings.LINEAGE_MAX_FILE_BYTES = 10
    with wandb.init(entity="acme", project="zoo") as run:
        artifact = artifact_of(**{"small.txt": "ok", "big.txt": "x" * 11})
        with pytest.raises(LineageError, match="big.txt is 11 bytes; the server takes at most 10"):
            run.log_artifact(artifact)
    assert not Blob.objects.filter(size__in=[2, 11]).exists()


def test_too_many_files_or_too_much_metadata_are_refused_before_any_upload(server, settings):
    settings.LINEAGE_MAX_MANIFEST_FILES = 2
    with wandb.init(entity="acme", project="zoo") as run:
        with pytest.raises(LineageError, match="3 files; the server takes at most 2"):
            run.log_artifact(artifact_of(a="1", b="2", c="3"))
    settings.LINEAGE_MAX_JSON_BYTES = 10  # a new run asks the server's limits again
    with wandb.init(entity="acme", project="zoo") as run:
        artifact = artifact_of(a="1")
        artifact.metadata = {"notes": "x" * 20}
        with pytest.raises(LineageError, match="metadata is larger than 10 bytes"):
            run.log_artifact(artifact)
    assert not ArtifactVersion.objects.filter(sequence__name="limited").exists()


def test_small_files_go_in_batches_the_server_takes(server, settings, monkeypatch):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 2  # the server refuses a third file per request
    # One batch at a time: the test database (SQLite in memory, shared cache) answers
    # "table is locked" to concurrent writers at once instead of waiting as a file does.
    monkeypatch.setattr(artifact_module, "UPLOADS_AT_ONCE", 1)
    with wandb.init(entity="acme", project="zoo") as run:
        logged = run.log_artifact(artifact_of(**{f"f{i}.txt": f"row {i}" for i in range(5)}))
    assert logged.file_count == 5


def test_the_servers_message_is_reported(server, settings):
    settings.LINEAGE_MAX_TEXT_CHARS = 5
    with wandb.init(entity="acme", project="zoo") as run:
        artifact = artifact_of(a="1")
        artifact.description = "a long description"
        with pytest.raises(LineageError, match="description is longer than 5 characters"):
            run.log_artifact(artifact)
