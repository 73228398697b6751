"""What the benchmarks share: the app served on a free port, and Chromium's flags here."""

import contextlib
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


@contextlib.contextmanager
def app_server(env):
    """`manage.py runserver --noreload` with `env`; yields (process, base URL)."""
    port = free_port()
    command = [sys.executable, str(ROOT / "manage.py"), "runserver", "--noreload"]
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


def wait_for(url, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"the server did not answer at {url}")
