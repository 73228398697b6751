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


def _registry_for_change(path_part, user, aliases=()):
    registry = Registry.objects.named(path_part, user)
    registry.require_change(user, aliases)
    return registry


@router.post("/versions/{int:pk}/links", response=LinkOut, summary="Link into a collection")
def link_version(request, pk: int, data: LinkIn):
    """Link the version into `registry/collection` (created when missing) with aliases.
    Linking shares it, so it takes what downloading does."""
    version = ArtifactVersion.objects.visible_to(request.user).find(pk)
    version.require_download(request.user)
    registry_part, name = split_target(data.target_path)
    registry = _registry_for_change(registry_part, request.user, data.aliases)
    return LinkOut.of(Collection.link(registry, name, version, request.user, data.aliases))


@router.delete("/versions/{int:pk}/links/{registry}/{collection}", summary="Unlink")
def unlink_version(request, pk: int, registry: str, collection: str, delete_aliases: bool = True):
    """Unlinking takes the version's aliases there with it, so protected ones need an
    admin; with `delete_aliases=false` a version holding aliases is refused instead."""
    version = ArtifactVersion.objects.visible_to(request.user).find(pk)
    registry = _registry_for_change(registry, request.user)
    target = registry.collection_named(collection)
    held = target.membership_of(version).aliases.values_list("name", flat=True)
    registry.require_change(request.user, held)
    target.unlink(version, request.user, delete_aliases)  # one transaction, audited
    return {"detail": f"{version.name} unlinked from {registry.name}/{collection}."}


@router.post(
    "/versions/{int:pk}/links/{registry}/{collection}/aliases",
    response=LinkOut,
    summary="Add an alias in a collection",
)
def add_link_alias(request, pk: int, registry: str, collection: str, data: AliasIn):
    version = ArtifactVersion.objects.visible_to(request.user).find(pk)
    target = _registry_for_change(registry, request.user, [data.alias]).collection_named(collection)
    target.add_alias(version, data.alias, request.user)
    return LinkOut.of(target.membership_of(version))


@router.delete(
    "/versions/{int:pk}/links/{registry}/{collection}/aliases/{alias}",
    response=LinkOut,
    summary="Remove an alias in a collection",
)
def remove_link_alias(request, pk: int, registry: str, collection: str, alias: str):
    version = ArtifactVersion.objects.visible_to(request.user).find(pk)
    target = _registry_for_change(registry, request.user, [alias]).collection_named(collection)
    membership = target.membership_of(version)
    target.remove_alias(alias, request.user, version)
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
    registry = _registry_for_change(registry, request.user)
    target = registry.collection_named(collection)
    authorize = lambda changed: registry.require_change(request.user, changed)  # noqa: E731
    return LinkOut.of(target.set_aliases(version, data.aliases, request.user, authorize))
