"""Upload benchmark: lineage_client logging to a local server, wall time and peak memory.

    .venv/bin/python bench/upload_bench.py [--big-mib 1024] [--small 1000] [--s3]

Starts the app (`manage.py runserver --noreload`, its own temporary database and file
storage), then runs the client in a separate process for each case so both processes'
peak resident memory (VmHWM, reset between cases) is measured apart:
  - one artifact of 1,000 small files (1 KiB each);
  - the same again (content-addressed: nothing is sent);
  - one artifact of a single 1 GiB file.
Peak memory must stay far below the file size (both sides stream); the last line says
whether it did: under a quarter of the big file, on the client and on the server.
`--s3` keeps the file contents in a bucket of moto's S3-compatible server instead of
the local folder (moto's own memory is not counted).
"""

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import boto3  # noqa: E402
from server import app_server, s3_server  # noqa: E402

PYTHON = sys.executable

CLIENT = """
import json, resource, sys, time
import lineage_client as wandb
kind, path = sys.argv[1], sys.argv[2]
started = time.perf_counter()
with wandb.init(entity="bench", project="uploads", job_type="upload") as run:
    artifact = wandb.Artifact("bench-" + kind, type="dataset")
    (artifact.add_dir if kind == "small" else artifact.add_file)(path)
    run.log_artifact(artifact)
print(json.dumps({"seconds": time.perf_counter() - started, "version": artifact.name,
                  "peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def peak_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def reset_peak(pid):
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # resets VmHWM to the current RSS


def make_files(folder, small, big_mib):
    small_dir = folder / "small"
    small_dir.mkdir()
    for i in range(small):
        (small_dir / f"part-{i:04d}.bin").write_bytes(os.urandom(1024))
    big = folder / "big.bin"
    with open(big, "wb") as out:
        chunk = os.urandom(8 * 1024 * 1024)
        for i in range(big_mib // 8):
            out.write(chunk[i % 64 :] + chunk[: i % 64])  # every chunk different, cheaply
    return small_dir, big


def bucket_env(endpoint):
    credentials = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}
    s3 = boto3.resource(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
        region_name="us-east-1",
    )
    s3.create_bucket(Bucket="upload-bench")
    return {
        **credentials,
        "LINEAGE_S3_BUCKET": "upload-bench",
        "AWS_S3_ENDPOINT_URL": endpoint,
        "AWS_S3_REGION_NAME": "us-east-1",
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--big-mib", type=int, default=1024)
    parser.add_argument("--s3", action="store_true", help="file contents in moto's S3")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="lineage-upload-")))
        env = {**os.environ, "LINEAGE_VAR_DIR": str(tmp / "var"), "LINEAGE_SILENT": "1"}
        env.pop("DATABASE_URL", None)
        if args.s3:
            env.update(bucket_env(stack.enter_context(s3_server())))
        manage = [PYTHON, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "-v0"], env=env, check=True)
        create = "from django.contrib.auth.models import User; User.objects.create_user('bench')"
        subprocess.run([*manage, "shell", "-c", create], env=env, check=True)
        key = (
            subprocess.run(
                [*manage, "createapikey", "bench"],
                env=env,
                check=True,
                capture_output=True,
                text=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        small_dir, big = make_files(tmp, args.small, args.big_mib)
        with app_server(env) as (server, url):
            client_env = {
                **env,
                "LINEAGE_BASE_URL": url,
                "LINEAGE_API_KEY": key,
            }
            cases = [
                (f"{args.small} files of 1 KiB", "small", small_dir),
                (f"{args.small} files again (deduplicated)", "small", small_dir),
                (f"1 file of {args.big_mib} MiB", "big", big),
            ]
            rows = []
            for label, kind, path in cases:
                reset_peak(server.pid)
                out = subprocess.run(
                    [PYTHON, "-c", CLIENT, kind, str(path)],
                    env=client_env,
                    check=True,
                    capture_output=True,
                    text=True,
                    cwd=ROOT,
                )
                result = json.loads(out.stdout.strip().splitlines()[-1])
                rows.append(
                    (
                        label,
                        result["version"],
                        result["seconds"],
                        result["peak_kib"],
                        peak_kib(server.pid),
                    )
                )
    where = "moto's S3" if args.s3 else "a local folder"
    print(
        f"\nUploads through lineage_client to a local server, contents in {where} "
        f"({os.cpu_count()} cores)\n"
    )
    row = "{:<34} {:<18} {:>8} {:>16} {:>16}"
    print(row.format("case", "version", "wall s", "client peak MiB", "server peak MiB"))
    for label, version, seconds, client, served in rows:
        print(
            row.format(
                label, version, f"{seconds:.2f}", f"{client / 1024:.1f}", f"{served / 1024:.1f}"
            )
        )
    _, _, _, client, served = rows[-1]  # the big file
    far_below = max(client, served) < args.big_mib * 1024 / 4
    print(
        f"\npeak memory far below file size: {'yes' if far_below else 'no'} "
        f"(client {client / 1024:.0f} MiB, server {served / 1024:.0f} MiB, "
        f"file {args.big_mib} MiB; 'far below' means under a quarter)"
    )


if __name__ == "__main__":
    main()
