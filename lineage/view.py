"""A lineage view: which part of the graph around a base node is shown, and how.

Declared once, here. The Custom form (forms.py), the API's query (api.py), the page
(graph.js, given `View.spec()` through json_script) and the client's `Api.lineage` all
read a view with this one encoding, in the page URL and the API URL alike:

- a hop count is a decimal number, a flag is 1 or 0, a list is its items joined by commas;
- each key is given once; a key left out, or given empty, takes its default.
"""

import re
from dataclasses import dataclass, field, fields

from registry.errors import InvalidName

MAX_HOPS = 10


class InvalidView(InvalidName):
    status = 422


def option(default, label, help, maximum=None, on_form=True):
    """One field of the view; the type is the default's (int, bool or frozenset)."""
    meta = {"label": label, "help": help, "max": maximum, "on_form": on_form}
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class View:
    upstream: int = option(3, "Upstream hops", "Hops upstream (one hop is one edge).", MAX_HOPS)
    downstream: int = option(3, "Downstream hops", "Hops downstream.", MAX_HOPS)
    artifact_types: frozenset = option(
        frozenset(), "Filter by artifact type", "Artifact types to keep (none: every type)."
    )
    job_types: frozenset = option(
        frozenset(), "Filter by run job type", "Run job types to keep (none: every job type)."
    )
    extended: bool = option(
        False, "Include extended lineage", "Every run's other inputs and outputs, beside it."
    )
    generated: bool = option(
        False, "Include generated artifacts", "Artifacts a library made (code, run tables)."
    )
    expand_clusters: bool = option(False, "Expand clusters", "Never group nodes into clusters.")
    extract: frozenset = option(
        frozenset(), "Extract", "Node ids kept out of clusters.", on_form=False
    )
    grow: frozenset = option(
        frozenset(), "Grow", 'Ids of "+N more" markers grown in place.', on_form=False
    )

    def __post_init__(self):
        for f in fields(self):
            value, kind = getattr(self, f.name), type(f.default)
            if kind is frozenset and isinstance(value, list | tuple | set):
                object.__setattr__(self, f.name, value := frozenset(value))
            if kind is int and not (
                type(value) is int and 0 <= value <= f.metadata["max"]  # a bool is no hop count
            ):
                raise InvalidView(
                    f"The view is not valid: {f.name} must be between 0 and {f.metadata['max']}."
                )
            if not isinstance(value, kind) or (
                kind is frozenset and not all(isinstance(item, str) for item in value)
            ):
                raise InvalidView(f"The view is not valid: {f.name} cannot be {value!r}.")

    @classmethod
    def from_query(cls, query, others=None):
        """The view a query string (a QueryDict or a dict) encodes. With `others`, a key
        that is neither the view's nor one of `others` is refused; without, ignored (a
        page's URL carries keys of its own)."""
        names = [f.name for f in fields(cls)]
        if others is not None:
            unknown = sorted(set(query) - set(names) - set(others))
            if unknown:
                raise InvalidView(
                    f"The view is not valid: unknown key {unknown[0]!r}. "
                    f"It takes {', '.join([*others, *names])}."
                )
        values = {}
        for f in fields(cls):
            given = query.getlist(f.name) if hasattr(query, "getlist") else [query.get(f.name)]
            given = [text for text in given if text not in (None, "")]
            if len(given) > 1:
                raise InvalidView(
                    f"The view is not valid: give {f.name} once (a list joined by commas)."
                )
            if given:
                values[f.name] = _decode(f, given[0])
        return cls(**values)

    def to_query(self):
        """{key: text} of the fields away from their defaults, encoded as above."""
        return {
            f.name: _encode(getattr(self, f.name))
            for f in fields(self)
            if getattr(self, f.name) != f.default
        }

    @classmethod
    def spec(cls):
        """The fields as data, for the page's script and the API's documentation: name,
        kind (int, bool, list), default (encoded), label, help, max, onForm."""
        kinds = {int: "int", bool: "bool", frozenset: "list"}
        return [
            {
                "name": f.name,
                "kind": kinds[type(f.default)],
                "default": _encode(f.default),
                "label": f.metadata["label"],
                "help": f.metadata["help"],
                "max": f.metadata["max"],
                "onForm": f.metadata["on_form"],
            }
            for f in fields(cls)
        ]


def _decode(f, text):
    kind = type(f.default)
    if kind is bool:
        if text not in ("0", "1"):
            raise InvalidView(f"The view is not valid: {f.name} must be 1 or 0, not {text!r}.")
        return text == "1"
    if kind is int:
        if not re.fullmatch(r"[0-9]{1,3}", text):
            raise InvalidView(
                f"The view is not valid: {f.name} must be between 0 and {f.metadata['max']}."
            )
        return int(text)
    return frozenset(item for item in text.split(",") if item)


def _encode(value):
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    return ",".join(sorted(value))
