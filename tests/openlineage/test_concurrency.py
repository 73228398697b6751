"""Real concurrent senders on PostgreSQL: the same events, in different orders, at once."""

import json
import multiprocessing
import random

import pytest
from django.contrib.auth import get_user_model
from django.db import connections

from openlineage import events as parsing
from openlineage import ingest
from openlineage.models import ReceivedEvent
from registry.models import ArtifactSequence, LineageEdge, Run

from .conftest import dataset, run_event

SENDERS = 6
RUN_IDS = [f"00000000-0000-4000-8000-00000000000{n}" for n in range(4)]
# run n reads t{n} and writes t{n+1}
CHAIN = [("postgres://db:5432", f"public.t{n}") for n in range(5)]


def events():
    made = []
    for n, run_id in enumerate(RUN_IDS):
        job = ("airflow://prod", f"dag.step_{n}")
        source, target = CHAIN[n], CHAIN[n + 1]
        made += [
            run_event(
                "START",
                run_id,
                job,
                f"2024-05-01T1{n}:00:00Z",
                [dataset(*source)],
                [dataset(*target, [("id", "int")])],
            ),
            run_event(
                "COMPLETE",
                run_id,
                job,
                f"2024-05-01T1{n}:30:00Z",
                [dataset(*source)],
                [dataset(*target, [("id", "int")], version=n)],
            ),
        ]
    return made


def _sender(user_pk, seed, start):
    connections.close_all()  # a forked child opens its own connection
    user = get_user_model().objects.get(pk=user_pk)
    mine = random.Random(seed).sample(events(), len(events()))
    start.wait()
    for event in mine:
        ingest.receive(parsing.parse(json.dumps(event)), user)
    connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_concurrent_senders_of_the_same_events_agree(require_postgres, django_user_model):
    user = django_user_model.objects.create_user("pipeline")
    connections.close_all()
    context = multiprocessing.get_context("fork")
    start = context.Barrier(SENDERS)
    senders = [context.Process(target=_sender, args=(user.pk, n, start)) for n in range(SENDERS)]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join(timeout=180)
    assert [sender.exitcode for sender in senders] == [0] * SENDERS

    assert ReceivedEvent.objects.count() == len(events())
    assert sorted(Run.objects.values_list("run_id", "state")) == [(r, "finished") for r in RUN_IDS]
    for _, name in CHAIN:
        assert ArtifactSequence.objects.get(openlineage_name=name).versions.count() == 1
    edges = sorted(
        LineageEdge.objects.values_list("run__name", "direction", "version__sequence__name")
    )
    expected = [(f"dag.step_{n}", "logs", f"public.t{n + 1}") for n in range(4)]
    expected += [(f"dag.step_{n}", "uses", f"public.t{n}") for n in range(4)]
    assert edges == sorted(expected)
