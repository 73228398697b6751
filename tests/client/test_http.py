"""Answers no Lineage Registry would give (a proxy's page, a cut-off download) still reach
the user as LineageError with a clear message, never as requests' own exceptions."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import lineage_client as wandb
import pytest
from lineage_client import LineageError, _http


class Answers(BaseHTTPRequestHandler):
    """Answers each path from `routes`: (status, content type, body, declared length)."""

    routes = {}

    def do_GET(self):
        status, kind, body, length = self.routes.get(
            self.path, (200, "text/html", b"<html>Welcome to nginx!</html>", None)
        )
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(length or len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def proxy(monkeypatch):
    """A server that is not Lineage Registry, in a thread."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Answers)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{httpd.server_port}"
    monkeypatch.setattr(_http, "_settings", {"key": "lr-key", "host": url})
    monkeypatch.setattr(Answers, "routes", {})
    yield Answers.routes
    httpd.shutdown()
    httpd.server_close()


def test_it_says_when_the_answer_is_not_json(proxy):
    with pytest.raises(LineageError, match="answered 200 with text/html, not JSON"):
        wandb.login()
    with pytest.raises(LineageError, match="not JSON"):
        wandb.Api().artifact("acme/zoo/zoo-model:v0")


def test_it_says_what_a_proxy_error_page_says(proxy):
    proxy["/api/v1/viewer"] = (502, "text/html", b"<html>Bad Gateway</html>", None)
    with pytest.raises(LineageError, match="The server answered 502 Bad Gateway"):
        wandb.login()


def test_it_says_when_a_download_breaks_off(proxy, tmp_path):
    entry = {"sha256": "0" * 64, "md5": "", "size": 1000}
    manifest = json.dumps({"manifest": {"a.bin": entry}}).encode()
    proxy["/api/v1/versions/7"] = (200, "application/json", manifest, None)
    proxy["/api/v1/versions/7/files/a.bin"] = (200, "application/octet-stream", b"x" * 10, 1000)
    data = {
        "id": 7,
        "name": "zoo-model:v0",
        "sequence": "zoo-model",
        "type": "model",
        "description": "",
        "metadata": {},
        "aliases": [],
    }
    artifact = wandb.Artifact._from_server(data, _http.session())
    with pytest.raises(LineageError, match="download of .*/a.bin broke off"):
        artifact.download(str(tmp_path / "out"))
