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
  `node_id` and read by `parse_node_id`.
- Numbers people write (ids, `vN`): `parse_id` and `parse_version`, the one parser: ASCII
  digits only (`int()` and `str.isdigit` take `²` and `١`), at most MAX_ID_DIGITS of them.
- Hostile text: `validate_text` and `validate_json` refuse what no database stores alike
  (NUL, which PostgreSQL refuses; lone surrogates, which neither encodes) and text longer
  than its column, naming the field; `load_json` reads a request's JSON body with both.
"""

import hashlib
import json
import re

from .errors import InvalidName, InvalidText, ReservedAlias

# Used with fullmatch: `$` alone would let a trailing newline through.
NAME_RE = re.compile(r"[A-Za-z0-9_.-]{1,128}")
VERSION_ALIAS_RE = re.compile(r"v[0-9]+")  # not \d: it matches every script's digits
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
    "teams",
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
    if not isinstance(path, str) or not path or _UNSTORABLE_RE.search(path) or len(path) > 1024:
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
    if kind not in NODE_KINDS or not ID_RE.fullmatch(pk):
        raise InvalidName(
            f"Invalid node id {_shown(text)}: use 'artifact:<id>' or 'run:<id>'.", field="node"
        )
    return kind, int(pk)


# 18 digits always fit a 64-bit integer column (SQLite and PostgreSQL bigint alike), and
# `int()` of thousands of digits is refused by Python itself.
MAX_ID_DIGITS = 18
ID_RE = re.compile(f"[0-9]{{1,{MAX_ID_DIGITS}}}")


def parse_id(text, field="id"):
    """'12' -> 12: ASCII digits only, at most MAX_ID_DIGITS; an int passes if in range."""
    if type(text) is int and 0 <= text < 10**MAX_ID_DIGITS:
        return text
    if not isinstance(text, str) or not ID_RE.fullmatch(text):
        raise InvalidName(
            f"Invalid {field} {_shown(text)}: use up to {MAX_ID_DIGITS} digits 0-9.", field=field
        )
    return int(text)


def parse_version(text, field="version"):
    """'v3' -> 3; anything but 'v' and a number parse_id takes is refused."""
    if not isinstance(text, str) or not text.startswith("v"):
        raise InvalidName(f"Invalid {field} {_shown(text)}: use 'v' and a number.", field=field)
    return parse_id(text[1:], field)


def _shown(value, limit=80):
    """repr(value), cut to `limit` characters: a message never echoes a megabyte back."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 5]}...{text[-1]}"


# ---- hostile text ------------------------------------------------------------------------

# A surrogate code point left in a str is a lone one: json.loads joins a valid pair.
_UNSTORABLE_RE = re.compile("[\x00\ud800-\udfff]")
MAX_JSON_DEPTH = 64


def validate_text(field, value, max_length=None):
    """`value` if it is text every database stores as it is, at most `max_length` long."""
    if not isinstance(value, str):
        raise InvalidText(f"{field} must be text, not {_shown(value)}.", field=field)
    bad = _UNSTORABLE_RE.search(value)
    if bad:
        what = "a NUL character" if bad.group() == "\x00" else "a lone surrogate"
        raise InvalidText(
            f"{field} cannot contain {what} (at position {bad.start()}).", field=field
        )
    if max_length is not None and len(value) > max_length:
        raise InvalidText(
            f"{field} is too long: at most {max_length} characters, not {len(value)}.",
            field=field,
        )
    return value


def validate_json(field, value):
    """`value` (parsed JSON) if every key and string in it passes validate_text; a refusal
    names the place (`config.optimizer.name`, `tags[2]`). Nesting is bounded."""
    stack = [(field, value, 0)]
    while stack:
        place, item, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise InvalidText(f"{place} is nested more than {MAX_JSON_DEPTH} deep.", field=field)
        if isinstance(item, str):
            validate_text(place, item)
        elif isinstance(item, dict):
            for key, child in item.items():
                validate_text(f"A key of {place or 'the body'}", key)
                stack.append((f"{place}.{key}" if place else key, child, depth + 1))
        elif isinstance(item, list | tuple):
            stack.extend((f"{place}[{i}]", child, depth + 1) for i, child in enumerate(item))
    return value


def load_json(raw):
    """A JSON body (bytes or str) as Python, every key and string checked by validate_json and
    NaN or Infinity refused (PostgreSQL's jsonb takes neither). A refusal names the field
    (`config.lr`) or says where the JSON is broken."""
    try:
        data = json.loads(raw, parse_constant=_no_constant)
    except UnicodeDecodeError as error:
        raise InvalidText(
            f"The body is not JSON: not UTF-8 ({error.reason} at byte {error.start})."
        ) from None
    except RecursionError:
        raise InvalidText("The body is not JSON we take: it is nested too deep.") from None
    except ValueError as error:  # json.JSONDecodeError, or _no_constant's
        raise InvalidText(f"The body is not JSON: {error}.") from None
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogatepass")
    if not _MAYBE_UNSTORABLE_RE.search(raw):  # the walk costs ~1 s for 100,000 files
        return data
    if isinstance(data, dict):
        return validate_json("", data)
    return validate_json("The body", data)


# JSON can only write a NUL or a surrogate as an escape (`\u0000`, `\ud800`: a raw
# control character is not JSON), or a surrogate as raw bytes json.loads lets through
# (ED A0-BF): a body without either holds neither, and needs no walk.
_MAYBE_UNSTORABLE_RE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])|\xed[\xa0-\xbf]")


def _no_constant(name):
    raise ValueError(f"{name} is not a JSON number")
