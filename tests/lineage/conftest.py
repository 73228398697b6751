import itertools

import pytest

from registry.blobs import store_bytes
from registry.models import ArtifactSequence, Project, Run


class GraphBuilder:
    """Small hand-built graphs: `art` logs a new version, `run` records its edges."""

    def __init__(self):
        self.project = Project.get_or_create_path("acme", "zoo")
        self.counter = itertools.count()

    def art(self, name, type="dataset", run=None, generated=False, content=None):
        blob = store_bytes((content or f"content {next(self.counter)}").encode())
        version, _ = ArtifactSequence.log_version(
            self.project, name, type, {"f": blob}, run=run, generated=generated
        )
        return version

    def run(self, name, job_type="train", uses=()):
        run = Run.objects.create(project=self.project, name=name, job_type=job_type)
        for version in uses:
            run.use_version(version)
        return run


@pytest.fixture
def g(db):
    return GraphBuilder()
