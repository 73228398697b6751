"""An artifact preview's impact counts: what depends on a version."""

from django.conf import settings

from registry.models import Membership

from . import access, sql
from .engine import Graph
from .keys import is_run, key_of, pk_of
from .view import MAX_HOPS

RAW_FACTOR = 5  # the walk stops at this many times the node bound


def impact(version_pk, registries=None, user=None):
    """What depends on a version: downstream runs, model versions and registry
    collections (of `registries` when given: those the viewer may see), within MAX_HOPS
    hops, counting only what `user` may see; `locked` counts the runs and versions they
    may not (of which nothing else is told, not even their kind or type). Every artifact
    preview asks, so the walk stops at a few times the node bound and says `bounded`
    ("at least") past it."""
    base = key_of("artifact", version_pk)
    graph = Graph(base, raw_limit=settings.LINEAGE_MAX_NODES * RAW_FACTOR)
    graph.walk(MAX_HOPS, upstream=False)
    graph.load_sequences()
    hidden = access.hidden_in(user, graph)
    seen = [key for key in graph.levels if key not in hidden]
    versions = [key for key in seen if not is_run(key) and key != base]
    linked = Membership.objects.filter(
        version_id__in=sql.pk_subquery([version_pk, *map(pk_of, versions)]),
        collection__kind="portfolio",
    )
    if registries is not None:
        linked = linked.filter(collection__registry__in=registries)
    return {
        "runs": sum(1 for key in seen if is_run(key)),
        "models": sum(1 for key in versions if graph.type_of(key) == "model"),
        "collections": linked.values("collection").distinct().count(),
        "locked": len(hidden),
        "bounded": graph.truncated,
    }
