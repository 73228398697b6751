"""Artifact sequences and registry collections as wholes: find one by name, page through
its versions (the reference SDK's `Api().artifact_collection` and `artifact_versions`)."""

from datetime import datetime

from django.core.paginator import Paginator
from ninja import Field, Router, Schema

from ..errors import NotFound
from ..models import ArtifactCollection, Project, Registry
from .schemas import VersionOut

router = Router(tags=["artifacts"])


class CollectionOut(Schema):
    id: int
    kind: str = Field(description="`sequence` (a project's) or `collection` (a registry's).")
    name: str
    type: str
    description: str
    entity: str | None
    project: str | None
    registry: str | None
    aliases: list[str]
    version_count: int
    created_at: datetime
    url: str

    @staticmethod
    def of(collection):
        project, registry = collection.project, collection.registry
        sequence = collection.kind == ArtifactCollection.Kind.SEQUENCE
        return {
            "id": collection.pk,
            "kind": "sequence" if sequence else "collection",
            "name": collection.name,
            "type": collection.type,
            "description": collection.description,
            "entity": project.entity if project else None,
            "project": project.name if project else None,
            "registry": registry.name if registry else None,
            "aliases": sorted(set(collection.aliases.values_list("name", flat=True))),
            "version_count": collection.memberships.count(),
            "created_at": collection.created_at,
            "url": collection.get_absolute_url(),
        }


class VersionPage(Schema):
    count: int
    page: int
    next_page: int | None
    versions: list[VersionOut]


def _collection(pk, user):
    """A collection by id, if the user may see it (a registry's needs the registry)."""
    collection = ArtifactCollection.objects.visible_to(user).filter(pk=pk)
    collection = collection.select_related("project", "registry")
    collection = collection.first()
    if collection is None:
        raise NotFound(f"No artifact collection with id {pk}.")
    if collection.registry is not None:
        Registry.objects.named(collection.registry.name, user)
    return collection


@router.get("/collections/resolve", response=CollectionOut, summary="Find a collection by name")
def resolve_collection(request, name: str, entity: str = "", project: str = "", type: str = ""):
    """`entity/project/name` (an artifact sequence, or `name` in `entity/project`) or
    `registry/collection` (a registry collection)."""
    default = Project.objects.visible_to(request.user).find(entity, project) if project else None
    return CollectionOut.of(
        ArtifactCollection.objects.named(name, request.user, default, type or None)
    )


@router.get("/collections/{int:pk}/versions", response=VersionPage, summary="Its versions")
def collection_versions(request, pk: int, page: int = 1, per_page: int = 50):
    """Newest first; in a registry collection each carries its number and aliases there."""
    collection = _collection(pk, request.user)
    memberships = collection.memberships.select_related(
        "version__sequence__project", "collection__registry"
    ).order_by("-index")
    paged = Paginator(memberships, min(max(per_page, 1), 500)).get_page(page)
    return {
        "count": paged.paginator.count,
        "page": paged.number,
        "next_page": paged.next_page_number() if paged.has_next() else None,
        "versions": [VersionOut.of(m.version, m) for m in paged],
    }
