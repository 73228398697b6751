"""Contents are stored once whoever sends them, so knowing a file's SHA-256 must not be
enough to reach it: a manifest may name contents its sender uploaded or may already
download, and "which contents do you lack" answers for those only. Otherwise anyone
could commit a version of a private file by its digest and download the bytes."""

import hashlib
import json

import pytest
from django.test import Client

from registry.models import ArtifactVersion

SECRET = hashlib.sha256(b"SECRET-BYTES").hexdigest()
PUBLIC = hashlib.sha256(b"public bytes").hexdigest()


def api(world, who):
    return Client(HTTP_AUTHORIZATION=f"Bearer {world.key(who)}")


def post(client, path, body):
    response = client.post(path, json.dumps(body), content_type="application/json")
    return response.status_code, response.json()


def log(client, who, digest):
    manifest = {"weights.bin": {"sha256": digest, "md5": "", "size": 12}}  # the digest alone
    body = {"entity": who, "project": "mine", "name": "copy", "type": "model", "files": manifest}
    return post(client, "/api/v1/versions", body)


@pytest.mark.parametrize("who", ["nobody", "other_team", "restricted_viewer"])
def test_a_digest_alone_neither_reveals_nor_reaches_private_contents(world, who):
    client = api(world, who)
    assert post(client, "/api/v1/blobs/missing", {"sha256": [SECRET]}) == (
        200,
        {"missing": [SECRET]},
    )
    status, answer = log(client, who, SECRET)
    assert status == 400 and "were not uploaded" in answer["detail"]
    assert not ArtifactVersion.objects.filter(sequence__name="copy").exists()


@pytest.mark.parametrize("who", ["team_member", "registry_viewer", "root"])
def test_contents_the_user_may_download_need_no_upload(world, who):
    client = api(world, who)
    assert post(client, "/api/v1/blobs/missing", {"sha256": [SECRET, PUBLIC]}) == (
        200,
        {"missing": []},
    )
    assert log(client, who, SECRET)[0] == 201, log(client, who, SECRET)


def test_uploading_the_same_bytes_proves_them(world):
    client = api(world, "nobody")
    response = client.put(f"/api/v1/blobs/{SECRET}", b"SECRET-BYTES", content_type="x/y")
    assert response.status_code == 200
    assert post(client, "/api/v1/blobs/missing", {"sha256": [SECRET]}) == (200, {"missing": []})
    assert log(client, "nobody", SECRET)[0] == 201
    # Proof is the user's own: another user still has to send the bytes.
    assert post(api(world, "other_team"), "/api/v1/blobs/missing", {"sha256": [SECRET]})[1] == {
        "missing": [SECRET]
    }
