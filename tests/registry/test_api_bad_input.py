"""Bad input through the API: a JSON error with a 4xx status and a clear message, and
nothing changed."""

import hashlib
import json

import pytest

from registry.models import ApiKey, ArtifactVersion, Blob, Project, Run


@pytest.fixture
def api(client, alice):
    _, key = ApiKey.create_for(alice)
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    return client


@pytest.fixture
def run(api):
    response = api.post(
        "/api/v1/runs", {"entity": "acme", "project": "zoo"}, content_type="application/json"
    )
    return response.json()


def post(api, path, body):
    return api.post(path, json.dumps(body), content_type="application/json")


def upload(api, data, sha256=None, md5=None):
    headers = {"HTTP_CONTENT_MD5": md5} if md5 else {}
    digest = sha256 or hashlib.sha256(data).hexdigest()
    return api.put(
        f"/api/v1/blobs/{digest}", data, content_type="application/octet-stream", **headers
    )


def version_body(run, files, name="ds"):
    return {
        "entity": "acme",
        "project": "zoo",
        "name": name,
        "type": "dataset",
        "run_id": run["run_id"],
        "files": files,
    }


def entry(data):
    return {"sha256": hashlib.sha256(data).hexdigest(), "md5": "", "size": len(data)}


def assert_error(response, status, text):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    assert text in response.json()["detail"]


def test_it_logs_a_version_when_everything_is_right(api, run):
    assert upload(api, b"rows").status_code == 200
    response = post(api, "/api/v1/versions", version_body(run, {"a.csv": entry(b"rows")}))
    assert response.status_code == 201
    assert response.json()["version"]["name"] == "ds:v0"
    again = post(api, "/api/v1/versions", version_body(run, {"a.csv": entry(b"rows")}))
    assert again.status_code == 200 and again.json()["created"] is False


@pytest.mark.parametrize("path", ["../x", "/etc/passwd", "a/../../x", "C:\\x"])
def test_it_refuses_paths_that_escape_the_artifact(api, run, path):
    upload(api, b"rows")
    response = post(api, "/api/v1/versions", version_body(run, {path: entry(b"rows")}))
    assert_error(response, 400, "must stay inside the artifact")
    assert not ArtifactVersion.objects.exists()


def test_it_refuses_bytes_that_do_not_match_their_digest(api, blob_dir):
    response = upload(api, b"tampered", sha256=hashlib.sha256(b"original").hexdigest())
    assert_error(response, 400, "The bytes sent have SHA-256")
    response = upload(api, b"rows", md5="AAAAAAAAAAAAAAAAAAAAAA==")
    assert_error(response, 400, "The bytes sent have MD5")
    assert not Blob.objects.exists()
    assert not any(path.is_file() for path in blob_dir.rglob("*"))


def test_it_refuses_a_version_whose_contents_were_not_uploaded(api, run):
    response = post(api, "/api/v1/versions", version_body(run, {"a.csv": entry(b"never sent")}))
    assert_error(response, 400, "were not uploaded")
    assert not ArtifactVersion.objects.exists()


@pytest.mark.parametrize("name", ["bad name", "x" * 129, "a/b", ""])
def test_it_refuses_invalid_names(api, run, name):
    upload(api, b"rows")
    response = post(api, "/api/v1/versions", version_body(run, {"a": entry(b"rows")}, name))
    assert_error(response, 400, "Invalid artifact name")
    assert not ArtifactVersion.objects.exists()


def test_it_refuses_invalid_project_names(api):
    response = post(api, "/api/v1/runs", {"entity": "acme", "project": "zoo/../x"})
    assert_error(response, 400, "Invalid project name")
    assert not Project.objects.exists()


@pytest.mark.parametrize(
    "name, status, text",
    [
        ("nothing-here", 404, "No artifact 'nothing-here'"),
        ("ds:gone", 404, "has no version 'gone'"),
        ("ds:v7", 404, "has no version 'v7'"),
        ("nowhere/none:latest", 404, "No registry named 'nowhere'"),
        ("bad name", 400, "Invalid artifact name 'bad name'"),
        ("ds:bad alias", 400, "Invalid artifact name 'ds:bad alias'"),
        ("model/../x", 400, "Invalid artifact name"),
    ],
)
def test_it_refuses_unknown_names_and_aliases(api, run, name, status, text):
    upload(api, b"rows")
    post(api, "/api/v1/versions", version_body(run, {"a": entry(b"rows")}))
    path = f"/api/v1/runs/acme/zoo/{run['run_id']}/use"
    assert_error(post(api, path, {"name": name}), status, text)
    assert not Run.objects.get(run_id=run["run_id"]).inputs().exists()


