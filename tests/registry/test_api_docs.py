"""/api/v1/docs names only this server's static files (swagger-ui-dist, pinned), no CDN."""

import re
from pathlib import Path

from django.conf import settings


def test_the_api_docs_take_swagger_ui_from_our_static_files(client, db):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    body = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', body)
    assert not [url for url in assets if "//" in url], "an asset from another host"
    assert any("vendor/swagger-ui/swagger-ui-bundle." in url for url in assets)
    for url in assets:
        if url.startswith(settings.STATIC_URL):  # collected by collectstatic, served by whitenoise
            assert (Path(settings.STATIC_ROOT) / url.removeprefix(settings.STATIC_URL)).is_file()
    assert "<script>" not in body  # no inline script: the settings are JSON, docs.js reads them
    assert '"url": "/api/v1/openapi.json"' in body
