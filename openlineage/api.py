"""POST /api/v1/lineage: OpenLineage events, answered 201 as Marquez does.

The API root mounts `OPERATION` on the lineage router's `/lineage` path (django-ninja
serves one path's methods from one router), beside the graph's GET. The body is read
here, not by django-ninja, so one event may be as large as OPENLINEAGE_MAX_EVENT_BYTES
(Django's 2.5 MB form limit is for forms) and a gzip body is measured inflated.
"""

import zlib

from django.conf import settings
from ninja import Schema
from ninja.responses import Status

from registry.auth import api_key
from registry.errors import DomainError
from registry.names import ID_RE

from . import events, ingest


class TooLarge(DomainError):
    status = 413


class Received(Schema):
    detail: str
    nodes: list[str]


def read_body(request):
    """The request's bytes, inflated when gzip, refused past the limit."""
    limit = settings.OPENLINEAGE_MAX_EVENT_BYTES
    declared = request.headers.get("Content-Length", "")
    if ID_RE.fullmatch(declared) and int(declared) > limit:
        raise _too_large(int(declared), limit)
    raw = request.read(limit + 1)
    if len(raw) > limit:
        raise _too_large(len(raw), limit)
    encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding in ("", "identity"):
        return raw
    if encoding != "gzip":
        raise events.InvalidEvent(f"Content-Encoding {encoding!r} is not supported: use gzip.")
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        body = inflater.decompress(raw, limit + 1)
    except zlib.error as error:
        raise events.InvalidEvent(f"The body is not valid gzip: {error}.") from None
    if len(body) > limit:
        raise _too_large(len(body), limit, "inflated ")
    return body


def _too_large(size, limit, how=""):
    mib = limit / 1024 / 1024
    return TooLarge(
        f"The event is {how}{size:,} bytes or more; one event may be at most {limit:,} bytes "
        f"({mib:g} MiB, LINEAGE_OPENLINEAGE_MAX_EVENT_BYTES)."
    )


def receive_event(request):
    """One OpenLineage event (RunEvent, DatasetEvent or JobEvent, spec 2-0-2) as the JSON
    body, gzip allowed. Its runs, datasets and facets join the lineage graph; an event
    received before changes nothing. `nodes` are the graph's ids of what it touched."""
    event = events.parse(read_body(request))
    nodes = ingest.receive(event, request.user)
    if nodes is None:
        return Status(201, {"detail": "Received before; nothing changed.", "nodes": []})
    return Status(201, {"detail": f"{event.kind} recorded.", "nodes": nodes})


def _inlined(schema, defs=None):
    """A JSON schema with its `$defs` written in place: OpenAPI resolves `#/...` from the
    document's root, where pydantic's definitions are not."""
    defs = schema.get("$defs", {}) if defs is None else defs
    if isinstance(schema, list):
        return [_inlined(item, defs) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        return _inlined(defs[schema["$ref"].rpartition("/")[2]], defs)
    return {key: _inlined(value, defs) for key, value in schema.items() if key != "$defs"}


OPERATION = {
    "path": "/lineage",
    "methods": ["POST"],
    "view_func": receive_event,
    "auth": api_key,
    "response": {201: Received},
    "summary": "Send an OpenLineage event",
    "tags": ["openlineage"],
    "url_name": "openlineage",
    "openapi_extra": {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": _inlined(events.EventIn.model_json_schema())}
            },
        }
    },
}