def test_it_refuses_reserved_aliases(api, run):
    upload(api, b"rows")
    version = post(api, "/api/v1/versions", version_body(run, {"a": entry(b"rows")})).json()
    response = post(api, f"/api/v1/versions/{version['version']['id']}/aliases", {"alias": "v3"})
    assert_error(response, 400, "reserved")
    response = api.delete(f"/api/v1/versions/{version['version']['id']}/aliases/nope")
    assert_error(response, 404, "has no alias 'nope'")


def test_it_refuses_malformed_json(api):
    response = api.post("/api/v1/runs", "{not json", content_type="application/json")
    assert 400 <= response.status_code < 500
    assert response.json()["detail"]
    assert not Run.objects.exists()


def test_it_refuses_missing_fields_with_their_names(api):
    response = post(api, "/api/v1/runs", {"entity": "acme"})
    assert_error(response, 422, "not valid")
    assert "project" in json.dumps(response.json()["errors"])


def test_it_refuses_missing_and_revoked_keys(client, alice):
    assert_error(client.get("/api/v1/viewer"), 401, "A valid API key is required")
    key, raw = ApiKey.create_for(alice)
    key.revoke()
    response = client.get("/api/v1/viewer", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert_error(response, 401, "A valid API key is required")
    response = client.get("/api/v1/viewer", HTTP_AUTHORIZATION="Bearer lr-made-up")
    assert_error(response, 401, "A valid API key is required")


def test_it_documents_itself(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/lineage" in schema["paths"]
    assert "/api/v1/versions" in schema["paths"]
    assert client.get("/api/v1/docs").status_code == 200


def test_it_takes_small_files_in_one_request_and_checks_each(api, blob_dir):
    from django.core.files.uploadedfile import SimpleUploadedFile

    good = {hashlib.sha256(b"one").hexdigest(): b"one", hashlib.sha256(b"two").hexdigest(): b"two"}
    parts = {name: SimpleUploadedFile(name, data) for name, data in good.items()}
    response = api.post("/api/v1/blobs", parts)
    assert response.status_code == 200
    assert {b["sha256"] for b in response.json()} == set(good)
    lying = {hashlib.sha256(b"three").hexdigest(): SimpleUploadedFile("x", b"not three")}
    response = api.post("/api/v1/blobs", lying)
    assert_error(response, 400, "The bytes sent have SHA-256")
    assert Blob.objects.count() == 2


def test_it_names_the_run_it_cannot_find(api, run):
    assert_error(api.get("/api/v1/runs/acme/zoo/nope"), 404, "No run 'nope' in project acme/zoo.")
    upload(api, b"rows")
    body = {**version_body(run, {"a": entry(b"rows")}), "run_id": "nope"}
    assert_error(post(api, "/api/v1/versions", body), 404, "No run 'nope' in project acme/zoo.")


def test_it_checks_the_type_of_a_version_used_by_id(api, run):
    upload(api, b"rows")
    version = post(api, "/api/v1/versions", version_body(run, {"a": entry(b"rows")})).json()
    path = f"/api/v1/runs/acme/zoo/{run['run_id']}/use"
    body = {"version_id": version["version"]["id"], "type": "model"}
    assert_error(post(api, path, body), 400, "ds:v0 is a 'dataset', not a 'model'")
    assert not Run.objects.get(run_id=run["run_id"]).inputs().exists()


def fresh(body):
    return {**body, "entity": "newco", "project": "fresh"}


@pytest.mark.parametrize(
    "path, body, status",
    [
        ("/api/v1/runs", {"run_id": "bad id"}, 400),
        ("/api/v1/versions", {"name": "bad name", "files": {"a": entry(b"rows")}}, 400),
        ("/api/v1/versions", {"run_id": "nope", "files": {"a": entry(b"rows")}}, 404),
        ("/api/v1/versions", {"files": {"a": entry(b"never sent")}}, 400),
        ("/api/v1/versions", {"files": {"../a": entry(b"rows")}}, 400),
    ],
)
def test_it_leaves_no_project_behind_when_it_refuses(api, path, body, status):
    upload(api, b"rows")
    defaults = {"name": "ds", "type": "dataset"} if path.endswith("versions") else {}
    response = post(api, path, fresh({**defaults, **body}))
    assert response.status_code == status, response.content
    assert not Project.objects.filter(entity="newco").exists()


def test_it_keeps_no_file_of_a_batch_with_one_bad_digest(api, blob_dir):
    from django.core.files.uploadedfile import SimpleUploadedFile

    good = hashlib.sha256(b"good").hexdigest()
    parts = {
        good: SimpleUploadedFile(good, b"good"),
        hashlib.sha256(b"three").hexdigest(): SimpleUploadedFile("x", b"not three"),
    }
    assert_error(api.post("/api/v1/blobs", parts), 400, "The bytes sent have SHA-256")
    assert not Blob.objects.exists()
    assert not any(path.is_file() for path in blob_dir.rglob("*"))
