"""Artifact sequences and registry collections (the client's ArtifactCollection, with
ArtifactSequence and ArtifactPortfolio), their memberships, aliases, and linking."""

from ariadne import InterfaceType, MutationType, ObjectType
from django.db import transaction

from registry.errors import InvalidName, NotFound, ReservedAlias
from registry.models import (
    ArtifactCollection,
    ArtifactSequence,
    Collection,
    Registry,
    RegistryMember,
)
from registry.names import REGISTRY_PREFIX, split_alias, validate_alias

from .. import ids
from .artifacts import artifact_by_id, file_connection, type_node
from .common import connection, project_of
from .viewer import is_registry, project, query

mutation = MutationType()
collection_type = InterfaceType("ArtifactCollection")
sequence_type = ObjectType("ArtifactSequence")
portfolio_type = ObjectType("ArtifactPortfolio")
membership_type = ObjectType("ArtifactCollectionMembership")
alias_type = ObjectType("ArtifactAlias")


@query.field("artifact")
def resolve_artifact(_, info, id):
    return artifact_by_id(info.context["user"], id)


@query.field("artifactCollection")
def resolve_artifact_collection_by_id(_, info, id):
    seen = ArtifactCollection.objects.visible_to(info.context["user"])
    collection = seen.filter(pk=ids.decode(id, "ArtifactCollection")[1])
    return _visible(info, collection.select_related("registry", "project").first())


def _visible(info, collection):
    if collection is not None and collection.registry_id:
        collection.registry.require_role(
            info.context["user"], RegistryMember.Role.RESTRICTED_VIEWER
        )
    return collection


def collection_in(obj, name):
    """The artifact sequence of a project, or the collection of a registry, named `name`."""
    if is_registry(obj):
        return Collection.objects.filter(registry=obj.registry, name=name).first()
    return ArtifactSequence.objects.filter(project=obj, name=name).first()


def membership_in(obj, name):
    """`name:alias` (or `name:vN`) in a project or registry, or None."""
    base, alias = split_alias(name)
    collection = collection_in(obj, base)
    if collection is None:
        return None
    return _membership_by_alias(collection, alias)


def _membership_by_alias(collection, alias):
    try:
        return collection.membership_of(collection.version_by_alias(alias))
    except NotFound:
        return None


@project.field("artifactCollectionMembership")
def resolve_project_membership(obj, info, name):
    return membership_in(obj, name)


@project.field("artifact")
def resolve_project_artifact(obj, info, name):
    membership = membership_in(obj, name)
    return membership.version if membership else None


@project.field("artifactCollection")
def resolve_project_collection(obj, info, name):
    return collection_in(obj, name)


@project.field("artifactType")
def resolve_project_artifact_type(obj, info, name):
    collections = Collection.objects if is_registry(obj) else ArtifactSequence.objects
    owner = {"registry": obj.registry} if is_registry(obj) else {"project": obj}
    return type_node(name) if collections.filter(type=name, **owner).exists() else None


@collection_type.type_resolver
def resolve_collection_kind(obj, *_):
    return (
        "ArtifactSequence" if obj.kind == ArtifactCollection.Kind.SEQUENCE else "ArtifactPortfolio"
    )


def _collection_field(name):
    def bind(resolver):
        for bindable in (sequence_type, portfolio_type):
            bindable.set_field(name, resolver)
        return resolver

    return bind


@_collection_field("id")
def resolve_collection_id(obj, info):
    return ids.encode("ArtifactCollection", obj.pk)


@_collection_field("description")
def resolve_collection_description(obj, info):
    return obj.description or None


@_collection_field("createdAt")
def resolve_collection_created_at(obj, info):
    return obj.created_at


@_collection_field("project")
def resolve_collection_project(obj, info):
    return project_of(obj)


@_collection_field("defaultArtifactType")
def resolve_collection_type(obj, info):
    return type_node(obj.type)


@_collection_field("artifactMembership")
def resolve_collection_membership(obj, info, aliasName):
    return _membership_by_alias(obj, aliasName)


@_collection_field("aliases")
def resolve_collection_aliases(obj, info, first=None, after=None):
    return connection(obj.aliases.order_by("name"), first, after)


