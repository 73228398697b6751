"""OpenLineage ingestion, side by side: SQLite and PostgreSQL, new events and replays,
and the lineage of a hub dataset after ingestion, by Marquez's id and by ours.

Each database gets a fresh store and its own server (manage.py runserver, one process);
one client sends pipelines of two events each (START, COMPLETE), every run reading the
same hub dataset (`postgres://db:5432` `shop.public.orders`, with a schema) and writing a
dataset of its own, then sends them all again (replays). Then it times the hub's lineage
view (1 hop each way; its consumers cluster), by `dataset:...` and by `artifact:<id>`.

    .venv/bin/python bench/openlineage_bench.py [--runs 500]
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.server import ROOT, app_server  # noqa: E402

PG = "postgres://postgres@127.0.0.1:5432/lineage_bench_openlineage"
HUB = "dataset:postgres://db:5432:shop.public.orders"


def events(runs):
    schema = {"fields": [{"name": "id", "type": "int"}, {"name": "total", "type": "int"}]}
    made = []
    for n in range(runs):
        run_id = str(uuid.UUID(int=n + 1))
        for event_type, minute in (("START", 0), ("COMPLETE", 1)):
            made.append(
                {
                    "eventType": event_type,
                    "eventTime": f"2024-05-01T10:{minute:02d}:00.{n:06d}Z",
                    "producer": "https://example.com/bench",
                    "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
                    "run": {"runId": run_id, "facets": {}},
                    "job": {
                        "namespace": "airflow-bench",
                        "name": f"dag.task_{n % 50}",
                        "facets": {"jobType": {"integration": "AIRFLOW", "jobType": "TASK"}},
                    },
                    "inputs": [
                        {
                            "namespace": "postgres://db:5432",
                            "name": "shop.public.orders",
                            "facets": {"schema": schema},
                        }
                    ],
                    "outputs": [
                        {
                            "namespace": "s3://lake",
                            "name": f"features/{n}",
                            "facets": {"schema": schema},
                        }
                    ],
                }
            )
    return made


def prepare(database_url, var_dir):
    env = {**os.environ, "DATABASE_URL": database_url, "LINEAGE_VAR_DIR": str(var_dir)}
    if database_url.startswith("postgres"):
        subprocess.run(
            [
                "dropdb",
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "--if-exists",
                database_url.rsplit("/", 1)[1],
            ],
            check=True,
        )
        subprocess.run(
            ["createdb", "-h", "127.0.0.1", "-U", "postgres", database_url.rsplit("/", 1)[1]],
            check=True,
        )
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True)
    create = "from django.contrib.auth.models import User; User.objects.create_user('bench')"
    subprocess.run([*manage, "shell", "-c", create], env=env, check=True)
    out = subprocess.run(
        [*manage, "createapikey", "bench"], env=env, check=True, capture_output=True, text=True
    ).stdout
    return env, out.split()[-1]


def measure(name, database_url, runs):
    var_dir = ROOT / "bench" / "out" / f"openlineage-{name.lower()}"
    if var_dir.exists():
        subprocess.run(["rm", "-rf", str(var_dir)], check=True)
    var_dir.mkdir(parents=True)
    env, key = prepare(database_url, var_dir)
    made = events(runs)
    with app_server(env) as (_, url), requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {key}"
        rates = []
        for _ in ("new", "replay"):
            start = time.perf_counter()
            for event in made:
                response = session.post(f"{url}/api/v1/lineage", json=event)
                assert response.status_code == 201, response.text
            rates.append(len(made) / (time.perf_counter() - start))
        timings = {}
        ours = session.get(f"{url}/api/v1/lineage", params={"node": HUB}).json()["base"]
        for label, node in (("dataset: id", HUB), ("artifact: id", ours)):
            samples = []
            for _ in range(15):
                start = time.perf_counter()
                response = session.get(
                    f"{url}/api/v1/lineage", params={"node": node, "upstream": 1, "downstream": 1}
                )
                samples.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200 and response.json()["base"] == ours
            timings[label] = statistics.median(samples)
    return rates, timings


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=500)
    runs = parser.parse_args().runs
    results = {}
    sqlite = f"sqlite:///{ROOT / 'bench' / 'out' / 'openlineage-sqlite' / 'db.sqlite3'}"
    for name, url in (("SQLite", sqlite), ("PostgreSQL", PG)):
        results[name] = measure(name, url, runs)
    print(f"\n{runs} runs, {2 * runs} events (START + COMPLETE), one client, one server process")
    print(f"{'':48} {'SQLite':>10} {'PostgreSQL':>11}")
    hub = f"hub lineage, {runs} consumers, by"
    rows = [
        ("new events / s", lambda r: f"{r[0][0]:.0f}"),
        ("replayed events / s", lambda r: f"{r[0][1]:.0f}"),
        (f"{hub} dataset: id (ms)", lambda r: f"{r[1]['dataset: id']:.1f}"),
        (f"{hub} artifact: id (ms)", lambda r: f"{r[1]['artifact: id']:.1f}"),
    ]
    for label, cell in rows:
        print(f"{label:48} {cell(results['SQLite']):>10} {cell(results['PostgreSQL']):>11}")


if __name__ == "__main__":
    main()
