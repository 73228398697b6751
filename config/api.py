"""The JSON API under /api/v1/: one NinjaAPI, one place that authenticates, one error format.

Every error is JSON `{"detail": ...}` with a message a person understands and a 4xx
status. Each app brings its own routers; this root only mounts them. Interactive docs:
/api/v1/docs; schema: /api/v1/openapi.json.
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFilesSent
from django.http import Http404
from django.shortcuts import render
from ninja import NinjaAPI, Schema, Swagger
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.docs import _csrf_needed
from ninja.parser import Parser

from lineage.api import router as lineage_router
from openlineage.api import OPERATION as openlineage_operation
from registry.api import collections, links, runs, versions
from registry.auth import api_key
from registry.errors import DomainError
from registry.names import load_json


class CheckedParser(Parser):
    """JSON bodies read by registry.names.load_json: a NUL, a lone surrogate or NaN is
    refused with the field named, before any handler or database sees it."""

    def parse_body(self, request):
        return load_json(request.body)


class LocalSwagger(Swagger):
    """Swagger UI from our static files (swagger-ui-dist, pinned in package.json): ninja
    would take it from a CDN, and the docs must work without the internet."""

    def render_page(self, request, api, **kwargs):
        self.settings["url"] = self.get_openapi_url(api, kwargs)
        context = {"swagger_settings": self.settings, "api": api, "add_csrf": _csrf_needed(api)}
        return render(request, "api/docs.html", context)


ERROR = {
    "title": "Error",
    "type": "object",
    "properties": {
        "detail": {"type": "string", "description": "What is wrong, for a person to read."},
        "errors": {"type": "array", "items": {"type": "object"}, "description": "422 only."},
    },
    "required": ["detail"],
}
ERRORS = {
    400: "Bad input: broken JSON, a NUL or lone surrogate, text past its column.",
    401: "No valid API key.",
    403: "The key's user may see this but not do it.",
    404: "No such thing the key's user may see (or no such endpoint).",
    409: "The current state forbids it (it exists already, or something depends on it).",
    413: "Past one of the server's limits (GET /api/v1/limits).",
    422: "A parameter or field of the wrong type, or missing.",
    503: "The stored copy of the file is damaged.",
}


def error_codes(path, method, operation):
    """The 4xx (and 503) an operation can answer, from what it takes: every request can
    carry bad input; lookups and references can miss; writes can be refused."""
    takes = bool(operation.get("parameters") or operation.get("requestBody"))
    codes = {400}
    codes |= {401} if operation.get("security") else set()
    codes |= {403, 404, 422} if takes or "{" in path else set()
    codes |= {409} if method in ("post", "put", "patch", "delete") else set()
    codes |= {413} if method in ("post", "put", "patch") else set()
    codes |= {503} if "/files/" in path else set()
    return codes


class LineageAPI(NinjaAPI):
    def get_openapi_schema(self, *args, **kwargs):
        """The schema with the errors each operation can answer, all `{"detail": ...}`."""
        schema = super().get_openapi_schema(*args, **kwargs)
        schema["components"].setdefault("schemas", {})["Error"] = ERROR
        for path, operations in schema["paths"].items():
            for method, operation in operations.items():
                responses = operation.setdefault("responses", {})
                for code in sorted(error_codes(path, method, operation)):
                    responses.setdefault(
                        code,
                        {
                            "description": ERRORS[code],
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Error"}
                                }
                            },
                        },
                    )
        return schema


api = LineageAPI(
    title="Lineage Registry API",
    version="1",
    auth=api_key,
    urls_namespace="api",
    docs_url="/docs",
    docs=LocalSwagger(),
    openapi_url="/openapi.json",
    parser=CheckedParser(),
)


def _error(request, status, message, **extra):
    return api.create_response(request, {"detail": message, **extra}, status=status)


@api.exception_handler(DomainError)
def domain_error(request, exc):
    return _error(request, exc.status, exc.message)


@api.exception_handler(AuthenticationError)
def auth_error(request, exc):
    return _error(request, 401, "A valid API key is required: send 'Authorization: Bearer <key>'.")


@api.exception_handler(ValidationError)
def validation_error(request, exc):
    first = exc.errors[0] if exc.errors else {}
    where = _place(first.get("loc", ()))
    message = f"The request is not valid: {where}: {first.get('msg', '')}." if where else ""
    return _error(request, 422, message or "The request is not valid.", errors=exc.errors)


def _place(loc):
    """('body', 'data', 'files', 'a.csv', 'size') -> 'files.a.csv.size' (the body's
    parameter name is django-ninja's, not the client's); ('query', 'limit') -> 'limit'."""
    parts = [str(part) for part in loc]
    return ".".join(parts[2:] if parts[:1] == ["body"] else parts[1:])


@api.exception_handler(Http404)
def not_found(request, exc):
    return _error(request, 404, str(exc) or "Not found.")


@api.exception_handler(HttpError)
def http_error(request, exc):
    if isinstance(exc.__cause__, DomainError):  # django-ninja wraps the parser's refusal
        return domain_error(request, exc.__cause__)
    return _error(request, exc.status_code, str(exc))


@api.exception_handler(RequestDataTooBig)
def body_too_big(request, exc):
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return _error(
        request, 413, f"The request body is larger than {limit:,} bytes (LINEAGE_MAX_BODY_BYTES)."
    )


@api.exception_handler(TooManyFilesSent)
def too_many_files(request, exc):
    limit = settings.DATA_UPLOAD_MAX_NUMBER_FILES
    return _error(
        request, 413, f"One upload takes at most {limit:,} files (LINEAGE_MAX_FILES_PER_UPLOAD)."
    )


class Limits(Schema):
    max_body_bytes: int
    max_files_per_upload: int
    max_upload_bytes: int
    max_file_bytes: int
    max_manifest_files: int
    max_text_chars: int
    max_json_bytes: int


@api.get("/limits", response=Limits, summary="What one request may hold")
def limits(request):
    """The server's limits (README "Limits"), for a client to check before it uploads:
    a JSON body (a manifest), files and bytes in one POST /blobs, one file, files in one
    version, text without a column length (notes, descriptions), one JSON value
    (config, summary, metadata)."""
    return {
        "max_body_bytes": settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
        "max_files_per_upload": settings.DATA_UPLOAD_MAX_NUMBER_FILES,
        "max_upload_bytes": settings.FILE_UPLOAD_MAX_MEMORY_SIZE,
        "max_file_bytes": settings.LINEAGE_MAX_FILE_BYTES,
        "max_manifest_files": settings.LINEAGE_MAX_MANIFEST_FILES,
        "max_text_chars": settings.LINEAGE_MAX_TEXT_CHARS,
        "max_json_bytes": settings.LINEAGE_MAX_JSON_BYTES,
    }


@api.get("/viewer", summary="Who the key belongs to")
def viewer(request):
    return {"username": request.user.get_username()}


api.add_router("/runs", runs.router)
api.add_router("", versions.router)
api.add_router("", links.router)
api.add_router("", collections.router)
# OpenLineage's POST shares /lineage with the graph's GET: one path, one router.
lineage_router.add_api_operation(**openlineage_operation)
api.add_router("", lineage_router)
