"""Marquez's node ids, resolved to ours at the API and page boundary (the engine only
ever sees `artifact:<id>` and `run:<id>`):

- `dataset:<namespace>:<name>`: the dataset's newest version;
- `job:<namespace>:<name>`: the job's latest run.

Namespaces hold `:` themselves (`postgres://db:5432`), so the LAST `:` separates the
namespace from the name; a name that holds `:` (or `%`) is written URL-encoded.
"""

from urllib.parse import quote, unquote

from django.conf import settings

from registry.errors import InvalidName, NotFound
from registry.models import ArtifactSequence, ArtifactVersion, Run

KINDS = ("dataset", "job")


def is_openlineage_id(node):
    return str(node).partition(":")[0] in KINDS


def openlineage_id(kind, namespace, name):
    """The Marquez-style id of a dataset or job, its name encoded where it must be."""
    return f"{kind}:{namespace}:{quote(name, safe=_SAFE)}"


# Everything but `%` and `:` stays as it is, so ids stay readable.
_SAFE = "".join(chr(c) for c in range(32, 127) if chr(c) not in "%:")


def resolve(node, user=None):
    """Our node id for `node`; ids of our own pass through unchanged. A dataset version or
    run `user` may not see is not found (None: the engine's trusted use, all found)."""
    kind, _, rest = str(node).partition(":")
    if kind not in KINDS:
        return node
    namespace, colon, name = rest.rpartition(":")
    if not colon or not namespace or not name:
        raise InvalidName(f"Invalid node id {node!r}: use '{kind}:<namespace>:<name>'.")
    name = unquote(name)
    entity = settings.OPENLINEAGE_ENTITY
    if kind == "dataset":
        sequence = ArtifactSequence.objects.filter(
            project__entity=entity, project__openlineage_namespace=namespace, openlineage_name=name
        ).first()
        version = sequence.newest_version() if sequence else None
        if version is not None and user is not None:
            version = ArtifactVersion.objects.visible_to(user).filter(pk=version.pk).first()
        if version is None:
            raise NotFound(f"No OpenLineage dataset {name!r} in namespace {namespace!r}.")
        return version.node_id
    run = Run.latest_of_job(entity, namespace, name)
    if run is not None and user is not None:
        run = Run.objects.visible_to(user).filter(pk=run.pk).first()
    if run is None:
        raise NotFound(f"No run of OpenLineage job {name!r} in namespace {namespace!r}.")
    return run.node_id
