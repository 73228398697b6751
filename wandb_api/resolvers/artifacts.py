"""Artifact versions: created, filled, committed and used by the client, and read back.

An `Artifact` is either an ArtifactVersion (committed) or a StagedArtifact (the client
is still uploading it; see wandb_api.models)."""

from ariadne import MutationType, ObjectType, UnionType
from django.db import transaction

from registry.errors import DomainError, NotFound, ReservedAlias
from registry.models import (
    Alias,
    ArtifactSequence,
    ArtifactVersion,
    Project,
    Registry,
    RegistryMember,
    Run,
)
from registry.names import REGISTRY_PREFIX, normalize_path, validate_alias, validate_name

from .. import ids, tokens
from ..models import StagedArtifact
from .common import connection

mutation = MutationType()
artifact_type = ObjectType("Artifact")
initiator = UnionType("Initiator")


def artifact_by_id(user, value, staged_ok=True):
    """The version (or, while it is being uploaded, the staged artifact) an id names."""
    kind, pk = ids.decode(value, "Artifact", "StagedArtifact")
    if kind == "Artifact":
        return ArtifactVersion.objects.visible_to(user).find(pk)
    staged = StagedArtifact.objects.filter(pk=pk, user=user).select_related("version").first()
    if staged is None:
        raise NotFound(f"No artifact with id {value!r}.")
    if staged.version_id:
        return ArtifactVersion.objects.find(staged.version_id)
    if not staged_ok:
        raise NotFound(f"Artifact {staged.name!r} is not committed yet.")
    return staged


def staged_by_id(user, value):
    staged = artifact_by_id(user, value)
    if not isinstance(staged, StagedArtifact):
        raise NotFound(f"Artifact {value!r} is committed already.")
    return staged


def sequence_aliases(name, aliases):
    """The aliases the client asks for in this artifact's own sequence. It always sends
    `latest`, which moves by itself here, as does `vN`."""
    kept = []
    for item in aliases or []:
        if item.get("artifactCollectionName") not in (None, name):
            continue
        try:
            kept.append(validate_alias(item["alias"]))
        except ReservedAlias:
            continue
    return kept


@mutation.field("createArtifact")
@transaction.atomic  # a refused request leaves no new project behind
def resolve_create_artifact(_, info, input):
    """Equal content already logged is answered COMMITTED (the client then uploads
    nothing), and `log_version` records the run as also logging it."""
    user = info.context["user"]
    name = validate_name(input["artifactCollectionName"], "artifact name")
    type = validate_name(input["artifactTypeName"], "artifact type")
    project = Project.for_writing(user, input["entityName"], input["projectName"])
    run = None
    if input.get("runName"):
        run = Run.objects.find(project.entity, project.name, input["runName"])
    aliases = sequence_aliases(name, input.get("aliases"))
    if input.get("enableDigestDeduplication"):
        existing = ArtifactVersion.objects.filter(
            sequence__project=project, sequence__name=name, digest=input["digest"]
        ).first()
        if existing:
            files = {entry.path: entry.blob for entry in existing.entries.select_related("blob")}
            version, _ = ArtifactSequence.log_version(
                project, name, type, files, run=run, user=user, aliases=aliases
            )
            return {"artifact": version}
    metadata = input.get("metadata")
    staged = StagedArtifact.objects.create(
        project=project,
        run=run,
        user=user,
        name=name,
        type=type,
        digest=input["digest"],
        description=input.get("description") or "",
        metadata=metadata if isinstance(metadata, dict) else {},
        aliases=aliases,
    )
    return {"artifact": staged}


def manifest_node(request, staged):
    file_id = ids.encode("File", staged.pk)
    upload = tokens.url(request, "manifest", s=staged.pk)
    return {
        "id": ids.encode("ArtifactManifest", staged.pk),
        "type": "FULL",
        "artifact": staged,
        "file": {"id": file_id, "name": "wandb_manifest.json", "uploadUrl": upload},
    }


@mutation.field("createArtifactManifest")
def resolve_create_artifact_manifest(_, info, input):
    staged = staged_by_id(info.context["user"], input["artifactID"])
    return {"artifactManifest": manifest_node(info.context["request"], staged)}


