"""File contents in storage, on both backends: the local folder and a bucket of a real
S3-compatible server (moto's, over HTTP through django-storages). Bytes appear at their
final name only complete and verified; a damaged copy counts as missing, is never served
short, and the next upload of the same bytes repairs it."""

import hashlib
import io
import json
import tempfile

import pytest
import requests
from botocore.exceptions import ClientError
from django.core.files.uploadedfile import SimpleUploadedFile

from registry import blobs
from registry.models import ApiKey, ArtifactSequence, Blob, Project

MIB = 1024 * 1024


class Folder:
    """What the local backend holds, looked at on disk."""

    def __init__(self, root):
        self.root = root

    def read(self, name):
        path = self.root / name
        return path.read_bytes() if path.exists() else None

    def put(self, name, data):
        (self.root / name).write_bytes(data)

    def names(self):
        """Every file there, `.part` files of unfinished writes included."""
        if not self.root.exists():
            return []
        return sorted(str(p.relative_to(self.root)) for p in self.root.rglob("*") if p.is_file())

    def unfinished(self):
        return [name for name in self.names() if name.endswith(".part")]


class Bucket:
    """What the S3 backend holds, looked at through the S3 API."""

    def __init__(self, bucket):
        self.bucket = bucket

    def read(self, name):
        try:
            return self.bucket.Object(name).get()["Body"].read()
        except ClientError:
            return None

    def put(self, name, data):
        self.bucket.put_object(Key=name, Body=data)

    def names(self):
        return sorted(obj.key for obj in self.bucket.objects.all())

    def unfinished(self):
        return [upload.key for upload in self.bucket.multipart_uploads.all()]


@pytest.fixture(params=["local", "s3"])
def stored(request, blob_dir):
    if request.param == "local":
        return Folder(blob_dir)
    return Bucket(request.getfixturevalue("s3_blobs"))


@pytest.fixture
def api(client, alice):
    _, key = ApiKey.create_for(alice)
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    client.force_login(alice)
    return client


def sha(data):
    return hashlib.sha256(data).hexdigest()


def name_of(data):
    return Blob(sha256=sha(data)).storage_name


def put(api, data, digest=None):
    path = f"/api/v1/blobs/{digest or sha(data)}"
    return api.put(path, data, content_type="application/octet-stream")


def missing(api, *datas):
    body = json.dumps({"sha256": [sha(data) for data in datas]})
    return api.post("/api/v1/blobs/missing", body, content_type="application/json").json()


def log(data):
    blob = Blob.objects.get(pk=sha(data))
    project = Project.get_or_create_path("acme", "zoo")
    version, _ = ArtifactSequence.log_version(project, "ds", "dataset", {"a.bin": blob})
    return version


def download(api, version):
    return api.get(f"/api/v1/versions/{version.pk}/files/a.bin")


def download_page(api):
    return api.get("/acme/zoo/artifacts/dataset/ds/v0/files/a.bin")


def body(response):
    return b"".join(response.streaming_content)


def test_it_stores_an_upload_once_under_its_digest_and_serves_it_back(api, stored):
    data = b"rows of a dataset"
    assert put(api, data).status_code == 200
    assert put(api, data).status_code == 200
    assert stored.names() == [name_of(data)]
    assert stored.read(name_of(data)) == data
    assert missing(api, data, b"never sent") == {"missing": [sha(b"never sent")]}
    response = download(api, log(data))
    assert response["Content-Length"] == str(len(data))
    assert body(response) == data
    assert body(download_page(api)) == data


@pytest.mark.parametrize("size", [10, 20 * MIB], ids=["small", "multipart"])
def test_it_refuses_bytes_that_do_not_match_and_keeps_nothing(api, stored, size):
    data = b"x" * size
    response = put(api, data, digest=sha(b"something else"))
    assert response.status_code == 400
    assert "The bytes sent have SHA-256" in response.json()["detail"]
    assert stored.names() == []
    assert stored.unfinished() == []
    assert not Blob.objects.exists()


def test_it_refuses_a_claim_that_is_no_sha256(api, stored):
    response = put(api, b"x", digest="zz" * 32)
    assert response.status_code == 400
    assert "is not a SHA-256" in response.json()["detail"]
    assert stored.names() == []


class BreaksOff(io.RawIOBase):
    """A body whose sender vanishes after `size` bytes."""

    def __init__(self, size):
        self.left = size

    def readable(self):
        return True

    def read(self, size=-1):
        if self.left <= 0:
            raise ConnectionResetError("the client went away")
        chunk = b"y" * min(size if size > 0 else MIB, self.left)
        self.left -= len(chunk)
        return chunk


