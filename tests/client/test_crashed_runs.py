"""A run whose client stops sending heartbeats becomes crashed (issue 13, finding 7): the
real client in its own process, killed, against a live server; and when the server goes
away mid-upload, the error the script ends with names the upload, not the finish call."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import lineage_client
import pytest
from django.utils import timezone
from lineage_client import _http

from bench.server import production_server, stop
from registry.models import ApiKey, Project, Run

from ..registry.test_killed_upload import server_env  # noqa: F401 (a fixture)

CLIENT = """
import time, lineage_client
run = lineage_client.init(entity="acme", project="zoo", name="killed-mid-way")
print(run.id, flush=True)
time.sleep(600)
"""


def wait_until(check, timeout=20):
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def state_of(session, run_id):
    return session.get_json(f"/api/v1/runs/acme/zoo/{run_id}")["state"]


def test_a_killed_client_s_run_becomes_crashed_while_a_live_one_keeps_running(
    live_server, transactional_db, alice, settings
):
    settings.LINEAGE_RUN_CRASH_AFTER = 3  # slack for a loaded machine: beats every 0.5 s
    settings.LINEAGE_RUN_CRASH_CHECK_SECONDS = 0
    _, key = ApiKey.create_for(alice)
    env = {**os.environ, "LINEAGE_BASE_URL": live_server.url, "LINEAGE_API_KEY": key}
    env.update(LINEAGE_HEARTBEAT_SECONDS="0.5", LINEAGE_SILENT="1")
    client = subprocess.Popen(
        [sys.executable, "-c", CLIENT], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        run_id = client.stdout.readline().strip()
        session = _http.Session(live_server.url, key)
        time.sleep(5)  # longer than the crash time: only its heartbeats keep it running
        assert state_of(session, run_id) == "running"
        client.send_signal(signal.SIGKILL)
        client.wait()
        killed_at = timezone.now()
        wait_until(lambda: state_of(session, run_id) == "crashed", timeout=15)
    finally:
        client.kill()
        client.wait()
    run = Run.objects.get(run_id=run_id)
    # It ended at its last heartbeat, shortly before the kill.
    assert killed_at - timedelta(seconds=3) <= run.finished_at <= killed_at


def test_a_heartbeat_revives_a_crashed_run_and_runs_without_heartbeats_never_crash(
    db, alice, settings
):
    settings.LINEAGE_RUN_CRASH_AFTER = 60
    project = Project.get_or_create_path("acme", "zoo")
    silent, _ = Run.start(project, alice)
    Run.objects.filter(pk=silent.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=2))
    fresh, _ = Run.start(project, alice)
    openlineage = Run.objects.create(project=project)  # no heartbeat: ends by its events
    assert Run.objects.crash_silent() == 1
    silent.refresh_from_db()
    assert silent.state == "crashed" and silent.finished_at == silent.heartbeat_at
    assert Run.objects.get(pk=fresh.pk).state == Run.objects.get(pk=openlineage.pk).state
    assert fresh.state == "running"
    silent.beat()  # its client was only out of reach
    assert silent.state == "running" and silent.finished_at is None
    assert Run.objects.crash_silent() == 0


def test_a_run_ended_by_a_failed_upload_names_the_upload(
    server_env,  # noqa: F811
    tmp_path,
    monkeypatch,
    capsys,
):
    env, key = server_env
    env = {**env, "LINEAGE_RUN_CRASH_AFTER": "1", "LINEAGE_RUN_CRASH_CHECK_SECONDS": "0"}
    data = tmp_path / "data.bin"
    data.write_bytes(os.urandom(1024))
    monkeypatch.setenv("LINEAGE_SILENT", "1")
    monkeypatch.setattr(lineage_client, "run", None)
    with production_server(env) as (server, url):
        monkeypatch.setattr(_http, "_settings", {"key": key, "host": url})
        with pytest.raises(_http.LineageError) as failed:
            with lineage_client.init(entity="acme", project="zoo") as run:
                stop(server, signal.SIGKILL)  # the server dies while the script works
                run.log_artifact(str(data), name="training-data", type="dataset")
    assert str(failed.value).startswith("Uploading the files of training-data failed: ")
    assert "Cannot reach the server" in str(failed.value)
    assert f"could not mark run {run.path} failed" in capsys.readouterr().err
    with production_server(env) as (server, url):  # back: the run it never finished crashed
        assert state_of(_http.Session(url, key), run.id) == "crashed"
