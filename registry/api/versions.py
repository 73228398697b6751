"""Artifact versions and their file contents: upload, log, resolve, read, download,
the runs on either side, and aliases in the version's own artifact sequence."""

from django.conf import settings
from django.db import transaction
from django.http import FileResponse
from ninja import Router, Schema
from ninja.responses import Status

from .. import blobs
from ..auth import api_key
from ..errors import InvalidName, NotFound, TooLarge
from ..models import (
    ArtifactSequence,
    ArtifactVersion,
    Blob,
    BlobUpload,
    ManifestEntry,
    Membership,
    Project,
    Run,
)
from .schemas import FileOut, RunOut, VersionOut

router = Router(tags=["artifacts"])


class VersionDetail(VersionOut):
    manifest: dict[str, FileOut]


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


class AliasesIn(Schema):
    aliases: list[str]


def _visible(user, pk):
    return ArtifactVersion.objects.visible_to(user).find(pk)


def _to_write(user, pk):
    """A version the user sees and may change (403 when they only see it)."""
    return _visible(user, pk).require_write(user)


@router.post("/blobs/missing", response=Missing, summary="Which contents the server lacks")
def missing_blobs(request, data: DigestsIn):
    """Contents to send: the server has no complete copy of them (never uploaded, or
    damaged since), or the caller has not sent them and may not download a version
    holding them (a digest alone reveals nothing)."""
    return {"missing": blobs.missing(data.sha256, request.user)}


@router.put("/blobs/{sha256}", response=FileOut, summary="Upload file contents")
def upload_blob(request, sha256: str):
    """The raw bytes as the request body, streamed to storage and checked against the
    SHA-256 in the URL (and the base64 MD5 in `Content-MD5` when sent). At most
    LINEAGE_MAX_FILE_BYTES (GET /limits)."""
    blobs.check_file_size(blobs.declared_length(request))  # before a byte is read
    blob = blobs.store(request, sha256=sha256.lower(), md5=request.headers.get("Content-MD5"))
    BlobUpload.record(request.user, [blob])
    return FileOut.of(blob)


@router.post("/blobs", response=list[FileOut], summary="Upload many small files at once")
def upload_blobs(request):
    """A multipart form whose every file field is named by the SHA-256 of its bytes:
    small files cost one request and one commit. The whole request is held in memory, so
    it holds at most LINEAGE_MAX_FILES_PER_UPLOAD files and LINEAGE_MAX_UPLOAD_BYTES
    (GET /limits)."""
    if blobs.declared_length(request) > settings.FILE_UPLOAD_MAX_MEMORY_SIZE:
        limit = settings.FILE_UPLOAD_MAX_MEMORY_SIZE / 2**20
        raise TooLarge(
            f"POST /blobs takes at most {limit:g} MiB at once (LINEAGE_MAX_UPLOAD_BYTES): "
            "PUT larger files alone."
        )
    uploads = [(upload, name.lower(), None) for name, upload in request.FILES.items()]
    with transaction.atomic():
        stored = blobs.store_many(uploads)
        BlobUpload.record(request.user, stored)
    return [FileOut.of(blob) for blob in stored]


@router.post("/versions", response={200: Created, 201: Created}, summary="Log a version")
@transaction.atomic  # a refused request leaves no new project behind
def log_version(request, data: VersionIn):
    """Commit a version from its manifest, atomically: every file's contents must have
    been uploaded. Content equal to an existing version makes no new version."""
    project = Project.for_writing(request.user, data.entity, data.project)
    run = Run.objects.find(data.entity, data.project, data.run_id) if data.run_id else None
    stored = Blob.objects.usable_by(request.user).in_bulk([f.sha256 for f in data.files.values()])
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


@router.get("/versions/resolve", response=VersionOut, summary="Find a version by name")
def resolve_version(request, name: str, entity: str = "", project: str = "", type: str = ""):
    default = Project.objects.visible_to(request.user).find(entity, project) if project else None
    membership = Membership.objects.resolve(name, request.user, default, type or None)
    return VersionOut.of(membership.version, membership)


@router.get("/versions/{int:pk}", response=VersionDetail, summary="Read a version")
def read_version(request, pk: int):
    version = ArtifactVersion.objects.visible_to(request.user).find(pk)
    entries = ManifestEntry.objects.filter(version=version).select_related("blob")
    manifest = {entry.path: FileOut.of(entry.blob) for entry in entries}
    return {**VersionOut.of(version), "manifest": manifest}


@router.get("/versions/{int:pk}/files/{path:path}", auth=api_key, summary="Download a file")
def download_file(request, pk: int, path: str):
    ArtifactVersion.objects.visible_to(request.user).find(pk).require_download(request.user)
    entry = ManifestEntry.objects.filter(version_id=pk, path=path).select_related("blob").first()
    if entry is None:
        raise NotFound(f"No file {path!r} in artifact version {pk}.")
    response = FileResponse(blobs.open_blob(entry.blob), content_type="application/octet-stream")
    response["Content-Length"] = entry.blob.size
    return response


@router.get("/versions/{int:pk}/producers", response=list[RunOut], summary="Runs that logged it")
def version_producers(request, pk: int):
    runs = _visible(request.user, pk).producers().visible_to(request.user)
    runs = runs.select_related("project", "author")
    return [RunOut.of(run) for run in runs.order_by("edges__created_at")]


@router.get("/versions/{int:pk}/consumers", response=list[RunOut], summary="Runs that used it")
def version_consumers(request, pk: int):
    runs = _visible(request.user, pk).used_by().visible_to(request.user)
    runs = runs.select_related("project", "author")
    return [RunOut.of(run) for run in runs.order_by("edges__created_at")]


@router.post("/versions/{int:pk}/aliases", response=VersionOut, summary="Add an alias")
def add_alias(request, pk: int, data: AliasIn):
    version = _to_write(request.user, pk)
    version.sequence.add_alias(version, data.alias, request.user)
    return VersionOut.of(version)


@router.delete("/versions/{int:pk}/aliases/{alias}", response=VersionOut, summary="Remove an alias")
def remove_alias(request, pk: int, alias: str):
    version = _to_write(request.user, pk)
    version.sequence.remove_alias(alias, request.user, version)
    return VersionOut.of(version)


@router.put("/versions/{int:pk}/aliases", response=VersionOut, summary="Set the aliases")
def set_aliases(request, pk: int, data: AliasesIn):
    """The version's aliases in its artifact sequence become `aliases` (`latest` stays
    where it is), each change audited."""
    version = _to_write(request.user, pk)
    version.sequence.set_aliases(version, data.aliases, request.user)
    return VersionOut.of(version)


@router.delete("/versions/{int:pk}", summary="Delete a version")
def delete_version(request, pk: int, delete_aliases: bool = False):
    """Only while no run used it and no registry collection holds it; its number is
    never given again (see ArtifactVersion.delete_by)."""
    version = _to_write(request.user, pk)
    version.delete_by(request.user, delete_aliases)
    return {"detail": f"{version.name} deleted."}