@pytest.mark.django_db
@pytest.mark.parametrize("size", [3 * MIB, 20 * MIB], ids=["one-part", "multipart"])
def test_it_leaves_nothing_at_the_final_name_when_a_body_breaks_off(stored, size):
    with pytest.raises(ConnectionResetError):
        blobs.store(BreaksOff(size), sha256=sha(b"y" * 2 * size))
    assert stored.names() == []
    assert stored.unfinished() == []
    assert not Blob.objects.exists()


def test_it_reports_a_damaged_copy_missing_never_serves_it_and_repairs_it(api, stored):
    data = bytes(range(256)) * 4096  # 1 MiB
    put(api, data)
    version = log(data)
    stored.put(name_of(data), data[: 3 * 1024])  # what a write killed mid-way left on main
    assert missing(api, data) == {"missing": [sha(data)]}
    response = download(api, version)
    assert response.status_code == 503
    assert (
        "damaged or missing; uploading the same file again repairs it"
        in (response.json()["detail"])
    )
    page = download_page(api)
    assert page.status_code == 503
    assert b"damaged or missing" in page.content
    assert put(api, data).status_code == 200
    assert stored.read(name_of(data)) == data
    assert missing(api, data) == {"missing": []}
    assert body(download(api, version)) == data
    assert Blob.objects.get().size == len(data)


def test_it_reports_an_absent_copy_missing(api, stored, settings):
    data = b"soon gone"
    put(api, data)
    version = log(data)
    blobs.storage().delete(name_of(data))
    assert missing(api, data) == {"missing": [sha(data)]}
    assert download(api, version).status_code == 503
    put(api, data)
    assert body(download(api, version)) == data


@pytest.mark.django_db
def test_it_stores_bytes_whose_sha256_it_learns_by_reading_them(stored):
    data = b"sent with an MD5 only, as the stock wandb client does"
    md5 = Blob.md5_base64(hashlib.md5(data).digest())
    blob = blobs.store(io.BytesIO(data), md5=md5)
    assert blob.sha256 == sha(data)
    assert stored.names() == [name_of(data)]
    assert blobs.store(io.BytesIO(data), md5=md5) == blob
    assert stored.names() == [name_of(data)]
    with pytest.raises(blobs.DigestMismatch):
        blobs.store(io.BytesIO(b"other bytes"), md5=md5)
    assert stored.names() == [name_of(data)]


def test_it_takes_a_batch_only_as_large_as_it_holds_in_memory(api, settings):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * MIB
    data = b"z" * (3 * MIB)
    response = api.post("/api/v1/blobs", {sha(data): SimpleUploadedFile("f", data)})
    assert response.status_code == 413
    assert "POST /blobs takes at most 2 MiB at once" in response.json()["detail"]
    assert not Blob.objects.exists()


@pytest.fixture
def no_temporary_files(monkeypatch):
    """Any temporary file made in this process fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("a temporary file on the local disk")

    for name in ("mkstemp", "TemporaryFile", "NamedTemporaryFile", "SpooledTemporaryFile"):
        monkeypatch.setattr(tempfile, name, refuse)


def test_it_keeps_no_file_content_on_the_local_disk_with_a_bucket(
    api, s3_blobs, blob_dir, no_temporary_files
):
    big, small = b"b" * (20 * MIB), b"small file"
    assert put(api, big).status_code == 200
    assert (
        api.post("/api/v1/blobs", {sha(small): SimpleUploadedFile("s", small)}).status_code == 200
    )
    assert body(download(api, log(big))) == big
    assert not blob_dir.exists()
    assert s3_blobs.Object(name_of(big)).e_tag.strip('"').endswith("-3")  # 3 parts of 8 MiB


def test_it_streams_a_large_file_in_and_out_over_http(
    live_server, transactional_db, alice, stored, tmp_path
):
    _, key = ApiKey.create_for(alice)
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {key}"
    big = tmp_path / "big.bin"
    with open(big, "wb") as out:
        for i in range(64):  # 64 MiB, each MiB different
            out.write(i.to_bytes(4, "big") * (MIB // 4))
    with open(big, "rb") as stream:
        digest = hashlib.file_digest(stream, "sha256").hexdigest()
        stream.seek(0)
        answer = session.put(f"{live_server.url}/api/v1/blobs/{digest}", data=stream)
    assert answer.status_code == 200, answer.text
    version = log_by_digest(digest)
    url = f"{live_server.url}/api/v1/versions/{version.pk}/files/a.bin"
    response = session.get(url, stream=True)
    assert response.headers["Content-Length"] == str(64 * MIB)
    received = hashlib.sha256()
    for part in response.iter_content(MIB):
        received.update(part)
    assert received.hexdigest() == digest


def log_by_digest(digest):
    project = Project.get_or_create_path("acme", "zoo")
    blob = Blob.objects.get(pk=digest)
    return ArtifactSequence.log_version(project, "big", "dataset", {"a.bin": blob})[0]
