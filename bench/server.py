"""Servers as processes on free loopback ports, and Chromium's flags here.

The benchmarks and the tests that need real processes share these: the development
server, the production server (gunicorn with config/gunicorn.py), and moto's standalone
S3-compatible server.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Without the networking flags Chromium stalls on this machine's refused connections.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def collect_static(env, root=ROOT):
    """Pages name static files by the hashed names collectstatic gives them."""
    command = [sys.executable, str(root / "manage.py"), "collectstatic", "--noinput", "-v0"]
    subprocess.run(command, env=env, check=True)


@contextlib.contextmanager
def app_server(env, root=ROOT):
    """`manage.py runserver --noreload` with `env` from the checkout `root`; yields
    (process, base URL)."""
    collect_static(env, root)
    port = free_port()
    command = [sys.executable, str(root / "manage.py"), "runserver", "--noreload"]
    server = subprocess.Popen(
        [*command, f"127.0.0.1:{port}"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(url + "/accounts/login/")
        yield server, url
    finally:
        server.terminate()
        server.wait()


@contextlib.contextmanager
def production_server(env, workers=1, threads=4):
    """gunicorn as `make serve` runs it, in its own process group so that stopping (or
    killing) it takes its workers along; yields (process, base URL)."""
    port = free_port()
    env = {
        **env,
        "DEBUG": "0",
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(workers),
        "WEB_THREADS": str(threads),
    }
    # `make serve` migrates first: the log-in page reads the users table (first-run help).
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    command = [sys.executable, "-m", "gunicorn", "--config", "config/gunicorn.py", "config.wsgi"]
    server = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(url + "/accounts/login/", server)
        yield server, url
    finally:
        stop(server)


@contextlib.contextmanager
def s3_server():
    """moto's standalone server, an S3-compatible endpoint; yields its URL."""
    port = free_port()
    command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    server = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(url + "/moto-api/", server)
        yield url
    finally:
        stop(server)


def stop(server, signal_number=signal.SIGTERM):
    """Stop a server started in its own process group, and all its children."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal_number)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def wait_for(url, process=None, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server for {url} exited with {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"the server did not answer at {url}")
