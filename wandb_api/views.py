"""The HTTP side of the wandb client: GraphQL, file_stream, signed transfers, telemetry.

Every answer is JSON (or the bytes asked for), never an HTML error page.
"""

import json
import logging

from ariadne import graphql_sync
from django.http import FileResponse, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST
from graphql import GraphQLError

from registry import blobs
from registry.errors import DomainError, InvalidText, NotFound
from registry.models import ArtifactVersion, Blob, Run
from registry.names import load_json

from . import file_stream as stream
from . import tokens
from .auth import user_from_basic
from .models import MAX_MANIFEST_BYTES, StagedArtifact
from .schema import schema

log = logging.getLogger(__name__)

# The client prints this text itself when a key is refused.
INVALID_KEY = "The API key is not valid: create one at /settings/ on this server."


def _errors(message, status):
    return JsonResponse({"errors": [{"message": message}]}, status=status)


def format_error(error, debug=False):
    """Domain refusals and GraphQL's own errors keep their message; anything else is a
    bug of ours, logged, and answered without its details."""
    original = getattr(error, "original_error", None)
    if original is not None and not isinstance(original, DomainError | GraphQLError):
        log.error("wandb GraphQL resolver failed", exc_info=original)
        return {"message": "Internal error.", "path": error.path}
    return error.formatted


@csrf_exempt
@require_POST
def graphql(request):
    user = user_from_basic(request)
    if user is None:
        return _errors(INVALID_KEY, 401)
    try:
        data = load_json(request.body)  # NUL, lone surrogates, NaN refused, field named
    except InvalidText as error:
        return _errors(error.message, 400)
    if isinstance(data, dict) and not data.get("operationName"):
        data.pop("operationName", None)  # the client's Python side sends "" for none
    context = {"request": request, "user": user}
    ok, result = graphql_sync(schema, data, context_value=context, error_formatter=format_error)
    return JsonResponse(result, status=200 if ok else 400)


@csrf_exempt
@require_POST
def file_stream(request, entity, project, run_id):
    user = user_from_basic(request)
    if user is None:
        return _errors(INVALID_KEY, 401)
    try:
        data = json.loads(request.body)
        run = Run.objects.visible_to(user).find(entity, project, run_id)
        run.project.require_write(user, visible=True)
    except ValueError:
        return JsonResponse({"error": "The request body is not JSON."}, status=400)
    except DomainError as e:
        return JsonResponse({"error": e.message}, status=e.status)
    run.beat()  # the wandb client posts here regularly while it runs: its heartbeat
    stream.apply(run, data)
    return JsonResponse({"exitcode": None, "limits": {}})


@csrf_exempt
@require_http_methods(["GET", "PUT"])
def storage(request, token):
    """What a signed URL allows: PUT an artifact file or manifest (or a run file, which
    is not kept), GET a version's manifest or a file's bytes."""
    claims = tokens.read(token)
    if claims is None:
        return JsonResponse({"error": "This URL is not valid or has expired."}, status=403)
    handler = TRANSFERS.get((request.method, claims["k"]))
    if handler is None:
        return JsonResponse({"error": f"This URL does not accept {request.method}."}, status=405)
    try:
        return handler(request, claims)
    except DomainError as e:
        return JsonResponse({"error": e.message}, status=e.status)


def _staged(claims):
    staged = StagedArtifact.objects.filter(pk=claims["s"], version__isnull=True).first()
    if staged is None:
        raise NotFound("This artifact is committed already or does not exist.")
    return staged


def put_file(request, claims):
    staged = _staged(claims)
    staged.keep_file(claims["m"], blobs.store(request, md5=claims["m"]))
    return HttpResponse(status=200)


def put_manifest(request, claims):
    staged = _staged(claims)
    body = request.read(MAX_MANIFEST_BYTES + 1)
    try:
        manifest = json.loads(body) if len(body) <= MAX_MANIFEST_BYTES else None
        contents = manifest["contents"]
        staged.manifest = {"contents": {path: _entry(e) for path, e in contents.items()}}
    except (ValueError, TypeError, KeyError, AttributeError):
        return JsonResponse({"error": "The manifest is not a wandb manifest."}, status=400)
    staged.save(update_fields=["manifest"])
    return HttpResponse(status=200)


def _entry(entry):
    """What a manifest entry says of the content (not the sender's local paths)."""
    return {key: entry.get(key) for key in ("digest", "size", "ref")}


def put_run_file(request, claims):
    return HttpResponse(status=200)  # run files are not kept: see README


def get_manifest(request, claims):
    version = ArtifactVersion.objects.find(claims["v"])
    entries = version.entries.select_related("blob")
    return JsonResponse(
        {
            "version": 1,
            "storagePolicy": "wandb-storage-policy-v1",
            "storagePolicyConfig": {"storageLayout": "V2"},
            "contents": {e.path: {"digest": e.blob.md5, "size": e.blob.size} for e in entries},
        }
    )


def get_blob(request, claims):
    blob = Blob.objects.filter(pk=claims["b"]).first()
    if blob is None:
        raise NotFound("No such file.")
    response = FileResponse(
        blobs.open_blob(blob), as_attachment=True, filename=claims.get("n") or blob.sha256
    )
    response["Content-Length"] = blob.size
    return response


TRANSFERS = {
    ("PUT", "file"): put_file,
    ("PUT", "manifest"): put_manifest,
    ("PUT", "run-file"): put_run_file,
    ("GET", "manifest-of"): get_manifest,
    ("GET", "blob"): get_blob,
}


@csrf_exempt
def telemetry(request, path=""):
    """The client's OpenTelemetry export; a 404 turns it off."""
    return JsonResponse({"error": "No telemetry is collected here."}, status=404)
