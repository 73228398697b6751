"""Client tests: lineage_client against a real HTTP server (`live_server`)."""

import textwrap

import lineage_client
import pytest
from lineage_client import _http

from registry import demo
from registry.models import ApiKey


@pytest.fixture
def server(live_server, transactional_db, monkeypatch, tmp_path, django_user_model):
    """The demo registry served over HTTP, a key for alice, and a scratch folder as cwd."""
    demo.load()
    alice = django_user_model.objects.get(username="alice")
    _, key = ApiKey.create_for(alice)
    monkeypatch.setenv("LINEAGE_BASE_URL", live_server.url)
    monkeypatch.setenv("LINEAGE_API_KEY", key)
    monkeypatch.setenv("LINEAGE_SILENT", "1")
    monkeypatch.delenv("LINEAGE_ENTITY", raising=False)
    monkeypatch.delenv("LINEAGE_PROJECT", raising=False)
    monkeypatch.setattr(_http, "_settings", {})
    monkeypatch.setattr(lineage_client, "run", None)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    (work / "model.pt").write_bytes(b"weights of a small model")
    return live_server


def run_snippet(code):
    """Run a snippet of the reference documents with its one changed import line."""
    namespace = {}
    exec(textwrap.dedent(code), namespace)
    return namespace
