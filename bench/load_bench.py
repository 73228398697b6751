"""Load benchmark: the production server with 1 and with 4 workers on PostgreSQL and S3.

    .venv/bin/python bench/load_bench.py [--seconds 60] [--workers 1,4]
                                         [--writers 3] [--readers 3] [--movers 2]

For each worker count: a fresh PostgreSQL database (`lineage_load_bench`, on
127.0.0.1:5432 as user postgres) with the demo registry, a fresh bucket on moto's
S3-compatible server, and gunicorn as `make serve` runs it (4 threads a worker). Client
processes on loopback then drive it for `--seconds`, each doing what one kind of user
does, as fast as answers come:
  - writers log versions the way lineage_client does: create a run, use the previous
    version, ask which contents are missing, send two small files in one request and a
    512 KiB one alone, log the version, finish the run;
  - readers read the collection page and lineage views (3 hops) of its versions;
  - movers each move their own alias around the collection's versions.
It prints one table, the worker counts side by side: requests per second and
p50/p95/p99 in milliseconds per kind of request, and errors (anything but a 2xx). Then
it checks the database: every version a writer logged is there exactly once, version
numbers are gapless, `latest` and every alias are on exactly one version, each alias
move wrote exactly one removal and one addition, and replaying every collection's audit
events gives its aliases as they are. Peak PostgreSQL connections are printed too.
"""

import argparse
import base64
import hashlib
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import boto3
import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from server import production_server, s3_server  # noqa: E402

POSTGRES = "postgres://postgres@127.0.0.1:5432"
DATABASE = "lineage_load_bench"
COLLECTION = "model/zoo-classifier"
KIB = 1024
CHECKS = "from bench.load_checks import check, setup; "  # run by manage.py shell

# ---- the clients (each in its own process) ----


class Client:
    """Times every request by kind; anything but a 2xx is an error, kept with its text."""

    def __init__(self, url, key):
        self.url, self.session = url, requests.Session()
        self.session.headers["Authorization"] = f"Bearer {key}"
        self.times, self.errors = {}, []

    def call(self, kind, method, path, **kwargs):
        started = time.perf_counter()
        try:
            answer = self.session.request(method, self.url + path, timeout=120, **kwargs)
        except requests.RequestException as error:
            self.errors.append(f"{kind}: {error}")
            return None
        self.times.setdefault(kind, []).append(time.perf_counter() - started)
        if not answer.ok:
            self.errors.append(f"{kind}: {answer.status_code} {answer.text[:200]}")
            return None
        return answer

    def login(self):
        self.session.get(self.url + "/accounts/login/")
        token = self.session.cookies["csrftoken"]
        form = {"username": "demo", "password": "demo", "csrfmiddlewaretoken": token}
        headers = {"Referer": self.url + "/accounts/login/"}
        self.session.post(self.url + "/accounts/login/", data=form, headers=headers)


def entry(data):
    md5 = base64.b64encode(hashlib.md5(data).digest()).decode()
    return {"sha256": hashlib.sha256(data).hexdigest(), "md5": md5, "size": len(data)}


