"""The wandb endpoints on bad or unusual input: always JSON, never a 5xx, nothing
half-written visible."""

import base64
import datetime
import json

import pytest

from registry.errors import InvalidName
from registry.models import ApiKey, ArtifactVersion, Project, Run
from wandb_api import tokens
from wandb_api.models import StagedArtifact


@pytest.fixture
def basic(alice):
    _, key = ApiKey.create_for(alice)
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(f"api:{key}".encode()).decode()}


def graphql(client, basic, query, **variables):
    body = json.dumps({"query": query, "variables": variables, "operationName": ""})
    return client.post("/graphql", body, content_type="application/json", **basic)


def test_it_answers_json_to_a_missing_or_wrong_key(client, db):
    for headers in ({}, {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(b"api:nope").decode()}):
        response = client.post("/graphql", "{}", content_type="application/json", **headers)
        assert response.status_code == 401
        assert "not valid" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    "body",
    ["{not json", '{"query": "query {"}', '{"query": "{ nosuchfield }"}', "[1, 2]", '"text"'],
)
def test_it_answers_graphql_errors_to_malformed_documents(client, basic, body):
    response = client.post("/graphql", body, content_type="application/json", **basic)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["errors"][0]["message"]


def test_it_keeps_an_artifact_invisible_until_it_is_committed(client, basic, alice):
    Project.get_or_create_path("alice", "zoo")
    created = graphql(
        client,
        basic,
        """mutation ($input: CreateArtifactInput!) {
             createArtifact(input: $input) { artifact { id state } } }""",
        input={
            "artifactTypeName": "dataset",
            "artifactCollectionName": "half",
            "entityName": "alice",
            "projectName": "zoo",
            "digest": "0" * 32,
            "runName": None,
            "labels": None,
            "aliases": [{"alias": "latest", "artifactCollectionName": "half"}],
            "enableDigestDeduplication": True,
            "clientID": "x",
            "sequenceClientID": "y",
            "storageRegion": None,
        },
    ).json()
    assert created["data"]["createArtifact"]["artifact"]["state"] == "PENDING"
    assert not ArtifactVersion.objects.exists()
    found = graphql(
        client,
        basic,
        """query { project(name: "zoo", entityName: "alice") {
             artifactCollectionMembership(name: "half:latest") { id } } }""",
    ).json()
    assert found["data"]["project"]["artifactCollectionMembership"] is None
    artifact_id = created["data"]["createArtifact"]["artifact"]["id"]
    commit = graphql(
        client,
        basic,
        "mutation ($id: ID!) { commitArtifact(input: {artifactID: $id}) { artifact { id } } }",
        id=artifact_id,
    ).json()
    assert "no uploaded manifest" in commit["errors"][0]["message"]
    assert not ArtifactVersion.objects.exists()


def test_it_checks_uploads_against_their_signed_url(client, alice, rf):
    project = Project.get_or_create_path("alice", "zoo")
    staged = StagedArtifact.objects.create(
        project=project, user=alice, name="zoo", type="dataset", digest="d"
    )
    request = rf.get("/")
    url = tokens.url(request, "file", s=staged.pk, m="XrY7u+Ae7tCTyyK7j1rNww==")
    path = url.removeprefix("http://testserver")
    wrong = client.put(path, b"not the announced bytes", content_type="application/octet-stream")
    assert wrong.status_code == 400 and "MD5" in wrong.json()["error"]
    assert not staged.files.exists()
    assert client.put(path + "x", b"a").status_code == 403  # altered token
    assert client.get(path).status_code == 405


def test_it_refuses_an_expired_upload_url(client, alice, rf, monkeypatch):
    url = tokens.url(rf.get("/"), "run-file")
    monkeypatch.setattr(tokens, "MAX_AGE", -1)
    response = client.put(url.removeprefix("http://testserver"), b"config")
    assert response.status_code == 403
    assert "expired" in response.json()["error"]


def test_it_keeps_the_summary_and_state_and_drops_history(client, basic, alice):
    run = Run.objects.create(project=Project.get_or_create_path("alice", "zoo"), author=alice)
    stream = f"/files/alice/zoo/{run.run_id}/file_stream"
    lines = {
        "wandb-history.jsonl": {"offset": 0, "content": ['{"loss": 1.0, "_step": 0}']},
        "output.log": {"offset": 0, "content": ["epoch 1", "not json {"]},
        "wandb-events.jsonl": {"offset": 0, "content": ["{}"]},
        "wandb-summary.json": {"offset": 0, "content": ['{"loss": 1.0, "_runtime": 3}']},
        "something-new.bin": {"offset": 0, "content": [None]},
    }
    post = lambda data: client.post(stream, json.dumps(data), "application/json", **basic)  # noqa: E731
    assert post({"files": lines, "dropped": 0}).status_code == 200
    run.refresh_from_db()
    assert (run.state, run.summary) == ("running", {"loss": 1.0})
    assert post({"files": {}, "complete": True, "exitcode": 1}).status_code == 200
    run.refresh_from_db()
    assert run.state == "failed" and run.finished_at is not None
    assert post({"files": "nonsense"}).status_code == 200
    assert (
        client.post(
            "/files/alice/zoo/nosuchrun/file_stream", "{}", "application/json", **basic
        ).status_code
        == 404
    )


def test_it_turns_telemetry_off(client):
    assert client.post("/sdk/otel/v1/metrics", b"\x00", "application/x-protobuf").status_code == 404


@pytest.mark.parametrize("entity", ["graphql", "files", "storage", "sdk", "organization"])
def test_it_keeps_its_url_prefixes_from_becoming_entities(db, entity):
    with pytest.raises(InvalidName):
        Project.get_or_create_path(entity, "zoo")


def test_it_names_an_unknown_run_id_in_an_upsert(client, basic):
    unknown = base64.b64encode(b"Run:999999").decode()
    answer = graphql(
        client,
        basic,
        "mutation ($id: String) { upsertBucket(input: {id: $id}) { bucket { id } } }",
        id=unknown,
    ).json()
    assert answer["data"]["upsertBucket"] is None
    assert answer["errors"][0]["message"] == f"No run with id {unknown!r}."


def test_a_runs_heartbeat_is_its_last_sign_of_life(client, basic, alice):
    project = Project.get_or_create_path("alice", "zoo")
    run, _ = Run.start(project, alice)
    beat = run.started_at + datetime.timedelta(minutes=7)
    Run.objects.filter(pk=run.pk).update(heartbeat_at=beat)
    answer = graphql(
        client,
        basic,
        """query ($run: String!) { project(name: "zoo", entityName: "alice") {
             run(name: $run) { heartbeatAt updatedAt } } }""",
        run=run.run_id,
    ).json()["data"]["project"]["run"]
    assert datetime.datetime.fromisoformat(answer["heartbeatAt"]) == beat
    assert datetime.datetime.fromisoformat(answer["updatedAt"]) == beat
