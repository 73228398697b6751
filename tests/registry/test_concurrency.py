"""Real concurrent writers on PostgreSQL: version numbers never collide nor leave gaps,
first links into a new collection all land, one run id makes one run, the first writers
into a new entity found one team."""

import multiprocessing

import pytest
from django.contrib.auth import get_user_model
from django.db import connections

from registry.blobs import store_bytes
from registry.models import (
    ArtifactSequence,
    ArtifactVersion,
    Collection,
    Membership,
    Project,
    Registry,
    Run,
    Team,
)

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


ROUNDS = 18


def _in_rounds(target, *args):
    """Run `target(writer, round, *args)` in WRITERS processes, all starting each round at
    once; returns what each process reports (the errors it met, as text)."""
    connections.close_all()
    context = multiprocessing.get_context("fork")
    start, errors = context.Barrier(WRITERS), context.Queue()

    def work(writer):
        connections.close_all()  # a forked child must open its own connection
        for round in range(ROUNDS):
            start.wait()
            try:
                target(writer, round, *args)
            except Exception as error:  # noqa: BLE001 (reported to the test)
                errors.put(f"round {round}, writer {writer}: {type(error).__name__}: {error}")
        connections.close_all()

    workers = [context.Process(target=work, args=(n,)) for n in range(WRITERS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [worker.exitcode for worker in workers] == [0] * WRITERS
    found = []
    while not errors.empty():
        found.append(errors.get())
    return found


def _link_first(writer, round, versions):
    version = ArtifactVersion.objects.get(pk=versions[writer])
    Collection.link(Registry.objects.get(name="model"), f"new-{round}", version)


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_links_into_a_new_collection_all_land(require_postgres):
    project = Project.get_or_create_path("acme", "zoo")
    versions = [
        ArtifactSequence.log_version(project, f"model-{n}", "model", {"m": store_bytes(b"%d" % n)})[
            0
        ]
        for n in range(WRITERS)
    ]
    assert _in_rounds(_link_first, [v.pk for v in versions]) == []
    for round in range(ROUNDS):
        collection = Collection.objects.get(registry__name="model", name=f"new-{round}")
        linked = set(collection.memberships.values_list("version", flat=True))
        assert linked == {v.pk for v in versions}
        indexes = sorted(collection.memberships.values_list("index", flat=True))
        assert indexes == list(range(WRITERS))


def _start(writer, round, project_pk, created):
    project = Project.objects.get(pk=project_pk)
    run, new = Run.start(project, None, run_id=f"shared-{round}")
    created.put((round, new, run.pk))


@pytest.mark.django_db(transaction=True)
def test_concurrent_create_or_resume_of_one_run_id_gives_one_run(require_postgres):
    project = Project.get_or_create_path("acme", "zoo")
    created = multiprocessing.get_context("fork").Queue()
    assert _in_rounds(_start, project.pk, created) == []
    answers = [created.get(timeout=10) for _ in range(WRITERS * ROUNDS)]
    for round in range(ROUNDS):
        mine = [(new, pk) for r, new, pk in answers if r == round]
        assert sorted(new for new, _ in mine) == [False] * (WRITERS - 1) + [True]
        assert len({pk for _, pk in mine}) == 1
    assert Run.objects.filter(project=project).count() == ROUNDS


def _write_into_new_entity(writer, round, user_pk):
    user = get_user_model().objects.get(pk=user_pk)
    Project.for_writing(user, f"founded-{round}", "zoo")


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_writers_into_a_new_entity_found_one_team(require_postgres):
    """Seen under bench/load_bench.py: a writer that lost the race was answered 409
    "The entity name 'bench' is taken" instead of writing into the team just founded."""
    user = get_user_model().objects.create_user("writer")
    assert _in_rounds(_write_into_new_entity, user.pk) == []
    for round in range(ROUNDS):
        team = Team.objects.get(name=f"founded-{round}")
        assert team.role_of(user) == "admin"
        assert Project.objects.filter(entity=team.name, name="zoo").count() == 1
