"""POST /api/v1/lineage: what one event, or several, make of runs, datasets and edges."""

import gzip
import itertools
import json
import random

import pytest
from django.db import transaction

from openlineage.models import ReceivedEvent
from registry.models import (
    ArtifactCollection,
    ArtifactVersion,
    Facet,
    LineageEdge,
    Run,
)

from .conftest import PRODUCER, dataset, new_run_id, run_event

JOB = ("airflow://prod", "myjob.buggy_task🕷")
RAW = ("postgres://db:5432", "shop.public.raw_orders")
OUT = ("s3://bucket", "warehouse/orders/2024.parquet")


def state():
    """Everything the events made, as plain data: what must not depend on their order."""
    runs = [
        (
            r.project.openlineage_namespace,
            r.name,
            r.run_id,
            r.state,
            r.started_at,
            r.finished_at,
            r.job_type,
        )
        for r in Run.objects.select_related("project").order_by("run_id")
    ]
    versions = sorted(
        (
            v.sequence.project.openlineage_namespace,
            v.sequence.openlineage_name,
            v.version,
            json.dumps(v.identity, sort_keys=True),
        )
        for v in ArtifactVersion.objects.select_related("sequence__project")
    )
    edges = sorted(
        LineageEdge.objects.values_list("run__run_id", "direction", "version__sequence__name")
    )
    shown = {r.run_id: r.shown_facets() for r in Run.objects.all()}
    return runs, versions, edges, shown


def pipeline(run_id):
    """One run's START (schema known), RUNNING, and COMPLETE (the version written known)."""
    inputs = [dataset(*RAW, [("id", "int")])]
    started = [dataset(*OUT, [("id", "int"), ("total", "decimal")])]
    done = [dataset(*OUT, [("id", "int"), ("total", "decimal")], version="v42")]
    return [
        run_event(
            "START",
            run_id,
            JOB,
            "2024-05-01T10:00:00.123456789Z",
            inputs,
            started,
            run_facets={"nominalTime": {"nominalStartTime": "2024-05-01T10:00:00Z"}},
        ),
        run_event("RUNNING", run_id, JOB, "2024-05-01T10:01:00Z", inputs, started),
        run_event(
            "COMPLETE",
            run_id,
            JOB,
            "2024-05-01T10:05:00",
            inputs,
            done,
            run_facets={"nominalTime": {"nominalStartTime": "2024-05-01T10:00:30Z"}},
        ),
    ]


def test_it_makes_a_run_of_the_job_and_versions_of_its_datasets(send):
    run_id = new_run_id()
    for event in pipeline(run_id):
        response = send(event)
        assert response.status_code == 201
    run = Run.objects.get()
    assert run.name == "myjob.buggy_task🕷" and run.run_id == run_id
    assert run.project.openlineage_namespace == "airflow://prod"
    assert str(run.project) == "openlineage/airflow-prod"
    assert run.state == "finished"
    assert run.started_at.isoformat() == "2024-05-01T10:00:00.123456+00:00"
    assert run.finished_at.isoformat() == "2024-05-01T10:05:00+00:00"  # no zone: UTC
    assert run.author.username == "alice"
    written = ArtifactCollection.objects.get(openlineage_name="warehouse/orders/2024.parquet")
    assert (written.type, written.name) == ("dataset", "warehouse-orders-2024.parquet")
    assert written.project.openlineage_namespace == "s3://bucket"
    # The START's schema and the COMPLETE's version facet describe one version.
    assert [v.version for v in written.versions.all()] == ["v0"]
    assert set(written.versions.get().identity) == {"schema", "datasetVersion"}
    assert [v.qualified_name for v in run.inputs()] == [
        "openlineage/postgres-db-5432/shop.public.raw_orders:v0"
    ]
    assert [v.qualified_name for v in run.outputs()] == [
        "openlineage/s3-bucket/warehouse-orders-2024.parquet:v0"
    ]
    # every facet is kept, the newest is shown
    assert Facet.objects.filter(scope="run", name="nominalTime").count() == 2
    shown = run.shown_facets()["run"]["nominalTime"]["nominalStartTime"]
    assert shown == "2024-05-01T10:00:30Z"


