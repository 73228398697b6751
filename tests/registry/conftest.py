import pytest

from registry.blobs import store_bytes
from registry.models import ArtifactSequence, Project, Registry, Run


@pytest.fixture
def project(db):
    return Project.get_or_create_path("acme", "zoo")


@pytest.fixture
def make_run(project):
    def make(name="", job_type="train", author=None):
        return Run.objects.create(project=project, name=name, job_type=job_type, author=author)

    return make


@pytest.fixture
def log(project):
    """Log `files` ({path: text}) as a version of `name`."""

    def log(name, files, type="dataset", **kw):
        blobs = {path: store_bytes(text.encode()) for path, text in files.items()}
        return ArtifactSequence.log_version(project, name, type, blobs, **kw)

    return log


@pytest.fixture
def model_registry(db):
    """The core registry `model`, there from the migrations on."""
    return Registry.objects.get(name="model")
