"""The home page's first-run snippet, copied from the page of a fresh installation
(migrations only), runs as it stands and does what the page says."""

import html
import re

import lineage_client
from lineage_client import _http

from registry.models import ApiKey, Collection, Run

from .conftest import run_snippet


def test_the_first_run_snippet_logs_and_links_on_a_fresh_install(
    live_server, transactional_db, client, django_user_model, monkeypatch, tmp_path
):
    admin = django_user_model.objects.create_superuser("admin", password="admin-password")
    client.force_login(admin)
    page = client.get("/").content.decode()
    snippet = html.unescape(re.search(r'id="first-run-snippet">(.*?)</code>', page, re.S)[1])
    _, key = ApiKey.create_for(admin)
    monkeypatch.setenv("LINEAGE_BASE_URL", live_server.url)
    monkeypatch.setenv("LINEAGE_API_KEY", key)
    monkeypatch.setenv("LINEAGE_SILENT", "1")
    monkeypatch.setattr(_http, "_settings", {})
    monkeypatch.setattr(lineage_client, "run", None)
    monkeypatch.chdir(tmp_path)
    run_snippet(snippet)
    run = Run.objects.get(project__entity="my-team", project__name="first-project")
    assert [v.name for v in run.outputs()] == ["my-model:v0"]
    collection = Collection.objects.get(registry__name="model", name="my-models")
    aliases = sorted(a.name for m in collection.memberships.all() for a in m.aliases.all())
    assert aliases == ["latest", "staging"]
    assert "Get started" not in client.get("/").content.decode()
