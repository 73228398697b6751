"""Api: read artifacts, runs and the lineage graph without a run."""

import os

from . import _http
from .artifact import Artifact
from .run import Run


class Api:
    def __init__(self, overrides=None, api_key=None):
        overrides = overrides or {}
        if api_key:
            _http._settings["key"] = api_key
        self._session = _http.session()
        self.default_entity = overrides.get("entity") or os.environ.get("LINEAGE_ENTITY", "")
        self.default_project = overrides.get("project") or os.environ.get("LINEAGE_PROJECT", "")

    def artifact(self, name, type=None):
        """A version by name: `entity/project/name:alias`, `name:v3` (in the default
        project) or `registry/collection:alias`."""
        params = {"name": name, "entity": self.default_entity, "project": self.default_project}
        if type:
            params["type"] = type
        return Artifact._from_server(
            self._session.get_json("/api/v1/versions/resolve", **params), self._session
        )

    def run(self, path):
        """A run by `entity/project/run_id`."""
        parts = str(path).strip("/").split("/")
        if len(parts) != 3:
            raise _http.LineageError(f"Invalid run path {path!r}: use 'entity/project/run_id'.")
        return Run._from_server(
            self._session.get_json(f"/api/v1/runs/{'/'.join(parts)}"), self._session
        )

    def lineage(self, node, **view):
        """The lineage graph around `node` (an Artifact, a Run, or an id such as
        "artifact:12"), as the graph page draws it: {"elements", "base", "truncated"}.

        `view` takes what the page's view does, by the same names (the server's
        lineage/view.py defines them and refuses a name it does not know): upstream=2,
        downstream=1, artifact_types=["model"], job_types=[...], extended=True,
        generated=True, expand_clusters=True, extract=["run:7"]."""
        params = {"node": _node(node), **{key: _encode(value) for key, value in view.items()}}
        return self._session.get_json("/api/v1/lineage", **params)


def _node(node):
    """The id of a node: an Artifact's or Run's as the server gave it, else as given."""
    if isinstance(node, Artifact | Run):
        if node._data is None:
            raise _http.LineageError(f"{node!r} is not on the server yet: log it first.")
        return node._data["node"]
    return node


def _encode(value):
    """A view value in the page URL's encoding: flags 1/0, lists joined by commas (of
    names, or of nodes for `extract`)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, list | tuple | set | frozenset):
        return ",".join(sorted(str(_node(item)) for item in value))
    return value