@sequence_type.field("latestArtifact")
def resolve_latest_artifact(obj, info):
    membership = _membership_by_alias(obj, "latest")
    return membership.version if membership else None


@membership_type.field("id")
def resolve_membership_id(obj, info):
    return ids.encode("ArtifactCollectionMembership", obj.pk)


@membership_type.field("versionIndex")
def resolve_membership_index(obj, info):
    return obj.index


@membership_type.field("createdAt")
def resolve_membership_created_at(obj, info):
    return obj.created_at


@membership_type.field("aliases")
def resolve_membership_aliases(obj, info):
    return list(obj.aliases.order_by("name"))


@membership_type.field("artifactCollection")
def resolve_membership_collection(obj, info):
    return obj.collection


@membership_type.field("artifact")
def resolve_membership_artifact(obj, info):
    return obj.version


@membership_type.field("files")
def resolve_membership_files(obj, info, names=None, first=None, after=None):
    """Downloads through a registry need the viewer role there."""
    if obj.collection.registry_id:
        obj.collection.registry.require_role(info.context["user"], RegistryMember.Role.VIEWER)
    obj.version.require_download(info.context["user"])
    return file_connection(info.context["request"], obj.version, names, first, after)


@alias_type.field("id")
def resolve_alias_id(obj, info):
    return ids.encode("ArtifactAlias", obj.pk)


@alias_type.field("alias")
def resolve_alias_name(obj, info):
    return obj.name


@alias_type.field("artifactCollection")
def resolve_alias_collection(obj, info):
    return obj.collection


@mutation.field("linkArtifact")
def resolve_link_artifact(_, info, input):
    """Link into `wandb-registry-<registry>/<collection>`: the member role there, an
    admin for protected aliases; `Collection.link` writes the audit events."""
    user = info.context["user"]
    target = input.get("projectName") or ""
    if not target.startswith(REGISTRY_PREFIX) or not input.get("artifactPortfolioName"):
        raise InvalidName(
            f"Links go into registry collections ('{REGISTRY_PREFIX}<registry>/<collection>'), "
            f"not into project {target!r}."
        )
    version = artifact_by_id(user, input.get("artifactID"), staged_ok=False)
    registry = Registry.objects.named(target, user)
    aliases = []
    for item in input.get("aliases") or []:
        try:
            aliases.append(validate_alias(item["alias"]))
        except ReservedAlias:
            continue
    name = input["artifactPortfolioName"]
    membership = Collection.link_by(user, registry, name, version, aliases)
    return {"versionIndex": membership.index, "artifactMembership": membership}


def _alias_edit(user, version, item):
    """The collection an alias edit of `artifact.save()` names, and the alias, once
    the user may change it there: as on the JSON API, the member role in a registry
    (an admin for a protected alias); in a project, the version's own sequence."""
    alias = validate_alias(item["alias"])
    where = item["projectName"]
    if where.startswith(REGISTRY_PREFIX):
        registry = Registry.objects.named(where, user)
        registry.require_change(user, [alias])
        collection = registry.collection_named(item["artifactCollectionName"])
    else:
        path = [item["entityName"], where, item["artifactCollectionName"]]
        collection = ArtifactCollection.objects.at_path(path, user)
        version.require_write(user)
    collection.membership_of(version)  # NotFound unless the version is there
    return collection, alias


@mutation.field("addAliases")
@transaction.atomic  # all the aliases asked for, or none
def resolve_add_aliases(_, info, input):
    user = info.context["user"]
    version = artifact_by_id(user, input["artifactID"], staged_ok=False)
    for item in input["aliases"]:
        collection, alias = _alias_edit(user, version, item)
        collection.add_alias(version, alias, user)
    return {"success": True}


@mutation.field("deleteAliases")
@transaction.atomic
def resolve_delete_aliases(_, info, input):
    user = info.context["user"]
    version = artifact_by_id(user, input["artifactID"], staged_ok=False)
    for item in input["aliases"]:
        collection, alias = _alias_edit(user, version, item)
        collection.remove_alias(alias, user, version)
    return {"success": True}


bindables = [
    mutation,
    collection_type,
    sequence_type,
    portfolio_type,
    membership_type,
    alias_type,
]