def test_it_answers_201_with_the_nodes_it_touched(send):
    response = send(pipeline(new_run_id())[0])
    assert response.status_code == 201
    run, *versions = response.json()["nodes"]
    assert run == f"run:{Run.objects.get().pk}"
    assert sorted(versions) == sorted(f"artifact:{v.pk}" for v in ArtifactVersion.objects.all())


@pytest.mark.parametrize("seed", range(4))
def test_it_reaches_the_same_result_whatever_the_order(send, seed):
    run_a, run_b = "5f4e1f7e-8a57-4c3b-9d16-0d0f5a0c3a11", "8d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    # b reads what a writes, without facets: the same version, whoever arrives first.
    reader = [
        run_event(
            "START", run_b, ("airflow://prod", "report"), "2024-05-01T11:00:00Z", [dataset(*OUT)]
        ),
        run_event(
            "FAIL", run_b, ("airflow://prod", "report"), "2024-05-01T11:02:00Z", [dataset(*OUT)]
        ),
    ]
    events = pipeline(run_a) + reader
    expected = _state_after(send, events)
    shuffled = random.Random(seed).sample(events, len(events))
    assert _state_after(send, shuffled) == expected
    runs, versions, edges, _ = expected
    assert [r[3] for r in runs] == ["finished", "failed"]
    assert [v[2] for v in versions] == ["v0", "v0"]
    assert (
        "8d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        "uses",
        "warehouse-orders-2024.parquet",
    ) in edges


class Undo(Exception):
    pass


def _state_after(send, events):
    """The state `events` make, then undone (audit events can never be deleted)."""
    try:
        with transaction.atomic():
            for event in events:
                assert send(event).status_code == 201
            result = state()
            raise Undo
    except Undo:
        return result


def test_it_changes_nothing_on_a_replay(send):
    events = pipeline(new_run_id())
    for event in events:
        send(event)
    before = state(), ReceivedEvent.objects.count(), Facet.objects.count()
    for event in reversed(events):
        response = send(event)
        assert response.status_code == 201
        assert response.json() == {"detail": "Received before; nothing changed.", "nodes": []}
    # the same event with its keys in another order and other spacing is the same event
    send(json.dumps(events[0], indent=3, sort_keys=True).encode())
    assert (state(), ReceivedEvent.objects.count(), Facet.objects.count()) == before


def test_it_takes_an_event_with_only_the_required_fields(send):
    event = {
        "eventTime": "2024-05-01T10:00:00Z",
        "producer": PRODUCER,
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": "0190d3a0-0000-7000-8000-000000000001"},
        "job": {"namespace": "default", "name": "bare"},
    }
    assert send(event).status_code == 201
    run = Run.objects.get()
    # no eventType: metadata only, the run is running until an end arrives
    assert (run.name, run.state, run.job_type, str(run.project)) == (
        "bare",
        "running",
        "openlineage",
        "openlineage/default",
    )
    assert (
        send({**event, "eventType": "ABORT", "eventTime": "2024-05-01T10:01:00Z"}).status_code
        == 201
    )
    run.refresh_from_db()
    assert run.state == "crashed" and run.finished_at.minute == 1


def test_it_ends_a_run_once_even_when_a_late_running_event_follows(send):
    run_id = new_run_id()
    start, running, complete = pipeline(run_id)
    send(complete)
    send({**running, "eventTime": "2024-05-01T10:06:00Z"})  # after the end: no resurrection
    run = Run.objects.get()
    assert run.state == "finished"
    assert run.started_at.isoformat() == "2024-05-01T10:05:00+00:00"  # the only event yet
    send(start)
    run.refresh_from_db()
    assert run.started_at.isoformat() == "2024-05-01T10:00:00.123456+00:00"


def test_it_makes_a_new_version_when_the_schema_or_version_facet_changes(send):
    def write(version=None, columns=(("id", "int"),), description=None):
        columns = [
            dict(name=n, type=t, **({"description": description} if description else {}))
            for n, t in columns
        ]
        ds = dataset(*OUT, version=version)
        ds["facets"]["schema"] = {"_producer": PRODUCER, "_schemaURL": "x", "fields": columns}
        run_id = new_run_id()
        send(run_event("COMPLETE", run_id, JOB, "2024-05-01T10:00:00Z", outputs=[ds]))
        return Run.objects.get(run_id=run_id).outputs().get().version

    assert write() == "v0"
    assert write(description="the id") == "v0"  # a description is not the schema
    assert write(columns=[("id", "int"), ("total", "decimal")]) == "v1"
    assert write(columns=[("id", "int"), ("total", "decimal")], version="7") == "v1"  # completes
    assert write(columns=[("id", "int"), ("total", "decimal")], version="8") == "v2"
    assert write(columns=[("id", "int")]) == "v0"  # the old schema again: its version
    assert Run.objects.count() == 6 and ArtifactVersion.objects.count() == 3


