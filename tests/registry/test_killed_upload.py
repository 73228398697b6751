"""A production server process (gunicorn, as `make serve` runs it) killed while it writes
a large upload into storage leaves nothing at the final name; the client's rerun sends
the file again and every download then serves it whole (issue 13, finding 1). On both
backends; the server shares the test database on PostgreSQL, else has its own SQLite."""

import hashlib
import os
import signal
import subprocess
import sys
import time

import lineage_client as wandb
import pytest
import requests
from django.db import connection
from lineage_client import _http

from bench.server import ROOT, production_server, stop
from registry.models import Blob

MIB = 1024 * 1024
SIZE = 64 * MIB
CREATE_KEY = """
from django.contrib.auth.models import User
from registry.models import ApiKey
user = User.objects.create_user("alice", password="alice-password")
print(ApiKey.create_for(user)[1])
"""


def manage(env, *args):
    command = [sys.executable, str(ROOT / "manage.py"), *args]
    return subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def server_env(transactional_db, tmp_path):
    """The environment of a server process: its database, a key for alice."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINEAGE_")}
    env["SECRET_KEY"] = "kill-test"
    if connection.vendor == "postgresql":
        db = connection.settings_dict
        env["DATABASE_URL"] = (
            f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        )
    else:
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'server.sqlite3'}"
        manage(env, "migrate", "--noinput", "--verbosity", "0")
    return env, manage(env, "shell", "-c", CREATE_KEY).strip().splitlines()[-1]


class LocalFolder:
    def __init__(self, root):
        self.root = root

    def env(self):
        return {"LINEAGE_STORAGE_DIR": str(self.root)}

    def writing(self):
        """How far the server got writing the upload (bytes in `.part` files)."""
        return sum(p.stat().st_size for p in self.root.rglob("*.part"))

    def has(self, name):
        return (self.root / name).exists()


class S3Bucket:
    def __init__(self, bucket, endpoint):
        self.bucket, self.endpoint = bucket, endpoint

    def env(self):
        return {
            "LINEAGE_S3_BUCKET": self.bucket.name,
            "AWS_S3_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_S3_REGION_NAME": "us-east-1",
        }

    def writing(self):
        """Bytes of parts uploaded in multipart uploads not completed."""
        return sum(
            part.size for up in self.bucket.multipart_uploads.all() for part in up.parts.all()
        )

    def has(self, name):
        return any(obj.key == name for obj in self.bucket.objects.filter(Prefix=name))


@pytest.fixture(params=["local", "s3"])
def backend(request, tmp_path):
    if request.param == "local":
        return LocalFolder(tmp_path / "files")
    return S3Bucket(request.getfixturevalue("s3_blobs"), request.getfixturevalue("s3_endpoint"))


def chunks():
    """64 MiB that differ from one MiB to the next."""
    for i in range(SIZE // MIB):
        yield i.to_bytes(4, "big") * (MIB // 4)


def wait_until(condition, what, timeout=60):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


class KillsTheServer:
    """The file as a request body; once 24 MiB are sent and the server has written 3 MiB
    of them into storage, it kills the server (SIGKILL, workers and all)."""

    def __init__(self, path, backend, server):
        self.stream, self.backend, self.server = open(path, "rb"), backend, server

    def __len__(self):
        return SIZE

    def read(self, size=-1):
        if self.stream.tell() >= 24 * MIB and self.server.poll() is None:
            wait_until(lambda: self.backend.writing() >= 3 * MIB, "the server writing")
            stop(self.server, signal.SIGKILL)
        return self.stream.read(size)


def put_until_killed(url, key, sha256, body):
    headers = {"Authorization": f"Bearer {key}"}
    with pytest.raises(requests.ConnectionError):
        requests.put(f"{url}/api/v1/blobs/{sha256}", data=body, headers=headers, timeout=60)


def login(url):
    session = requests.Session()
    session.get(f"{url}/accounts/login/")
    form = {"username": "alice", "password": "alice-password"}
    headers = {"X-CSRFToken": session.cookies["csrftoken"], "Referer": f"{url}/accounts/login/"}
    session.post(f"{url}/accounts/login/", data=form, headers=headers)
    return session


def digest_of(response):
    sha = hashlib.sha256()
    for part in response.iter_content(MIB):
        sha.update(part)
    return sha.hexdigest()


def test_it_keeps_nothing_of_an_upload_killed_mid_write_and_the_rerun_repairs(
    server_env, backend, tmp_path, monkeypatch
):
    env, key = server_env
    env = {**env, **backend.env()}
    big = tmp_path / "big.bin"
    with open(big, "wb") as out:
        for chunk in chunks():
            out.write(chunk)
    sha256 = hashlib.sha256(big.read_bytes()).hexdigest()
    name = Blob(sha256=sha256).storage_name

    with production_server(env) as (server, url):
        put_until_killed(url, key, sha256, KillsTheServer(big, backend, server))
    assert backend.writing() >= 3 * MIB  # killed mid-write: the unfinished write is there,
    assert not backend.has(name)  # but nothing at the final name

    with production_server(env) as (server, url):
        answer = requests.post(
            f"{url}/api/v1/blobs/missing",
            json={"sha256": [sha256]},
            headers={"Authorization": f"Bearer {key}"},
        )
        assert answer.json() == {"missing": [sha256]}
        monkeypatch.setattr(_http, "_settings", {"key": key, "host": url})
        monkeypatch.setenv("LINEAGE_SILENT", "1")
        monkeypatch.setattr(wandb, "run", None)
        with wandb.init(entity="acme", project="zoo") as run:
            artifact = wandb.Artifact("big-file", type="dataset")
            artifact.add_file(str(big), name="big.bin")
            run.log_artifact(artifact)
        assert backend.has(name)
        version = artifact.id
        api = requests.get(
            f"{url}/api/v1/versions/{version}/files/big.bin",
            headers={"Authorization": f"Bearer {key}"},
            stream=True,
        )
        assert api.headers["Content-Length"] == str(SIZE)
        assert digest_of(api) == sha256
        page = login(url).get(
            f"{url}/acme/zoo/artifacts/dataset/big-file/v0/files/big.bin", stream=True
        )
        assert page.status_code == 200
        assert digest_of(page) == sha256
        root = artifact.download(str(tmp_path / "downloaded"))
        with open(os.path.join(root, "big.bin"), "rb") as downloaded:
            assert hashlib.file_digest(downloaded, "sha256").hexdigest() == sha256