def writer(client, index, info, deadline):
    logged, count = [], 0
    sequence = f"load-data-{index % 2}"  # two writers per sequence: numbers contended
    while time.monotonic() < deadline:
        count += 1
        body = {"entity": "bench", "project": "load", "job_type": "train"}
        run = client.call("POST /runs", "POST", "/api/v1/runs", json=body)
        if run is None:
            continue
        run_path = f"/api/v1/runs/bench/load/{run.json()['run_id']}"
        if logged:
            use = {"name": f"bench/load/{sequence}:latest"}
            client.call("POST /runs/.../use", "POST", run_path + "/use", json=use)
        tag = f"{uuid.uuid4()} writer {index} version {count}".encode()
        small = {"a.txt": tag * (2 * KIB // len(tag)), "b.csv": tag * (16 * KIB // len(tag))}
        big = os.urandom(512 * KIB - len(tag)) + tag
        files = {**{p: entry(d) for p, d in small.items()}, "model.bin": entry(big)}
        digests = {"sha256": [f["sha256"] for f in files.values()]}
        client.call("POST /blobs/missing", "POST", "/api/v1/blobs/missing", json=digests)
        parts = {files[p]["sha256"]: (p, d) for p, d in small.items()}
        client.call("POST /blobs (2 files)", "POST", "/api/v1/blobs", files=parts)
        sha256 = files["model.bin"]["sha256"]
        client.call("PUT /blobs (512 KiB)", "PUT", f"/api/v1/blobs/{sha256}", data=big)
        body = {"entity": "bench", "project": "load", "name": sequence, "type": "dataset"}
        body.update(run_id=run.json()["run_id"], files=files)
        answer = client.call("POST /versions", "POST", "/api/v1/versions", json=body)
        if answer is not None:
            version = answer.json()["version"]
            logged.append({"id": version["id"], "sequence": sequence, "number": version["version"]})
        finish = {"state": "finished"}
        client.call("PATCH /runs (finish)", "PATCH", run_path, json=finish)
    return {"logged": logged}


def reader(client, index, info, deadline):
    client.login()
    nodes, i = info["nodes"], index
    while time.monotonic() < deadline:
        i += 1
        client.call("GET collection page", "GET", f"/registry/{COLLECTION}/")
        query = {"node": f"artifact:{nodes[i % len(nodes)]}", "upstream": 3, "downstream": 3}
        client.call("GET /lineage (3 hops)", "GET", "/api/v1/lineage", params=query)
    return {}


def mover(client, index, info, deadline):
    alias, linked, moves, i = f"bench-{index}", info["linked"], 0, index
    while time.monotonic() < deadline:
        i += 1
        path = f"/api/v1/versions/{linked[i % len(linked)]}/links/{COLLECTION}/aliases"
        if client.call("POST .../aliases (move)", "POST", path, json={"alias": alias}):
            moves += 1
    return {"moves": {alias: moves}}


ROLES = {"writer": writer, "reader": reader, "mover": mover}


def run_client(role, index, url, info, seconds, start_at):
    client = Client(url, info["key"])
    time.sleep(max(0, start_at - time.time()))
    result = ROLES[role](client, index, info, time.monotonic() + seconds)
    return {**result, "times": client.times, "errors": client.errors}


# ---- one configuration ----


def fresh_database():
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as db:
        db.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        db.execute(f"CREATE DATABASE {DATABASE}")
    return f"{POSTGRES}/{DATABASE}"


def manage(env, *args):
    command = [sys.executable, str(ROOT / "manage.py"), *args]
    return subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout


def connections_sampler(stop, peak):
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as db:
        while not stop.is_set():
            query = "SELECT count(*) FROM pg_stat_activity WHERE datname = %s"
            peak[0] = max(peak[0], db.execute(query, (DATABASE,)).fetchone()[0])
            time.sleep(0.2)


def measure(workers, args, s3_endpoint):
    bucket = f"load-bench-{uuid.uuid4().hex[:8]}"
    s3 = boto3.resource(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
        region_name="us-east-1",
    )
    s3.create_bucket(Bucket=bucket)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINEAGE_")}
    env.update(
        DATABASE_URL=fresh_database(),
        SECRET_KEY="load-bench",
        LINEAGE_S3_BUCKET=bucket,
        AWS_S3_ENDPOINT_URL=s3_endpoint,
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_S3_REGION_NAME="us-east-1",
    )
    manage(env, "migrate", "--noinput")
    manage(env, "seed_demo")
    info = json.loads(manage(env, "shell", "-c", CHECKS + "setup()").splitlines()[-1])
    roles = (
        [("writer", i) for i in range(args.writers)]
        + [("reader", i) for i in range(args.readers)]
        + [("mover", i) for i in range(args.movers)]
    )
    stop, peak = threading.Event(), [0]
    with production_server(env, workers=workers) as (_, url):
        sampler = threading.Thread(target=connections_sampler, args=(stop, peak))
        sampler.start()
        start_at = time.time() + 5  # every client starts at once, after its own imports
        jobs = [(role, i, url, info, args.seconds, start_at) for role, i in roles]
        with multiprocessing.get_context("spawn").Pool(len(jobs)) as pool:
            results = pool.starmap(run_client, jobs)
        stop.set()
        sampler.join()
    expected = {"logged": [], "moves": {}}
    times, errors = {}, []
    for result in results:
        expected["logged"] += result.get("logged", [])
        expected["moves"].update(result.get("moves", {}))
        errors += result["errors"]
        for kind, samples in result["times"].items():
            times.setdefault(kind, []).extend(samples)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as out:
        json.dump(expected, out)
    try:
        command = CHECKS + f"check({out.name!r})"
        checks = json.loads(manage(env, "shell", "-c", command).splitlines()[-1])
    finally:
        os.unlink(out.name)
    return {
        "times": times,
        "errors": errors,
        "checks": checks,
        "peak_connections": peak[0],
        "versions": len(expected["logged"]),
    }


# ---- the table ----


def cells(samples, seconds):
    if not samples:
        return ["-"] * 4
    if len(samples) == 1:
        samples = samples * 2
    q = statistics.quantiles(samples, n=100, method="inclusive")
    return [f"{len(samples) / seconds:.1f}"] + [f"{q[p] * 1000:.0f}" for p in (49, 94, 98)]


def print_table(results, args):
    kinds = sorted({kind for result in results.values() for kind in result["times"]})
    header = "{:<26}" + " | {:>7} {:>6} {:>6} {:>6}" * len(results)
    print(
        f"\nLoad on gunicorn (4 threads a worker), PostgreSQL and moto's S3 on one machine "
        f"({os.cpu_count()} cores, clients included): {args.writers} writers, {args.readers} "
        f"readers, {args.movers} alias movers, {args.seconds} s each\n"
    )
    print(("{:<26}" + " | {:^28}" * len(results)).format("", *[f"{w} worker(s)" for w in results]))
    print(header.format("request", *["req/s", "p50", "p95", "p99"] * len(results)))
    for kind in kinds + ["all requests"]:
        row = []
        for result in results.values():
            samples = (
                [t for s in result["times"].values() for t in s]
                if kind == "all requests"
                else result["times"].get(kind, [])
            )
            row += cells(samples, args.seconds)
        print(header.format(kind, *row))
    print(
        ("{:<26}" + " | {:>28}" * len(results)).format(
            "errors", *[len(r["errors"]) for r in results.values()]
        )
    )
    print(
        ("{:<26}" + " | {:>28}" * len(results)).format(
            "versions logged", *[r["versions"] for r in results.values()]
        )
    )
    print(
        ("{:<26}" + " | {:>28}" * len(results)).format(
            "peak DB connections", *[r["peak_connections"] for r in results.values()]
        )
    )
    print("(p50/p95/p99 in milliseconds)\n")
    ok = True
    for workers, result in results.items():
        for error in result["errors"][:5]:
            print(f"  {workers} worker(s), error: {error}")
        for check in result["checks"]:
            ok &= check["ok"]
            mark = "ok  " if check["ok"] else "FAIL"
            print(f"{mark} {workers} worker(s): {check['name']} {check['detail']}".rstrip())
        ok &= not result["errors"]
    return ok


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", default="1,4")
    parser.add_argument("--writers", type=int, default=3)
    parser.add_argument("--readers", type=int, default=3)
    parser.add_argument("--movers", type=int, default=2)
    args = parser.parse_args()
    results = {}
    with s3_server() as endpoint:
        for workers in [int(w) for w in args.workers.split(",")]:
            results[workers] = measure(workers, args, endpoint)
    sys.exit(0 if print_table(results, args) else 1)


if __name__ == "__main__":
    main()
