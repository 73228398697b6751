"""Artifact names as users write them, resolved to versions and collections.

`name`, `name:alias`, `name:vN` (in the default project), `entity/project/name:alias`,
and registry paths `registry/collection:alias`, with an optional `wandb-registry-` prefix
on the registry, as the reference SDK writes them; its three-part form
`org/wandb-registry-model/collection:alias` is taken too (the org is ignored).
"""

from .errors import InvalidName, NotFound, TypeMismatch
from .models import (
    NAME_RE,
    ArtifactSequence,
    Project,
    Registry,
    RegistryMember,
)

REGISTRY_PREFIX = "wandb-registry-"


def split_alias(name):
    """'zoo:best' -> ('zoo', 'best'); no alias means `latest`."""
    base, _, alias = str(name).partition(":")
    return base, alias or "latest"


def registry_named(path_part, user, role=RegistryMember.Role.VIEWER):
    """The registry a path names, if the user may see it and has `role` there."""
    name = path_part.removeprefix(REGISTRY_PREFIX)
    registry = Registry.objects.visible_to(user).filter(name=name).first()
    if registry is None:
        raise NotFound(f"No registry named {name!r}.")
    registry.require_role(user, role)
    return registry


def split_target(target_path):
    """'wandb-registry-model/zoo-classifier' -> ('wandb-registry-model', 'zoo-classifier')."""
    parts = str(target_path).split("/")
    if len(parts) != 2 or not all(parts):
        raise InvalidName(
            f"Invalid target path {target_path!r}: use 'registry/collection', "
            "for example 'model/zoo-classifier'."
        )
    return parts


def split_name(name):
    """'acme/zoo/ds:v3' -> (['acme', 'zoo', 'ds'], 'v3'), refusing what no name can be."""
    path, alias = split_alias(name)
    parts = path.split("/")
    if len(parts) == 3 and parts[1].startswith(REGISTRY_PREFIX):
        parts = parts[1:]  # org/wandb-registry-model/collection
    valid = all(NAME_RE.fullmatch(p) and p not in (".", "..") for p in [*parts, alias])
    if len(parts) > 3 or not valid:
        raise InvalidName(
            f"Invalid artifact name {name!r}: use 'name:alias', 'entity/project/name:alias' "
            "or 'registry/collection:alias', each part letters, digits, '-', '_' or '.'."
        )
    return parts, alias


def check_type(version, type):
    if type and version.type != type:
        raise TypeMismatch(f"{version.name} is a {version.type!r}, not a {type!r}.")
    return version


def resolve(name, user, project=None, type=None):
    """The version `name` points at, checking `type` when given."""
    parts, alias = split_name(name)
    if len(parts) == 2:
        version = registry_named(parts[0], user).collection_named(parts[1]).version_by_alias(alias)
    else:
        if len(parts) == 3:
            project = Project.objects.filter(entity=parts[0], name=parts[1]).first()
            if project is None:
                raise NotFound(f"No project {parts[0]}/{parts[1]}.")
        elif project is None:
            raise InvalidName(f"Say which project {name!r} is in: 'entity/project/{name}'.")
        sequence = ArtifactSequence.objects.filter(project=project, name=parts[-1]).first()
        if sequence is None:
            raise NotFound(f"No artifact {parts[-1]!r} in project {project}.")
        version = sequence.version_by_alias(alias)
    return check_type(version, type)
