"""What POST /api/v1/lineage refuses, and that a refusal writes nothing."""

import gzip
import json

import pytest

from openlineage.models import ReceivedEvent
from registry.models import ApiKey, ArtifactCollection, Facet, Project, Run

from .conftest import dataset, new_run_id, run_event

JOB = ("airflow://prod", "dag.task")


def good():
    return run_event(
        "START",
        new_run_id(),
        JOB,
        "2024-05-01T10:00:00Z",
        [dataset("postgres://db:5432", "public.a")],
        [dataset("s3://bucket", "b")],
    )


def nothing_written():
    for model in (Project, Run, ArtifactCollection, Facet, ReceivedEvent):
        assert not model.objects.exists(), model


def without(event, *path):
    *parents, last = path
    target = event
    for part in parents:
        target = target[part]
    del target[last]
    return event


def changed(event, value, *path):
    *parents, last = path
    target = event
    for part in parents:
        target = target[part]
    target[last] = value
    return event


@pytest.mark.parametrize(
    "event, field",
    [
        (without(good(), "eventTime"), "eventTime: Field required"),
        (changed(good(), "yesterday", "eventTime"), "eventTime: must be an ISO 8601"),
        (changed(good(), "2024-05-01", "eventTime"), "eventTime: must be an ISO 8601"),
        (changed(good(), "2024-13-01T10:00:00Z", "eventTime"), "eventTime: '2024-13-01"),
        (without(good(), "producer"), "producer: Field required"),
        (without(good(), "job"), "job: required in a RunEvent"),
        (without(good(), "run", "runId"), "run.runId: Field required"),
        (changed(good(), "run-1", "run", "runId"), "run.runId: Input should be a valid UUID"),
        (without(good(), "job", "namespace"), "job.namespace: Field required"),
        (changed(good(), "", "job", "name"), "job.name: String should have at least 1"),
        (changed(good(), "x" * 257, "job", "name"), "job.name: String should have at most 256"),
        (without(good(), "inputs", 0, "name"), "inputs.0.name: Field required"),
        (changed(good(), 5, "outputs", 0, "namespace"), "outputs.0.namespace: Input should be"),
        (changed(good(), "DONE", "eventType"), "eventType: Input should be 'START'"),
        (changed(good(), [], "run", "facets"), "run.facets: Input should be a valid dictionary"),
        (changed(good(), {"": {}}, "job", "facets"), "job.facets: facet names are 1 to 255"),
        (changed(good(), {}, "outputs"), "outputs: Input should be a valid list"),
        ({"eventTime": "2024-05-01T10:00:00Z", "producer": "p"}, "job: required in a JobEvent"),
        (
            {
                "eventTime": "2024-05-01T10:00:00Z",
                "producer": "p",
                "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/DatasetEvent",
            },
            "dataset: required in a DatasetEvent",
        ),
    ],
)
def test_it_names_the_field_of_an_invalid_event(send, event, field):
    response = send(event)
    assert response.status_code == 400
    assert response.json()["detail"].startswith("Invalid OpenLineage event: " + field)
    nothing_written()


@pytest.mark.parametrize(
    "body, message",
    [
        (b"{not json", "The body is not JSON"),
        (b"", "The body is not JSON"),
        (b"\xff\xfe", "The body is not JSON"),
        (b"[1, 2]", "An OpenLineage event is one JSON object."),
        (b'"START"', "An OpenLineage event is one JSON object."),
    ],
)
def test_it_refuses_a_body_that_is_not_one_json_object(send, body, message):
    response = send(body)
    assert response.status_code == 400
    assert response.json()["detail"].startswith(message)
    nothing_written()


def test_it_refuses_bad_gzip_and_unknown_encodings(send):
    response = send(b"not gzip", HTTP_CONTENT_ENCODING="gzip")
    assert response.status_code == 400 and "not valid gzip" in response.json()["detail"]
    response = send(json.dumps(good()).encode(), HTTP_CONTENT_ENCODING="br")
    assert response.status_code == 400 and "use gzip" in response.json()["detail"]
    nothing_written()


def test_it_refuses_requests_without_a_valid_key(client, alice):
    body = json.dumps(good())
    response = client.post("/api/v1/lineage", body, content_type="application/json")
    assert response.status_code == 401
    assert "API key" in response.json()["detail"]
    key, raw = ApiKey.create_for(alice)
    key.revoke()
    response = client.post(
        "/api/v1/lineage",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert response.status_code == 401
    client.force_login(alice)  # a browser session is not a key
    assert client.post("/api/v1/lineage", body, content_type="application/json").status_code == 401
    nothing_written()


def test_it_refuses_an_event_past_the_size_limit_with_413(send, settings):
    settings.OPENLINEAGE_MAX_EVENT_BYTES = 5 * 1024 * 1024
    event = good()
    event["run"]["facets"]["spark.logicalPlan"] = {"plan": "x" * (5 * 1024 * 1024)}
    response = send(event)
    assert response.status_code == 413
    assert "at most 5,242,880 bytes (5 MiB" in response.json()["detail"]
    inflated = gzip.compress(json.dumps(event).encode())
    assert len(inflated) < 100_000  # small on the wire, too large once inflated
    response = send(inflated, HTTP_CONTENT_ENCODING="gzip")
    assert response.status_code == 413 and "inflated" in response.json()["detail"]
    nothing_written()


def test_it_refuses_a_run_id_that_belongs_to_another_job_and_writes_nothing_of_it(send):
    first = good()
    assert send(first).status_code == 201
    before = [
        (m, m.objects.count()) for m in (Project, Run, ArtifactCollection, Facet, ReceivedEvent)
    ]
    other = run_event(
        "COMPLETE",
        first["run"]["runId"],
        ("spark://cluster", "other.job"),
        "2024-05-01T10:05:00Z",
        outputs=[dataset("gs://bucket", "c")],
    )
    response = send(other)
    assert response.status_code == 400
    assert "run.runId" in response.json()["detail"] and "'dag.task'" in response.json()["detail"]
    # the namespace's project, the dataset and the event were written first, then undone
    assert [(m, m.objects.count()) for m, _ in before] == before
    assert not Project.objects.filter(openlineage_namespace="spark://cluster").exists()


def test_a_sender_outside_the_openlineage_team_is_refused(client, send, bob):
    """Its first sender founds the entity as a team; anybody else needs to be in it."""
    assert send(good()).status_code == 201
    before = {model: model.objects.count() for model in (Run, ReceivedEvent, Facet)}
    key = ApiKey.create_for(bob)[1]
    response = client.post(
        "/api/v1/lineage",
        json.dumps(good()),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.status_code == 404
    assert "openlineage" in response.json()["detail"]
    assert {model: model.objects.count() for model in before} == before
