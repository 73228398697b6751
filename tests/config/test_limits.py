"""Limits set deliberately (config/settings.py, README "Limits"), told by GET
/api/v1/limits, and every refusal under /api/ JSON `{"detail": ...}` naming the limit.
Before: the default 2.5 MB body capped a manifest at about 12,000 files with an HTML
400; more than 100 files in one upload, unmatched API routes and 500s answered HTML."""

import hashlib
import json

import pytest
from django.db import connection
from django.test import Client

from registry import blobs
from registry.models import ApiKey, ArtifactVersion, Blob, Run

RUN = {"entity": "acme", "project": "zoo"}


@pytest.fixture
def api(alice):
    _, key = ApiKey.create_for(alice)
    return Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {key}")


def post(api, path, body):
    return api.post(path, json.dumps(body), content_type="application/json")


def assert_json_error(response, status, text):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    assert text in response.json()["detail"], response.json()


def uploaded(api, data):
    """Contents sent through the API, as a client does: a manifest may name them."""
    digest = hashlib.sha256(data).hexdigest()
    assert api.put(f"/api/v1/blobs/{digest}", data, content_type="x/y").status_code == 200
    return Blob.objects.get(pk=digest)


def entry(blob):
    return {"sha256": blob.sha256, "md5": blob.md5, "size": blob.size}


def test_the_limits_are_told_as_set(api, settings):
    settings.LINEAGE_MAX_FILE_BYTES = 12345
    limits = api.get("/api/v1/limits").json()
    assert limits["max_file_bytes"] == 12345
    assert limits["max_body_bytes"] == settings.DATA_UPLOAD_MAX_MEMORY_SIZE >= 64 * 2**20
    assert limits["max_files_per_upload"] == settings.DATA_UPLOAD_MAX_NUMBER_FILES
    assert limits["max_manifest_files"] >= 100_000


@pytest.mark.skipif(
    connection.vendor == "postgresql", reason="limits are no database's: the SQLite pass"
)
def test_a_manifest_of_100000_files_is_logged(api):
    """About 15 MB of JSON, all paths naming one content (a test uploads no 100,000
    files); the SQLite pass only, as the limits are the same on both (25 s there)."""
    blob = uploaded(api, b"one row")
    files = {f"shard-{i:06d}/part.csv": entry(blob) for i in range(100_000)}
    run = post(api, "/api/v1/runs", RUN).json()
    body = {**RUN, "name": "shards", "type": "dataset", "run_id": run["run_id"], "files": files}
    assert len(json.dumps(body)) > 10 * 2**20
    response = post(api, "/api/v1/versions", body)
    assert response.status_code == 201, response.content[:300]
    assert ArtifactVersion.objects.get().file_count == 100_000


def test_the_digests_of_100000_files_are_asked_in_one_request(api):
    digests = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(100_000)]
    missing = post(api, "/api/v1/blobs/missing", {"sha256": digests})
    assert missing.status_code == 200 and len(missing.json()["missing"]) == 100_000


def test_a_body_past_the_limit_is_refused_in_json(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = post(api, "/api/v1/runs", {**RUN, "notes": "x" * 2000})
    assert_json_error(response, 413, "LINEAGE_MAX_BODY_BYTES")
    assert not Run.objects.exists()


def test_a_manifest_past_the_file_count_is_refused(api, settings):
    settings.LINEAGE_MAX_MANIFEST_FILES = 2
    blob = uploaded(api, b"x")
    files = {name: entry(blob) for name in "abc"}
    response = post(
        api, "/api/v1/versions", {**RUN, "name": "ds", "type": "dataset", "files": files}
    )
    assert_json_error(response, 413, "at most 2 files")
    assert not ArtifactVersion.objects.exists()


def test_an_upload_of_too_many_files_is_refused_in_json(api, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 3
    data = {hashlib.sha256(bytes([i])).hexdigest(): bytes([i]) for i in range(4)}
    from django.core.files.uploadedfile import SimpleUploadedFile

    files = {name: SimpleUploadedFile(name, content) for name, content in data.items()}
    response = api.post("/api/v1/blobs", files)
    assert_json_error(response, 413, "at most 3 files (LINEAGE_MAX_FILES_PER_UPLOAD)")
    assert not Blob.objects.exists()


def test_a_file_past_the_size_limit_is_refused_before_it_is_read(api, settings, blob_dir):
    settings.LINEAGE_MAX_FILE_BYTES = 10
    data = b"eleven byte"
    response = api.put(
        f"/api/v1/blobs/{hashlib.sha256(data).hexdigest()}",
        data,
        content_type="application/octet-stream",
    )
    assert_json_error(response, 413, "LINEAGE_MAX_FILE_BYTES")
    assert not Blob.objects.exists()


def test_a_stream_running_past_the_size_limit_is_cut(settings, db):
    import io

    settings.LINEAGE_MAX_FILE_BYTES = 10
    with pytest.raises(blobs.TooLarge, match="LINEAGE_MAX_FILE_BYTES"):
        blobs.store(io.BytesIO(b"x" * 11))
    assert not Blob.objects.exists()


def test_text_and_json_past_their_limits_are_refused(api, settings):
    settings.LINEAGE_MAX_TEXT_CHARS = 10
    settings.LINEAGE_MAX_JSON_BYTES = 20
    assert_json_error(post(api, "/api/v1/runs", {**RUN, "notes": "x" * 11}), 400, "notes")
    response = post(api, "/api/v1/runs", {**RUN, "config": {"k": "x" * 20}})
    assert_json_error(response, 400, "config is too large")
    assert not Run.objects.exists()


def test_unmatched_api_routes_answer_json(api):
    assert_json_error(api.get("/api/v1/no-such-thing"), 404, "No such API endpoint")
    assert_json_error(api.delete("/api/v1/runs/acme/zoo/x/y/z"), 404, "No such API endpoint")


def test_a_failure_under_the_api_answers_json(api, monkeypatch):
    def fail(digests):
        raise RuntimeError("a bug")

    monkeypatch.setattr(blobs, "missing", fail)
    response = post(api, "/api/v1/blobs/missing", {"sha256": []})
    assert_json_error(response, 500, "the failure is logged")
    assert "a bug" not in response.content.decode()


def test_a_page_form_past_its_limit_is_refused_unread(client, alice, settings):
    settings.LINEAGE_MAX_FORM_BYTES = 100
    client.force_login(alice)
    response = client.post("/settings/keys/", {"name": "x" * 200})
    assert response.status_code == 413 and b"LINEAGE_MAX_FORM_BYTES" in response.content
    assert not alice.api_keys.exists()
