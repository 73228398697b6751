"""Api: read artifacts, collections, runs and the lineage graph without a run."""

import os

from . import _http
from .artifact import Artifact
from .run import Run


class ArtifactCollection:
    """An artifact sequence (all versions of one name in a project) or a registry
    collection, as `Api().artifact_collection(type, name)` returns it."""

    def __init__(self, data, session):
        self._data, self._session = data, session
        self.id, self.name, self.type = data["id"], data["name"], data["type"]
        self.description, self.aliases = data["description"], list(data["aliases"])
        self.entity, self.project, self.registry = data["entity"], data["project"], data["registry"]

    def __repr__(self):
        return f"<ArtifactCollection {self.name} ({self.type})>"

    def __len__(self):
        return self._data["version_count"]

    def is_sequence(self):
        """True for a project's artifact sequence, False for a registry collection."""
        return self._data["kind"] == "sequence"

    @property
    def url(self):
        return self._session.base_url + self._data["url"]

    def artifacts(self, per_page=50):
        """Its versions, newest first (in a registry collection, as linked artifacts)."""
        found, page = [], 1
        while page:
            params = {"page": page, "per_page": per_page}
            answer = self._session.get_json(f"/api/v1/collections/{self.id}/versions", **params)
            found += [Artifact._from_server(data, self._session) for data in answer["versions"]]
            page = answer["next_page"]
        return found

    versions = artifacts


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

    def artifact_exists(self, name, type=None):
        try:
            self.artifact(name, type)
        except _http.LineageError as error:
            if error.status == 404:
                return False
            raise
        return True

    def artifact_collection(self, type_name, name):
        """An artifact sequence (`entity/project/name`, or `name` in the default project)
        or a registry collection (`registry/collection`), checked to hold `type_name`."""
        params = {"name": name, "entity": self.default_entity, "project": self.default_project}
        data = self._session.get_json("/api/v1/collections/resolve", type=type_name, **params)
        return ArtifactCollection(data, self._session)

    def artifact_collection_exists(self, name, type):
        try:
            self.artifact_collection(type, name)
        except _http.LineageError as error:
            if error.status == 404:
                return False
            raise
        return True

    def artifact_versions(self, type_name, name, per_page=50):
        """The versions of a collection (see `artifact_collection`), newest first."""
        return self.artifact_collection(type_name, name).artifacts(per_page=per_page)

    artifacts = artifact_versions

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
        "artifact:12"), as the graph page draws it: {"elements", "base", "truncated",
        "markers"}.

        `view` takes what the page's view does, by the same names (the server's
        lineage/view.py defines them and refuses a name it does not know): upstream=2,
        downstream=1, artifact_types=["model"], job_types=[...], extended=True,
        generated=True, expand_clusters=True, extract=["run:7"], grow=["more:..."] (the
        answer's "+N more" markers, grown in place)."""
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
