"""The JSON API under /api/v1/: one NinjaAPI, one place that authenticates.

Every error is JSON `{"detail": ...}` with a message a person understands and a 4xx
status. Endpoints parse with schemas and call the domain's model methods; nothing here
writes outside them. Interactive docs: /api/v1/docs; schema: /api/v1/openapi.json.
"""

from datetime import datetime

from django.db import transaction
from django.http import FileResponse, Http404
from django.utils import timezone
from ninja import NinjaAPI, Router, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.responses import Status

from . import blobs
from .auth import api_key
from .errors import DomainError, InvalidName, NotFound
from .models import (
    ArtifactSequence,
    ArtifactVersion,
    Blob,
    Collection,
    ManifestEntry,
    Project,
    RegistryMember,
    Run,
    validate_name,
)
from .paths import check_type, registry_named, resolve, split_target

api = NinjaAPI(
    title="Lineage Registry API",
    version="1",
    auth=api_key,
    urls_namespace="api",
    docs_url="/docs",
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


# ---- schemas ----


class RunIn(Schema):
    entity: str
    project: str
    run_id: str | None = None
    name: str = ""
    job_type: str = ""
    config: dict = {}
    tags: list[str] = []
    notes: str = ""
    host: str = ""


class RunUpdate(Schema):
    state: Run.State | None = None
    summary: dict | None = None
    config: dict | None = None
    finished_at: datetime | None = None


# Fields a run answer copies as they are; the rest are computed in RunOut.of.
RUN_FIELDS = "run_id name state job_type started_at finished_at config summary tags notes".split()


class RunOut(Schema):
    id: int
    node: str
    run_id: str
    name: str
    entity: str
    project: str
    state: str
    job_type: str
    author: str | None
    started_at: datetime
    finished_at: datetime | None
    config: dict
    summary: dict
    tags: list
    notes: str
    url: str

    @staticmethod
    def of(run):
        return {
            **{f: getattr(run, f) for f in RUN_FIELDS},
            "id": run.pk,
            "node": f"run:{run.pk}",
            "entity": run.project.entity,
            "project": run.project.name,
            "author": run.author.username if run.author else None,
            "url": run.get_absolute_url(),
        }


class FileOut(Schema):
    sha256: str
    md5: str
    size: int


class VersionOut(Schema):
    id: int
    node: str
    name: str
    sequence: str
    version: str
    type: str
    qualified_name: str
    entity: str
    project: str
    digest: str
    size: int
    file_count: int
    description: str
    metadata: dict
    aliases: list[str]
    generated: bool
    created_at: datetime
    url: str

    @staticmethod
    def of(version):
        project = version.sequence.project
        return {
            "id": version.pk,
            "node": f"artifact:{version.pk}",
            "name": version.name,
            "sequence": version.sequence.name,
            "version": version.version,
            "type": version.type,
            "qualified_name": version.qualified_name,
            "entity": project.entity,
            "project": project.name,
            "digest": version.digest,
            "size": version.size,
            "file_count": version.file_count,
            "description": version.description,
            "metadata": version.metadata,
            "aliases": version.aliases(),
            "generated": version.generated,
            "created_at": version.created_at,
            "url": version.get_absolute_url(),
        }


class VersionDetail(VersionOut):
    manifest: dict[str, FileOut]


class UseIn(Schema):
    name: str | None = None
    version_id: int | None = None
    type: str | None = None
    use_as: str = ""


class VersionIn(Schema):
    entity: str
    project: str
    name: str
    type: str
    run_id: str | None = None
    description: str = ""
    metadata: dict = {}
    aliases: list[str] = []
    generated: bool = False
    files: dict[str, FileOut]


class Created(Schema):
    created: bool
    version: VersionOut


class DigestsIn(Schema):
    sha256: list[str]


class Missing(Schema):
    missing: list[str]


class AliasIn(Schema):
    alias: str


class LinkIn(Schema):
    target_path: str
    aliases: list[str] = []


class LinkOut(Schema):
    registry: str
    collection: str
    version: str
    aliases: list[str]
    url: str


# ---- runs ----

runs = Router(tags=["runs"])


def _run(entity, project, run_id):
    run = (
        Run.objects.select_related("project", "author")
        .filter(project__entity=entity, project__name=project, run_id=run_id)
        .first()
    )
    if run is None:
        raise NotFound(f"No run {run_id!r} in project {entity}/{project}.")
    return run


@runs.post("", response={200: RunOut, 201: RunOut}, summary="Create a run (or resume one by id)")
@transaction.atomic  # a refused request leaves no new project behind
def create_run(request, data: RunIn):
    project = Project.get_or_create_path(data.entity, data.project)
    fields = data.dict(exclude={"entity", "project", "run_id"})
    if data.run_id:
        validate_name(data.run_id, "run id")
        existing = Run.objects.filter(project=project, run_id=data.run_id).first()
        if existing:
            return Status(200, RunOut.of(existing))
        fields["run_id"] = data.run_id
    run = Run.objects.create(project=project, author=request.user, **fields)
    return Status(201, RunOut.of(run))


@runs.get("/{entity}/{project}/{run_id}", response=RunOut, summary="Read a run")
def read_run(request, entity: str, project: str, run_id: str):
    return RunOut.of(_run(entity, project, run_id))


@runs.patch("/{entity}/{project}/{run_id}", response=RunOut, summary="Update a run")
def update_run(request, entity: str, project: str, run_id: str, data: RunUpdate):
    """State, summary, config and finish time. A finished or failed run gets a finish
    time if none is given."""
    run = _run(entity, project, run_id)
    for field, value in data.dict(exclude_unset=True).items():
        setattr(run, field, value)
    if run.state != Run.State.RUNNING and run.finished_at is None:
        run.finished_at = timezone.now()
    run.save()
    return RunOut.of(run)


@runs.get("/{entity}/{project}/{run_id}/inputs", response=list[VersionOut], summary="Inputs")
def run_inputs(request, entity: str, project: str, run_id: str):
    versions = _run(entity, project, run_id).inputs().select_related("sequence__project")
    return [VersionOut.of(v) for v in versions]


@runs.get("/{entity}/{project}/{run_id}/outputs", response=list[VersionOut], summary="Outputs")
def run_outputs(request, entity: str, project: str, run_id: str):
    versions = _run(entity, project, run_id).outputs().select_related("sequence__project")
    return [VersionOut.of(v) for v in versions]


@runs.post("/{entity}/{project}/{run_id}/use", response=VersionOut, summary="Use a version")
def use_version(request, entity: str, project: str, run_id: str, data: UseIn):
    """Record a version as an input of the run, by name (see `resolve`) or by id."""
    run = _run(entity, project, run_id)
    if data.version_id is not None:
        version = check_type(_version(data.version_id), data.type)
    elif data.name:
        version = resolve(data.name, request.user, run.project, data.type)
    else:
        raise InvalidName("Say which version to use: `name` or `version_id`.")
    run.use_version(version, use_as=data.use_as)
    return VersionOut.of(version)


# ---- file contents and versions ----

files = Router(tags=["artifacts"])


@files.post("/blobs/missing", response=Missing, summary="Which contents the server lacks")
def missing_blobs(request, data: DigestsIn):
    have = set(Blob.objects.filter(sha256__in=data.sha256).values_list("sha256", flat=True))
    return {"missing": [digest for digest in dict.fromkeys(data.sha256) if digest not in have]}


@files.put("/blobs/{sha256}", response=FileOut, summary="Upload file contents")
def upload_blob(request, sha256: str):
    """The raw bytes as the request body, streamed to storage and checked against the
    SHA-256 in the URL (and the base64 MD5 in `Content-MD5` when sent)."""
    blob = blobs.store(request, sha256=sha256.lower(), md5=request.headers.get("Content-MD5"))
    return {"sha256": blob.sha256, "md5": blob.md5, "size": blob.size}


@files.post("/blobs", response=list[FileOut], summary="Upload many small files at once")
def upload_blobs(request):
    """A multipart form whose every file field is named by the SHA-256 of its bytes (at
    most 100 files, Django's limit): small files cost one request and one commit."""
    uploads = [(upload, name.lower(), None) for name, upload in request.FILES.items()]
    with transaction.atomic():
        stored = blobs.store_many(uploads)
    return [{"sha256": b.sha256, "md5": b.md5, "size": b.size} for b in stored]


@files.post("/versions", response={200: Created, 201: Created}, summary="Log a version")
@transaction.atomic  # a refused request leaves no new project behind
def log_version(request, data: VersionIn):
    """Commit a version from its manifest, atomically: every file's contents must have
    been uploaded. Content equal to an existing version makes no new version."""
    project = Project.get_or_create_path(data.entity, data.project)
    run = _run(data.entity, data.project, data.run_id) if data.run_id else None
    stored = Blob.objects.in_bulk([f.sha256 for f in data.files.values()])
    for path, entry in data.files.items():
        blob = stored.get(entry.sha256)
        if blob is None or (entry.md5 and blob.md5 != entry.md5):
            raise InvalidName(f"The contents of {path!r} were not uploaded: PUT them first.")
    version, created = ArtifactSequence.log_version(
        project,
        data.name,
        data.type,
        {path: stored[entry.sha256] for path, entry in data.files.items()},
        run=run,
        user=request.user,
        description=data.description,
        metadata=data.metadata,
        aliases=data.aliases,
        generated=data.generated,
    )
    return Status(201 if created else 200, {"created": created, "version": VersionOut.of(version)})


def _version(pk):
    version = ArtifactVersion.objects.select_related("sequence__project").filter(pk=pk).first()
    if version is None:
        raise NotFound(f"No artifact version with id {pk}.")
    return version


@files.get("/versions/resolve", response=VersionOut, summary="Find a version by name")
def resolve_version(request, name: str, entity: str = "", project: str = "", type: str = ""):
    default = Project.objects.filter(entity=entity, name=project).first() if project else None
    if project and default is None:
        raise NotFound(f"No project {entity}/{project}.")
    return VersionOut.of(resolve(name, request.user, default, type or None))


@files.get("/versions/{int:pk}", response=VersionDetail, summary="Read a version")
def read_version(request, pk: int):
    version = _version(pk)
    entries = ManifestEntry.objects.filter(version=version).select_related("blob")
    manifest = {
        e.path: {"sha256": e.blob.sha256, "md5": e.blob.md5, "size": e.blob.size} for e in entries
    }
    return {**VersionOut.of(version), "manifest": manifest}


@files.get("/versions/{int:pk}/files/{path:path}", auth=api_key, summary="Download a file")
def download_file(request, pk: int, path: str):
    entry = ManifestEntry.objects.filter(version_id=pk, path=path).select_related("blob").first()
    if entry is None:
        raise NotFound(f"No file {path!r} in artifact version {pk}.")
    response = FileResponse(blobs.open_blob(entry.blob), content_type="application/octet-stream")
    response["Content-Length"] = entry.blob.size
    return response


@files.get("/versions/{int:pk}/producers", response=list[RunOut], summary="Runs that logged it")
def version_producers(request, pk: int):
    runs = (
        _version(pk).producers().select_related("project", "author").order_by("edges__created_at")
    )
    return [RunOut.of(run) for run in runs]


@files.get("/versions/{int:pk}/consumers", response=list[RunOut], summary="Runs that used it")
def version_consumers(request, pk: int):
    runs = _version(pk).used_by().select_related("project", "author")
    return [RunOut.of(run) for run in runs.order_by("edges__created_at")]


@files.post("/versions/{int:pk}/aliases", response=VersionOut, summary="Add an alias")
def add_alias(request, pk: int, data: AliasIn):
    version = _version(pk)
    version.sequence.add_alias(version, data.alias, request.user)
    return VersionOut.of(version)


@files.delete("/versions/{int:pk}/aliases/{alias}", response=VersionOut, summary="Remove an alias")
def remove_alias(request, pk: int, alias: str):
    version = _version(pk)
    version.sequence.remove_alias(alias, request.user, version)
    return VersionOut.of(version)


# ---- registry collections ----


def _registry_for_change(path_part, user, aliases=()):
    registry = registry_named(path_part, user, RegistryMember.Role.MEMBER)
    _require_admin_for(registry, user, aliases)
    return registry


def _require_admin_for(registry, user, aliases):
    """Protected aliases (e.g. `production`) are the registry admins' to set and remove."""
    if set(aliases) & set(registry.protected_aliases):
        registry.require_role(user, RegistryMember.Role.ADMIN)


def _collection(registry, name):
    collection = Collection.objects.filter(registry=registry, name=name).first()
    if collection is None:
        raise NotFound(f"No collection {name!r} in registry {registry.name!r}.")
    return collection


def _link_out(membership):
    collection = membership.collection
    return {
        "registry": collection.registry.name,
        "collection": collection.name,
        "version": f"v{membership.index}",
        "aliases": sorted(membership.aliases.values_list("name", flat=True)),
        "url": collection.get_absolute_url() + f"v{membership.index}/",
    }


@files.post("/versions/{int:pk}/links", response=LinkOut, summary="Link into a collection")
def link_version(request, pk: int, data: LinkIn):
    """Link the version into `registry/collection` (created when missing) with aliases."""
    version = _version(pk)
    registry_part, name = split_target(data.target_path)
    registry = _registry_for_change(registry_part, request.user, data.aliases)
    membership = Collection.link(registry, name, version, request.user, data.aliases)
    return _link_out(membership)


@files.delete("/versions/{int:pk}/links/{registry}/{collection}", summary="Unlink")
def unlink_version(request, pk: int, registry: str, collection: str):
    """Unlinking takes the version's aliases there with it, so protected ones need an admin."""
    version = _version(pk)
    registry = _registry_for_change(registry, request.user)
    target = _collection(registry, collection)
    held = target.membership_of(version).aliases.values_list("name", flat=True)
    _require_admin_for(registry, request.user, held)
    target.unlink(version, request.user)  # one transaction, with its audit events
    return {"detail": f"{version.name} unlinked from {registry.name}/{collection}."}


@files.post(
    "/versions/{int:pk}/links/{registry}/{collection}/aliases",
    response=LinkOut,
    summary="Add an alias in a collection",
)
def add_link_alias(request, pk: int, registry: str, collection: str, data: AliasIn):
    version = _version(pk)
    registry = _registry_for_change(registry, request.user, [data.alias])
    target = _collection(registry, collection)
    target.add_alias(version, data.alias, request.user)
    return _link_out(target.membership_of(version))


@files.delete(
    "/versions/{int:pk}/links/{registry}/{collection}/aliases/{alias}",
    response=LinkOut,
    summary="Remove an alias in a collection",
)
def remove_link_alias(request, pk: int, registry: str, collection: str, alias: str):
    version = _version(pk)
    registry = _registry_for_change(registry, request.user, [alias])
    target = _collection(registry, collection)
    membership = target.membership_of(version)
    target.remove_alias(alias, request.user, version)
    return _link_out(membership)


@api.get("/viewer", summary="Who the key belongs to")
def viewer(request):
    return {"username": request.user.get_username()}


api.add_router("/runs", runs)
api.add_router("", files)

from lineage.api import router as lineage_router  # noqa: E402  (needs `api` above)

api.add_router("", lineage_router)
