"""Database connections an app server holds on PostgreSQL (issue 13, finding 4): at most
WEB_CONCURRENCY x WEB_THREADS however many requests come at once, and none once idle
with LINEAGE_DB_CONN_MAX_AGE=0. Real gunicorn processes, as `make serve` runs them."""

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.db import connection

from bench.server import production_server

from .test_killed_upload import server_env  # noqa: F401 (a fixture)

WORKERS, THREADS = 2, 3


def held(name):
    """Connections open now under the application name `name`: the server's own (libpq
    names its connections after PGAPPNAME), not other tests' servers still closing theirs."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [name])
        return cursor.fetchone()[0]


def load(url, key, requests_=120, at_once=24):
    def one(_):
        headers = {"Authorization": f"Bearer {key}"}
        return requests.get(f"{url}/api/v1/viewer", headers=headers, timeout=60).status_code

    with ThreadPoolExecutor(at_once) as pool:
        return set(pool.map(one, range(requests_)))


@pytest.mark.parametrize("max_age, most, least", [("60", WORKERS * THREADS, 1), ("0", 0, 0)])
def test_a_server_holds_at_most_one_connection_per_thread(
    require_postgres,
    server_env,  # noqa: F811
    max_age,
    most,
    least,
):
    env, key = server_env
    name = f"lineage-test-{uuid.uuid4().hex[:8]}"
    named = {**env, "LINEAGE_DB_CONN_MAX_AGE": max_age, "PGAPPNAME": name}
    with production_server(named, workers=WORKERS, threads=THREADS) as (server, url):
        assert load(url, key) == {200}
        found = held(name)
        if most == 0:  # given back after each request: gone once their backends have ended
            deadline = time.monotonic() + 5
            while found and time.monotonic() < deadline:
                time.sleep(0.1)
                found = held(name)
        assert least <= found <= most
