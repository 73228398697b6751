"""The JSON API under /api/v1/: one NinjaAPI, one place that authenticates, one error format.

Every error is JSON `{"detail": ...}` with a message a person understands and a 4xx
status. Each app brings its own routers; this root only mounts them. Interactive docs:
/api/v1/docs; schema: /api/v1/openapi.json.
"""

from django.http import Http404
from django.shortcuts import render
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.docs import _csrf_needed

from lineage.api import router as lineage_router
from openlineage.api import OPERATION as openlineage_operation
from registry.api import collections, links, runs, versions
from registry.auth import api_key
from registry.errors import DomainError


class LocalSwagger(Swagger):
    """Swagger UI from our static files (swagger-ui-dist, pinned in package.json): ninja
    would take it from a CDN, and the docs must work without the internet."""

    def render_page(self, request, api, **kwargs):
        self.settings["url"] = self.get_openapi_url(api, kwargs)
        context = {"swagger_settings": self.settings, "api": api, "add_csrf": _csrf_needed(api)}
        return render(request, "api/docs.html", context)


api = NinjaAPI(
    title="Lineage Registry API",
    version="1",
    auth=api_key,
    urls_namespace="api",
    docs_url="/docs",
    docs=LocalSwagger(),
    openapi_url="/openapi.json",
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
    return _error(request, 422, "The request is not valid.", errors=exc.errors)


@api.exception_handler(Http404)
def not_found(request, exc):
    return _error(request, 404, str(exc) or "Not found.")


@api.exception_handler(HttpError)
def http_error(request, exc):
    return _error(request, exc.status_code, str(exc))


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
