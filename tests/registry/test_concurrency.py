"""Real concurrent writers on PostgreSQL: version numbers never collide nor leave gaps."""

import multiprocessing

import pytest
from django.db import connections

from registry.blobs import store_bytes
from registry.models import ArtifactSequence, Membership, Project

WRITERS, VERSIONS_EACH = 8, 25


def _writer(project_pk, writer, start):
    connections.close_all()  # a forked child must open its own connection
    project = Project.objects.get(pk=project_pk)
    start.wait()
    for i in range(VERSIONS_EACH):
        blob = store_bytes(f"writer {writer} version {i}".encode())
        ArtifactSequence.log_version(project, "shared-dataset", "dataset", {"data.txt": blob})
    connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_it_numbers_concurrent_versions_without_gap_or_duplicate(require_postgres):
    project = Project.get_or_create_path("acme", "zoo")
    connections.close_all()
    context = multiprocessing.get_context("fork")
    start = context.Barrier(WRITERS)
    workers = [context.Process(target=_writer, args=(project.pk, n, start)) for n in range(WRITERS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [worker.exitcode for worker in workers] == [0] * WRITERS

    sequence = ArtifactSequence.objects.get(project=project, name="shared-dataset")
    total = WRITERS * VERSIONS_EACH
    indexes = sorted(Membership.objects.filter(collection=sequence).values_list("index", flat=True))
    assert indexes == list(range(total))
    assert sequence.versions.count() == total
    named = [sequence.version_by_alias(f"v{n}") for n in range(total)]
    assert [version.version for version in named] == [f"v{n}" for n in range(total)]
    assert len({version.pk for version in named}) == total
    assert sequence.version_by_alias("latest").version == f"v{total - 1}"
