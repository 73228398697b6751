"""The production server as `make serve` runs it: gunicorn with config/gunicorn.py,
workers from the environment, DEBUG off, static files hashed and served by whitenoise."""

import os
import re
from pathlib import Path

import requests

from bench.server import production_server


def children(pid):
    return Path(f"/proc/{pid}/task/{pid}/children").read_text().split()


def test_it_serves_pages_and_hashed_static_files_from_its_workers(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINEAGE_")}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", SECRET_KEY="serve-test")
    with production_server(env, workers=3) as (server, url):
        assert len(children(server.pid)) == 3
        page = requests.get(f"{url}/accounts/login/")
        assert page.status_code == 200
        script = re.search(r'src="(/static/vendor/htmx\.min\.[0-9a-f]{12}\.js)"', page.text)
        assert script, "the page names the hashed file"
        static = requests.get(url + script.group(1), headers={"Accept-Encoding": "gzip"})
        assert static.status_code == 200
        assert "immutable" in static.headers["Cache-Control"]
        assert static.headers["Content-Encoding"] == "gzip"
        missing = requests.get(f"{url}/no/such/page/here/at/all/", allow_redirects=False)
        assert missing.status_code in (302, 404)
        assert "DEBUG = True" not in missing.text