@mutation.field("updateArtifactManifest")
def resolve_update_artifact_manifest(_, info, input):
    kind, pk = ids.decode(input["artifactManifestID"], "ArtifactManifest")
    staged = staged_by_id(info.context["user"], ids.encode("StagedArtifact", pk))
    return {"artifactManifest": manifest_node(info.context["request"], staged)}


@mutation.field("createArtifactFiles")
def resolve_create_artifact_files(_, info, input):
    """An upload URL per file. Contents are always sent: the MD5 the client names a file
    by is not trusted to find someone else's bytes."""
    user, request = info.context["user"], info.context["request"]
    nodes = []
    for spec in input["artifactFiles"]:
        staged = staged_by_id(user, spec["artifactID"])
        normalize_path(spec["name"])
        md5 = spec["md5"]
        nodes.append(
            {
                "id": ids.encode("File", staged.pk),
                "name": spec["name"],
                "storagePath": f"{staged.pk}/{md5}",
                "uploadUrl": tokens.url(request, "file", s=staged.pk, m=md5),
                "uploadHeaders": [],
                "uploadMultipartUrls": None,
                "artifact": staged,
            }
        )
    return {"files": connection(nodes)}


@mutation.field("commitArtifact")
def resolve_commit_artifact(_, info, input):
    artifact = artifact_by_id(info.context["user"], input["artifactID"])
    return {"artifact": artifact.commit() if isinstance(artifact, StagedArtifact) else artifact}


@mutation.field("useArtifact")
def resolve_use_artifact(_, info, input):
    """Record the version as the run's input. Found through a registry, it needs the
    viewer role there (a restricted viewer sees it but may not use it)."""
    user = info.context["user"]
    version = artifact_by_id(user, input["artifactID"], staged_ok=False)
    if (input.get("artifactProjectName") or "").startswith(REGISTRY_PREFIX):
        Registry.objects.named(input["artifactProjectName"], user, RegistryMember.Role.VIEWER)
    version.require_download(user)  # however it was found
    run = Run.objects.visible_to(user).find(
        input["entityName"], input["projectName"], input["runName"]
    )
    run.project.require_write(user, visible=True)
    run.use_version(version, use_as=input.get("usedAs") or "")
    return {"artifact": version}


@mutation.field("updateArtifact")
def resolve_update_artifact(_, info, input):
    """`artifact.save()` of a committed version sends this after its alias edits. A
    version is immutable content: its description and metadata stay as logged, so
    a change to them is refused; tags and TTL are not modelled and are dropped."""
    version = artifact_by_id(info.context["user"], input["artifactID"], staged_ok=False)
    changed = [
        field
        for field, value, held in (
            ("description", input.get("description") or "", version.description),
            ("metadata", input.get("metadata"), version.metadata),
        )
        if field in input and value is not None and value != held
    ]
    if changed:
        raise DomainError(
            f"The {' and '.join(changed)} of {version.name} cannot change: a version is "
            "fixed when it is logged (its alias changes, if any, were saved)."
        )
    return {"artifact": version}


# ---- reading an artifact ----


def is_staged(obj):
    return isinstance(obj, StagedArtifact)


@artifact_type.field("id")
def resolve_artifact_id(obj, info):
    return ids.encode("StagedArtifact" if is_staged(obj) else "Artifact", obj.pk)


@artifact_type.field("artifactSequence")
def resolve_artifact_sequence(obj, info):
    if is_staged(obj):
        return ArtifactSequence.objects.filter(project=obj.project, name=obj.name).first()
    return obj.sequence


@artifact_type.field("versionIndex")
def resolve_artifact_version_index(obj, info):
    return None if is_staged(obj) else obj.version_index


@artifact_type.field("artifactType")
def resolve_artifact_type(obj, info):
    return type_node(obj.type)


def type_node(name):
    return {"id": ids.encode("ArtifactType", 0), "name": name}


@artifact_type.field("description")
def resolve_artifact_description(obj, info):
    return obj.description or None


@artifact_type.field("ttlDurationSeconds")
def resolve_artifact_ttl(obj, info):
    return -1  # versions do not expire


