"""Links of artifact versions into registry collections, and aliases there.

Linking needs the member role in the registry; protected aliases need an admin
(`Registry.require_change`)."""

from ninja import Router, Schema

from ..models import ArtifactVersion, Collection, Registry
from ..names import split_target
from .schemas import LinkOut
from .versions import AliasesIn, AliasIn

router = Router(tags=["artifacts"])


class LinkIn(Schema):
    target_path: str
    aliases: list[str] = []


def _collection(path_part, name, user):
    """The collection, for a change: a viewer is refused before a missing one is named."""
    registry = Registry.objects.named(path_part, user)
    registry.require_change(user)
    return registry.collection_named(name)


@router.post("/versions/{int:pk}/links", response=LinkOut, summary="Link into a collection")
def link_version(request, pk: int, data: LinkIn):
    """Link the version into `registry/collection` (created when missing) with aliases.
    Linking shares it, so it takes what downloading does."""
    version = ArtifactVersion.objects.visible_to(request.user).find(pk)
    registry_part, name = split_target(data.target_path)
    registry = Registry.objects.named(registry_part, request.user)
    return LinkOut.of(Collection.link_by(request.user, registry, name, version, data.aliases))


@router.delete("/versions/{int:pk}/links/{registry}/{collection}", summary="Unlink")
def unlink_version(request, pk: int, registry: str, collection: str, delete_aliases: bool = True):
    """Unlinking takes the version's aliases there with it, so protected ones need an
    admin; with `delete_aliases=false` a version holding aliases is refused instead."""
    version = ArtifactVersion.objects.visible_to(request.user).find(pk)
    target = _collection(registry, collection, request.user)
    target.unlink_by(request.user, version, delete_aliases)  # one transaction, audited
    return {"detail": f"{version.name} unlinked from {target.registry.name}/{collection}."}


@router.post(
    "/versions/{int:pk}/links/{registry}/{collection}/aliases",
    response=LinkOut,
    summary="Add an alias in a collection",
)
def add_link_alias(request, pk: int, registry: str, collection: str, data: AliasIn):
    version = ArtifactVersion.objects.visible_to(request.user).find(pk)
    target = _collection(registry, collection, request.user)
    target.add_alias_by(request.user, version, data.alias)
    return LinkOut.of(target.membership_of(version))


@router.delete(
    "/versions/{int:pk}/links/{registry}/{collection}/aliases/{alias}",
    response=LinkOut,
    summary="Remove an alias in a collection",
)
def remove_link_alias(request, pk: int, registry: str, collection: str, alias: str):
    version = ArtifactVersion.objects.visible_to(request.user).find(pk)
    target = _collection(registry, collection, request.user)
    membership = target.membership_of(version)
    target.remove_alias_by(request.user, version, alias)
    return LinkOut.of(membership)


@router.put(
    "/versions/{int:pk}/links/{registry}/{collection}/aliases",
    response=LinkOut,
    summary="Set the aliases in a collection",
)
def set_link_aliases(request, pk: int, registry: str, collection: str, data: AliasesIn):
    """The version's aliases in the collection become `aliases`, each change audited;
    changing a protected alias needs an admin."""
    version = ArtifactVersion.objects.visible_to(request.user).find(pk)
    target = _collection(registry, collection, request.user)
    authorize = lambda changed: target.registry.require_change(request.user, changed)  # noqa: E731
    return LinkOut.of(target.set_aliases(version, data.aliases, request.user, authorize))
