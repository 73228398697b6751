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

    def lineage(
        self,
        node,
        upstream=3,
        downstream=3,
        artifact_types=None,
        job_types=None,
        extended=False,
        generated=False,
        expand_clusters=False,
    ):
        """The lineage graph around `node` (an Artifact, a Run, or an id such as
        "artifact:12"), as the graph page draws it: {"elements", "base", "truncated"}."""
        if isinstance(node, Artifact | Run):
            if node._data is None:
                raise _http.LineageError(f"{node!r} is not on the server yet: log it first.")
            node = node._data["node"]  # the id the server gave it, in the server's format
        params = {
            "node": node,
            "upstream": upstream,
            "downstream": downstream,
            "artifact_types": ",".join(artifact_types or []),
            "job_types": ",".join(job_types or []),
            "extended": int(extended),
            "generated": int(generated),
            "expand_clusters": int(expand_clusters),
        }
        return self._session.get_json("/api/v1/lineage", **params)