@artifact_type.field("ttlIsInherited")
def resolve_artifact_ttl_inherited(obj, info):
    return True


@artifact_type.field("tags")
def resolve_artifact_tags(obj, info):
    return []


@artifact_type.field("state")
def resolve_artifact_state(obj, info):
    return "PENDING" if is_staged(obj) else "COMMITTED"


@artifact_type.field("size")
def resolve_artifact_size(obj, info):
    return 0 if is_staged(obj) else obj.size


@artifact_type.field("fileCount")
def resolve_artifact_file_count(obj, info):
    return 0 if is_staged(obj) else obj.file_count


@artifact_type.field("digestAlgorithm")
def resolve_artifact_digest_algorithm(obj, info):
    return "MANIFEST_MD5"


@artifact_type.field("createdAt")
def resolve_artifact_created_at(obj, info):
    return obj.created_at


@artifact_type.field("aliases")
def resolve_artifact_aliases(obj, info):
    """Its aliases in its artifact sequence and in the registry collections the user
    may see."""
    if is_staged(obj):
        return []
    visible = Registry.objects.visible_to(info.context["user"])
    return list(
        Alias.objects.filter(membership__version=obj).filter(collection__registry__isnull=True)
        | Alias.objects.filter(membership__version=obj, collection__registry__in=visible)
    )


@artifact_type.field("createdBy")
def resolve_artifact_created_by(obj, info):
    if is_staged(obj):
        return None
    runs = obj.producers().visible_to(info.context["user"])  # not a run the user cannot see
    return runs.order_by("edges__created_at", "pk").first()


@initiator.type_resolver
def resolve_initiator_type(obj, *_):
    return "Run" if isinstance(obj, Run) else "User"


@artifact_type.field("usedBy")
def resolve_artifact_used_by(obj, info, first=None, after=None):
    user = info.context["user"]
    runs = Run.objects.none() if is_staged(obj) else obj.used_by().visible_to(user)
    runs = runs.select_related("project")
    return connection(runs.order_by("edges__created_at", "pk"), first, after)


@artifact_type.field("currentManifest")
def resolve_artifact_manifest(obj, info):
    if is_staged(obj):
        return manifest_node(info.context["request"], obj)
    url = tokens.url(info.context["request"], "manifest-of", v=obj.pk)
    return {
        "id": ids.encode("ArtifactManifest", obj.pk),
        "type": "FULL",
        "artifact": obj,
        "file": {"id": ids.encode("File", obj.pk), "name": "wandb_manifest.json", "directUrl": url},
    }


@artifact_type.field("files")
def resolve_artifact_files(obj, info, names=None, first=None, after=None):
    if is_staged(obj):
        return connection([])
    obj.require_download(info.context["user"])  # the files' URLs are the download
    return file_connection(info.context["request"], obj, names, first, after)


def file_connection(request, version, names=None, first=None, after=None):
    """The version's files, each with a signed download URL."""
    entries = version.entries.select_related("blob").order_by("path")
    if names:
        entries = entries.filter(path__in=names)
    page = connection(entries, first, after)
    for edge in page["edges"]:
        edge["node"] = file_node(request, version, edge["node"])
    return page


def file_node(request, version, entry):
    url = tokens.url(request, "blob", b=entry.blob.sha256, n=entry.path.rsplit("/", 1)[-1])
    return {
        "id": ids.encode("File", entry.pk),
        "name": entry.path,
        "displayName": entry.path.rsplit("/", 1)[-1],
        "url": url,
        "directUrl": url,
        "digest": entry.blob.md5,
        "md5": entry.blob.md5,
        "sizeBytes": entry.blob.size,
        "storagePath": entry.blob.storage_name,
        "artifact": version,
    }


@artifact_type.field("artifactMemberships")
def resolve_artifact_memberships(obj, info, first=None, after=None):
    if is_staged(obj):
        return connection([])
    visible = Registry.objects.visible_to(info.context["user"])
    memberships = obj.memberships.filter(
        collection__registry__isnull=True
    ) | obj.memberships.filter(collection__registry__in=visible)
    return connection(memberships.order_by("pk"), first, after)


bindables = [mutation, artifact_type, initiator]
