"""The stock `wandb` package (pinned in requirements.txt) as a subprocess against
`live_server`, exactly as a user's script runs it: WANDB_BASE_URL and WANDB_API_KEY,
nothing else. One server for the session, one WANDB_DIR per module."""

import json
import logging
import os
import subprocess
import sys
import textwrap

import pytest
from django.core.servers.basehttp import WSGIServer
from django.test.testcases import LiveServerThread, QuietWSGIRequestHandler
from pytest_django.live_server_helper import LiveServer

from registry import demo
from registry.models import ApiKey

WANDB_TIMEOUT = 180


@pytest.fixture(scope="module")
def wandb_dirs(tmp_path_factory):
    root = tmp_path_factory.mktemp("wandb")
    return {
        "WANDB_DIR": root,
        "WANDB_CACHE_DIR": root / "cache",
        "WANDB_CONFIG_DIR": root / "config",
        "WANDB_DATA_DIR": root / "data",
        "WANDB_ARTIFACT_DIR": root / "artifacts",
    }


class Wandb:
    """Runs scripts and commands of the stock client against the live server."""

    def __init__(self, url, key, dirs, cwd):
        self.url, self.key, self.dirs, self.cwd = url, key, dirs, cwd

    def env(self, key=None, extra=None):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("WANDB_", "LINEAGE_"))}
        env.update({name: str(path) for name, path in self.dirs.items()})
        env.update(
            WANDB_BASE_URL=self.url,
            WANDB_API_KEY=key or self.key,
            WANDB_SILENT="true",
            NO_PROXY="127.0.0.1,localhost",
        )
        return {**env, **(extra or {})}

    def run(self, code, key=None, check=True, env=None):
        """Run `code` as a script; what it prints last as JSON is returned."""
        script = self.cwd / "script.py"
        script.write_text(textwrap.dedent(code))
        done = self.call([sys.executable, str(script)], key=key, check=check, env=env)
        if not check:
            return done
        lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
        return json.loads(lines[-1]) if lines else None

    def call(self, args, key=None, check=True, env=None):
        done = subprocess.run(
            args,
            cwd=self.cwd,
            env=self.env(key, env),
            capture_output=True,
            text=True,
            timeout=WANDB_TIMEOUT,
        )
        if check:
            assert done.returncode == 0, done.stdout + done.stderr
        return done


class SerialLiveServerThread(LiveServerThread):
    """A live server answering one request at a time. The in-memory SQLite test database
    is one connection shared by every request thread, and wandb-core sends its uploads
    in parallel: threads would trip over each other there (PostgreSQL keeps threads)."""

    def _create_server(self, connections_override=None):
        address = (self.host, self.port)
        return WSGIServer(address, QuietWSGIRequestHandler, allow_reuse_address=False)


@pytest.fixture(scope="session")
def wandb_server(django_db_setup, django_db_blocker):
    """One server on 127.0.0.1 for every test of the stock client."""
    with django_db_blocker.unblock():
        live = LiveServer("127.0.0.1", start=False)
        if live.thread.connections_override:
            live.thread = SerialLiveServerThread(
                "127.0.0.1",
                static_handler=live.thread.static_handler,
                connections_override=live.thread.connections_override,
            )
            live.thread.daemon = True
        live.start()
    yield live
    live.stop()


@pytest.fixture
def server(wandb_server, transactional_db, django_user_model, wandb_dirs, tmp_path):
    """The demo registry served over HTTP, alice's key (an admin of the model registry)
    and a scratch folder with a model file."""
    demo.load()
    alice = django_user_model.objects.get(username="alice")
    _, key = ApiKey.create_for(alice)
    (tmp_path / "model.pt").write_bytes(b"\x00weights of a model trained by wandb\xff" * 64)
    return Wandb(wandb_server.url, key, wandb_dirs, tmp_path)


@pytest.fixture(autouse=True)
def no_server_errors(caplog):
    """Nothing the client sends may make the server fail: no 5xx (Django logs them on
    `django.request`), no resolver bug answered as "Internal error."."""
    caplog.set_level(logging.ERROR)
    yield
    failures = [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.ERROR and r.name in ("django.request", "wandb_api.views")
    ]
    assert not failures, failures


def key_for(user):
    return ApiKey.create_for(user)[1]


@pytest.fixture
def lineage(server, monkeypatch):
    """Our own client, in this process, as alice: for graphs made by both clients."""
    import lineage_client
    from lineage_client import _http

    monkeypatch.setenv("LINEAGE_BASE_URL", server.url)
    monkeypatch.setenv("LINEAGE_API_KEY", server.key)
    monkeypatch.setenv("LINEAGE_SILENT", "1")
    monkeypatch.setattr(_http, "_settings", {})
    monkeypatch.setattr(lineage_client, "run", None)
    monkeypatch.chdir(server.cwd)
    return lineage_client


@pytest.fixture
def api(server):
    """Our JSON API, as alice, over HTTP."""
    import requests

    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {server.key}"

    def get(path, **params):
        response = session.get(server.url + "/api/v1" + path, params=params, timeout=30)
        assert response.status_code == 200, response.text
        return response.json()

    return get
