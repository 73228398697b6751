"""Production settings from the environment (README "Serve it for a team"): HTTPS,
behind a proxy, and the Content-Security-Policy every page carries."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The production environment the README documents (besides the database and storage).
PRODUCTION = {
    "DEBUG": "0",
    "LINEAGE_HTTPS": "1",
    "LINEAGE_BEHIND_PROXY": "1",
    "ALLOWED_HOSTS": "registry.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://registry.example.com",
    "SECRET_KEY": "a-long-random-string-" + "x7Qp2Lm9" * 6,
}

PROBE = """
import django, json
django.setup()
from django.conf import settings
from django.test import Client
client = Client(HTTP_HOST="registry.example.com")
plain = client.get("/api/v1/openapi.json")
proxied = client.get("/api/v1/openapi.json", HTTP_X_FORWARDED_PROTO="https")
print(json.dumps({
    "plain": [plain.status_code, plain.headers.get("Location")],
    "proxied": [proxied.status_code, proxied.headers.get("Strict-Transport-Security")],
    "cookies_secure": [settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE],
    "trusted": settings.CSRF_TRUSTED_ORIGINS,
}))
"""


def run(args, **env):
    # Not the test session's own knobs (the browser tests allow async-unsafe ORM calls).
    skip = ("LINEAGE_", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE")
    base = {k: v for k, v in os.environ.items() if not k.startswith(skip)}
    base.update(DJANGO_SETTINGS_MODULE="config.settings", LINEAGE_VAR_DIR=env.pop("var"), **env)
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=base, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean_under_the_documented_production_environment(tmp_path):
    done = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        var=str(tmp_path),
        **PRODUCTION,
    )
    assert done.returncode == 0, done.stderr
    assert "no issues" in done.stdout


def test_without_https_check_deploy_names_what_is_missing(tmp_path):
    env = {**PRODUCTION, "LINEAGE_HTTPS": "0"}
    done = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], var=str(tmp_path), **env
    )
    assert done.returncode != 0
    for warning in ("W004", "W008", "W012", "W016"):
        assert warning in done.stderr


def test_https_behind_a_proxy_redirects_plain_http_and_sends_hsts(tmp_path):
    done = run(["-c", PROBE], var=str(tmp_path), **PRODUCTION)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["plain"] == [301, "https://registry.example.com/api/v1/openapi.json"]
    assert seen["proxied"] == [200, "max-age=31536000; includeSubDomains; preload"]
    assert seen["cookies_secure"] == [True, True]
    assert seen["trusted"] == ["https://registry.example.com"]


@pytest.mark.django_db
def test_every_page_carries_a_strict_content_security_policy(client):
    for url in ("/accounts/login/", "/api/v1/docs", "/admin/login/"):
        policy = client.get(url).headers["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
        assert directives["script-src"] == "'self'", url
        assert directives["style-src"] == "'self'", url
        assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
        assert "unsafe" not in policy


INLINE = [
    (r"<script(?![^>]*\bsrc=)[^>]*>", "an inline <script>"),
    (r"\son[a-z]+\s*=", "an inline event handler"),
    (r"\shx-on", "an hx-on handler (evaluated JavaScript)"),
    (r"\sstyle\s*=", "an inline style attribute"),
    (r"javascript:", "a javascript: URL"),
]


def test_no_template_has_inline_script_handler_or_style():
    found = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        text = path.read_text()
        for pattern, what in INLINE:
            for match in re.finditer(pattern, text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(ROOT)}:{line}: {what}")
    assert found == []
