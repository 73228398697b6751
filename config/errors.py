"""The server's own failure pages (urls.py's handler500).

A database that refuses connections (PostgreSQL's "too many clients already", a restart)
or is locked (SQLite under a long write) is a moment's unavailability, not a bug: 503
with Retry-After, so clients and proxies retry, JSON under /api/ as every API error.
Anything else is Django's own 500 (ApiErrorsMiddleware makes it JSON under /api/)."""

import sys

from django.db import OperationalError
from django.http import HttpResponse, JsonResponse
from django.views import defaults

RETRY_AFTER = 5  # seconds
BUSY = "The database is busy or unreachable: try again in a few seconds."


def server_error(request):
    if not isinstance(sys.exception(), OperationalError):
        return defaults.server_error(request)
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": BUSY}, status=503)
    else:
        response = HttpResponse(BUSY, status=503, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER)
    return response