def test_it_lets_a_run_that_read_and_wrote_one_version_only_write_it(send):
    same = dataset(*OUT, [("id", "int")])
    send(run_event("COMPLETE", new_run_id(), JOB, "2024-05-01T10:00:00Z", [same], [same]))
    run = Run.objects.get()
    assert [v.name for v in run.outputs()] == ["warehouse-orders-2024.parquet:v0"]
    assert list(run.inputs()) == []


def test_it_accepts_gzip_bodies(send):
    body = gzip.compress(json.dumps(pipeline(new_run_id())[0]).encode())
    assert send(body, HTTP_CONTENT_ENCODING="gzip").status_code == 201
    assert Run.objects.count() == 1


def test_it_accepts_an_event_of_5_mb(send):
    event = pipeline(new_run_id())[0]
    columns = [
        {"name": f"column_{i:05d}", "type": "varchar", "description": "x" * 60}
        for i in range(60_000)
    ]
    event["outputs"][0]["facets"]["schema"]["fields"] = columns
    body = json.dumps(event).encode()
    assert len(body) > 5_000_000
    assert send(body).status_code == 201
    shown = ArtifactVersion.objects.get(sequence__openlineage_name=OUT[1]).shown_facets()
    assert len(shown["schema"]["fields"]) == 60_000


def test_it_keeps_unknown_facets_and_fields_as_sent(send):
    event = pipeline(new_run_id())[0]
    event["run"]["facets"]["acme_cost"] = {"_producer": "x", "dollars": 1.5, "tags": ["a"]}
    event["run"]["facets"]["odd"] = 42  # not even an object: kept all the same
    event["x-vendor"] = {"trace": "abc"}
    assert send(event).status_code == 201
    shown = Run.objects.get().shown_facets()["run"]
    assert shown["acme_cost"] == {"_producer": "x", "dollars": 1.5, "tags": ["a"]}
    assert shown["odd"] == 42
    assert ReceivedEvent.objects.get().body["x-vendor"] == {"trace": "abc"}


def test_it_keeps_the_exact_names_apart_when_their_readable_forms_meet(send):
    for name in ("a/b", "a-b", "a:b"):
        send(
            run_event(
                "COMPLETE",
                new_run_id(),
                JOB,
                "2024-05-01T10:00:00Z",
                outputs=[dataset("s3://bucket", name)],
            )
        )
    sequences = ArtifactCollection.objects.filter(project__name="s3-bucket")
    names = dict(sequences.values_list("openlineage_name", "name"))
    assert set(names) == {"a/b", "a-b", "a:b"}
    assert len(set(names.values())) == 3 and names["a/b"] == "a-b"


@pytest.mark.parametrize("combination", list(itertools.permutations(range(3))))
def test_it_settles_a_dataset_named_before_its_producer(send, combination):
    """Consumer events naming the dataset bare, producer events with its schema: one
    version, read and written, in every order."""
    producer, consumer = new_run_id(), new_run_id()
    events = [
        run_event("START", consumer, ("p", "read"), "2024-05-01T11:00:00Z", [dataset(*RAW)]),
        run_event(
            "COMPLETE",
            producer,
            ("p", "write"),
            "2024-05-01T10:00:00Z",
            outputs=[dataset(*RAW, [("id", "int")])],
        ),
        run_event("COMPLETE", consumer, ("p", "read"), "2024-05-01T11:01:00Z", [dataset(*RAW)]),
    ]
    for index in combination:
        send(events[index])
    version = ArtifactVersion.objects.get()
    assert version.identity.keys() == {"schema"}
    assert [r.name for r in version.producers()] == ["write"]
    assert [r.name for r in version.used_by()] == ["read"]
