"""What every request passes through, before and after its view.

- `RefuseUnstorableMiddleware`: a path, query or page form value with a NUL character
  (which PostgreSQL can neither hold nor compare) is refused before any view looks it up:
  404 for the path (no page has such a name), 400 naming the parameter for the rest
  (the API's bodies are JSON or files, never forms, and are left to stream). Django
  decodes broken UTF-8 in URLs and forms to U+FFFD, so no lone surrogate comes this way;
  JSON bodies are checked by their parser (config/api.py). A page's form larger than
  LINEAGE_MAX_FORM_BYTES is refused unread (JSON bodies may be larger: manifests).
- `ApiErrorsMiddleware`: under /api/, every error is JSON `{"detail": ...}`, including
  those Django answers itself in HTML: no such route (404), a failure (500, still logged
  by Django as any other).
"""

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseBadRequest, JsonResponse

from registry.blobs import declared_length
from registry.errors import InvalidText
from registry.names import validate_text

API_PREFIX = "/api/"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _is_api(request):
    return request.path.startswith(API_PREFIX)


class RefuseUnstorableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            validate_text("The path", request.path)
        except InvalidText:
            if _is_api(request):
                return JsonResponse({"detail": "Not found: the path holds a NUL."}, status=404)
            raise Http404("No such page: the path holds a NUL.") from None
        page_form = not _is_api(request) and request.content_type in FORM_TYPES
        if page_form and declared_length(request) > settings.LINEAGE_MAX_FORM_BYTES:
            limit = settings.LINEAGE_MAX_FORM_BYTES
            message = f"A form may send at most {limit:,} bytes (LINEAGE_MAX_FORM_BYTES)."
            return HttpResponse(message, status=413, content_type="text/plain")
        try:
            self._check(request.GET)
            if request.method == "POST" and page_form:
                self._check(request.POST)
        except InvalidText as error:
            if _is_api(request):
                return JsonResponse({"detail": error.message}, status=400)
            return HttpResponseBadRequest(error.message, content_type="text/plain")
        return self.get_response(request)

    @staticmethod
    def _check(query):
        for key, values in query.lists():
            validate_text("A parameter name", key)
            for value in values:
                validate_text(key, value)


MESSAGES = {
    404: "No such API endpoint: {method} {path}. The endpoints are listed at /api/v1/docs.",
    405: "{method} is not allowed on {path}.",
    500: "The server failed to answer this request; the failure is logged. Try again later.",
}


class ApiErrorsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code >= 400
            and _is_api(request)
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            template = MESSAGES.get(response.status_code, "{reason}.")
            detail = template.format(
                method=request.method, path=request.path, reason=response.reason_phrase
            )
            return JsonResponse({"detail": detail}, status=response.status_code)
        return response
