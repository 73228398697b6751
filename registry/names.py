"""The names people write and the rules they follow, in one place; no model is imported.

- Names of entities, projects, artifacts, types, registries, collections and aliases:
  `validate_name`, `validate_alias` (`latest` and `vN` are reserved, they move by
  themselves), `RESERVED_ENTITIES` (their pages own the first part of a URL).
- A file's path inside an artifact: `normalize_path`, `normalized_files`. The client
  repeats `normalize_path` to refuse a bad path before uploading; the test
  tests/client/test_names_agree.py runs both over the same cases.
- Artifact names as users write them: `name`, `name:alias`, `name:vN` (in the default
  project), `entity/project/name:alias`, and registry paths `registry/collection:alias`
  with an optional `wandb-registry-` prefix on the registry, as the reference SDK
  writes them; its three-part form `org/wandb-registry-model/collection:alias` is taken
  too (the org is ignored). `split_name`, `split_alias`, `split_target`.
- A readable name for an exact one our rules refuse (an OpenLineage namespace): `readable_name`.
- A lineage graph node's id: `artifact:<id>` (a version) or `run:<id>`, built by
  `node_id` and read by `parse_node_id`, the one parser.
"""

import hashlib
import re

from .errors import InvalidName, ReservedAlias

# Used with fullmatch: `$` alone would let a trailing newline through.
NAME_RE = re.compile(r"[A-Za-z0-9_.-]{1,128}")
VERSION_ALIAS_RE = re.compile(r"v\d+")
LATEST = "latest"
REGISTRY_PREFIX = "wandb-registry-"
# Top-level URL prefixes (and the wandb client's organisation entity, see wandb_api).
RESERVED_ENTITIES = {
    "accounts",
    "admin",
    "api",
    "files",
    "graphql",
    "lineage",
    "organization",
    "registry",
    "sdk",
    "settings",
    "static",
    "storage",
}


# The client's lineage_client/_names.py `check_name` repeats this rule (it cannot import
# the server); tests/client/test_names_agree.py keeps the two from drifting.
def validate_name(value, what="name"):
    """Names of projects, artifacts, types, registries, collections and aliases."""
    if not isinstance(value, str) or not NAME_RE.fullmatch(value) or value in (".", ".."):
        raise InvalidName(
            f"Invalid {what} {value!r}: use 1 to 128 letters, digits, '-', '_' or '.'."
        )
    return value


def validate_alias(alias):
    """Aliases a person may set: a valid name that is neither `latest` nor `vN`."""
    validate_name(alias, "alias")
    if alias == LATEST or VERSION_ALIAS_RE.fullmatch(alias):
        raise ReservedAlias(f"The alias {alias!r} is reserved and moves by itself.")
    return alias


def readable_name(text, taken=lambda name: False):
    """A valid name that reads like `text` (each run of other characters becomes `-`), for
    what arrives with an exact name our rules do not allow (OpenLineage namespaces and
    datasets). When `taken(name)` says another holds it, a short hash of `text` is added."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "unnamed"
    if name in (".", ".."):
        name = "unnamed"
    suffix = "-" + hashlib.sha256(text.encode()).hexdigest()[:8]
    if len(name) > 128:
        name = name[: 128 - len(suffix)] + suffix
    if taken(name):
        name = name[: 128 - len(suffix)] + suffix
    return name


def validate_entity(entity):
    validate_name(entity, "entity")
    if entity in RESERVED_ENTITIES:  # their pages live at /<entity>/<project>/...
        raise InvalidName(f"The entity name {entity!r} is reserved; choose another.")
    return entity


# The client's lineage_client/_files.py `artifact_path` repeats this rule (it cannot
# import the server); tests/client/test_names_agree.py keeps the two from drifting.
def normalize_path(path):
    """A file's path inside an artifact: relative, `/`-separated, never escaping it."""
    if not isinstance(path, str) or not path or "\x00" in path or len(path) > 1024:
        raise InvalidName(f"Invalid file path {path!r}.")
    parts = [part for part in path.replace("\\", "/").split("/") if part not in ("", ".")]
    if path.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", path) or ".." in parts or not parts:
        raise InvalidName(f"File path {path!r} must stay inside the artifact.")
    return "/".join(parts)


def normalized_files(files):
    """`files` keyed by normalised paths; two names of one path are refused, not merged."""
    normalized = {}
    for path, blob in files.items():
        clean = normalize_path(path)
        if clean in normalized:
            raise InvalidName(f"File path {path!r} names {clean!r} a second time.")
        normalized[clean] = blob
    return normalized


def split_alias(name):
    """'zoo:best' -> ('zoo', 'best'); no alias means `latest`."""
    base, _, alias = str(name).partition(":")
    return base, alias or LATEST


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


def registry_name(path_part):
    """'wandb-registry-model' -> 'model': the reference SDK's prefix is optional."""
    return path_part.removeprefix(REGISTRY_PREFIX)


NODE_KINDS = ("artifact", "run")


def node_id(kind, pk):
    """('run', 7) -> 'run:7'."""
    return f"{kind}:{pk}"


def parse_node_id(text):
    """'artifact:12' -> ('artifact', 12); anything else is refused."""
    kind, _, pk = str(text).partition(":")
    if kind not in NODE_KINDS or not pk.isdigit():
        raise InvalidName(f"Invalid node id {text!r}: use 'artifact:<id>' or 'run:<id>'.")
    return kind, int(pk)
