"""Artifact: files to log as a version, or a logged version read from the server."""

import contextlib
import json
import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from urllib.parse import quote

from ._files import CHUNK, ReadWithProgress, artifact_path, digests, progress
from ._http import LineageError
from ._names import alias_list, check_name

UPLOADS_AT_ONCE = 4
SMALL_FILE = 256 * 1024  # files up to this size travel together
PER_BATCH = 100  # files in one POST /blobs unless the server's limits say fewer
BATCH_BYTES = 32 * 1024 * 1024  # bytes in one POST /blobs, likewise


def _send_batch(session, entries, bar):
    files = {}
    for local, sha256, _, _ in entries:
        with open(local, "rb") as stream:
            files[sha256] = (sha256, stream.read())
    session.request("POST", "/api/v1/blobs", files=files)
    if bar:
        bar.update(sum(entry[3] for entry in entries))


def _batches(entries, limits):
    """Small files in groups of at most the server's files and bytes per POST /blobs
    (half its bytes: room for the multipart framing)."""
    per_batch = min(PER_BATCH, limits.get("max_files_per_upload", PER_BATCH))
    most_bytes = min(BATCH_BYTES, limits.get("max_upload_bytes", BATCH_BYTES)) // 2
    batches, batch, size = [], [], 0
    for entry in entries:
        if batch and (len(batch) >= per_batch or size + entry[3] > most_bytes):
            batches.append(batch)
            batch, size = [], 0
        batch.append(entry)
        size += entry[3]
    return batches + [batch] if batch else batches


def _over_limits(limits, manifest, body):
    """What of a version about to be logged the server's limits refuse, or None."""
    if not limits:
        return None
    most = limits["max_manifest_files"]
    if len(manifest) > most:
        return f"{len(manifest):,} files; the server takes at most {most:,} in one version."
    for path, (_, _, _, size) in manifest.items():
        if size > limits["max_file_bytes"]:
            return (
                f"{path} is {size:,} bytes; the server takes at most {limits['max_file_bytes']:,}."
            )
    if len(body["description"]) > limits["max_text_chars"]:
        return f"the description is longer than {limits['max_text_chars']:,} characters."
    if len(json.dumps(body["metadata"]).encode()) > limits["max_json_bytes"]:
        return f"the metadata is larger than {limits['max_json_bytes']:,} bytes as JSON."
    size = len(json.dumps(body).encode())
    if size > limits["max_body_bytes"]:
        return (
            f"its manifest is {size:,} bytes of JSON; the server takes at most "
            f"{limits['max_body_bytes']:,} in one request."
        )
    return None


class File:
    """One file of a logged version's manifest."""

    def __init__(self, path, sha256, md5, size):
        self.path, self.name, self.sha256, self.digest, self.size = path, path, sha256, md5, size

    def __repr__(self):
        return f"<File {self.path} ({self.size} bytes)>"


class Artifact:
    """Files to log as a version (a draft), or a logged version read from the server.

    A version reached through a registry path (`model/zoo-classifier:production`) is a
    *linked* artifact, as in the reference SDK: its `name`, `version` and `aliases` are
    those in the registry collection, `source_name` and `source_version` those in its
    artifact sequence, and `unlink()` removes it from the collection.
    """

    def __init__(self, name, type, description=None, metadata=None):
        self._name = check_name(name, "artifact name")
        self.type = check_name(type, "artifact type")
        self.description = description or ""
        self.metadata = dict(metadata or {})
        self._aliases = []
        self._local = {}  # path in the artifact -> local file
        self._data = None  # the server's answer once logged
        self._link = None  # the registry collection version it was reached through
        self._session = None
        self._staging = None

    @classmethod
    def _from_server(cls, data, session):
        artifact = cls(data["sequence"], data["type"], data["description"], data["metadata"])
        artifact._loaded(data, session)
        return artifact

    def _loaded(self, data, session):
        self._data, self._session = data, session
        self.description, self.metadata = data["description"], dict(data["metadata"])
        self._linked(data.get("link"))

    def _linked(self, link):
        self._link = link
        self._aliases = list((link or self._data)["aliases"])

    def __repr__(self):
        return f"<Artifact {self.qualified_name if self._data else self._name} ({self.type})>"

    # ---- what users read ----

    def _server(self, key):
        if self._data is None:
            return None
        return self._data[key]

    @property
    def name(self):
        """`name:vN`: in the registry collection for a linked artifact."""
        if self._link:
            return f"{self._link['collection']}:{self._link['version']}"
        return self._data["name"] if self._data else self._name

    @property
    def source_name(self):
        """`name:vN` in the artifact sequence it was logged to."""
        return self._data["name"] if self._data else self._name

    @property
    def id(self):
        return self._server("id")

    @property
    def qualified_name(self):
        if self._link:
            return f"{self._link['registry']}/{self.name}"
        return self._server("qualified_name")

    @property
    def source_qualified_name(self):
        return self._server("qualified_name")

    @property
    def version(self):
        return self._link["version"] if self._link else self._server("version")

    @property
    def source_version(self):
        return self._server("version")

    @property
    def is_link(self):
        """True when reached through a registry collection."""
        return self._link is not None

    @property
    def aliases(self):
        """The aliases (in the registry collection for a linked artifact). Assign a new
        list, or change this one in place, then `save()`; on a draft they are set when it
        is logged."""
        return self._aliases

    @aliases.setter
    def aliases(self, names):
        self._aliases = alias_list(names)

    @property
    def digest(self):
        return self._server("digest")

    @property
    def size(self):
        if self._data:
            return self._data["size"]
        return sum(os.path.getsize(path) for path in self._local.values())

    @property
    def file_count(self):
        return self._data["file_count"] if self._data else len(self._local)

    @property
    def created_at(self):
        created = self._server("created_at")
        return datetime.fromisoformat(created) if created else None

    @property
    def url(self):
        if not self._data:
            return None
        return self._session.base_url + (self._link or self._data)["url"]

    # ---- building ----

    def _check_editable(self):
        if self._data is not None:
            raise ValueError(f"{self.name} is logged and cannot change; make a new Artifact.")

    def add_file(self, local_path, name=None):
        """Add a local file, as `name` inside the artifact (default: its file name)."""
        self._check_editable()
        path = artifact_path(name or os.path.basename(local_path))
        if not os.path.isfile(local_path):
            raise ValueError(f"Path is not a file: {local_path!r}.")
        self._local[path] = os.path.abspath(local_path)
        return path

    def add_dir(self, local_path, name=None):
        """Add every file under a local folder, under `name/` inside the artifact."""
        self._check_editable()
        name = artifact_path(name) if name else None
        if not os.path.isdir(local_path):
            raise ValueError(f"No folder at {local_path!r}.")
        for folder, _, names in os.walk(local_path):
            for file_name in sorted(names):
                full = os.path.join(folder, file_name)
                relative = os.path.relpath(full, local_path).replace(os.sep, "/")
                self.add_file(full, f"{name}/{relative}" if name else relative)

    @contextlib.contextmanager
    def new_file(self, name, mode="w", encoding=None):
        """Write a new file straight into the artifact: `with art.new_file("a.txt") as f:`."""
        self._check_editable()
        path = artifact_path(name)
        if self._staging is None:
            self._staging = tempfile.mkdtemp(prefix="lineage-artifact-")
        descriptor, local = tempfile.mkstemp(dir=self._staging)  # a fresh file per write
        os.close(descriptor)
        with open(local, mode, encoding=encoding) as stream:
            yield stream
        self._local[path] = local

    # ---- logging (called by Run.log_artifact) ----

    def _manifest(self):
        """(local file, sha256, md5, size) per path; a file gone since it was added is
        refused here, before anything is sent."""
        gone = [local for local in self._local.values() if not os.path.isfile(local)]
        if gone:
            raise ValueError(f"Path is not a file (any more): {gone[0]!r}.")
        return {path: (local, *digests(local)) for path, local in self._local.items()}

    def _check_limits(self, limits, manifest, body):
        """Refuse, before any upload, what the server's limits (GET /api/v1/limits) say
        it would refuse only once every file is sent."""
        problem = _over_limits(limits, manifest, body)
        if problem:
            raise LineageError(f"Cannot log {self._name}: {problem}")

    def _upload(self, session, manifest, limits=None):
        """Send the contents the server lacks: small files together (as many as the
        server's limits take in one request), larger ones each as one streamed request;
        a few requests at once."""
        sha256s = [entry[1] for entry in manifest.values()]
        missing = set(session.post_json("/api/v1/blobs/missing", {"sha256": sha256s})["missing"])
        todo = list(
            {entry[1]: entry for entry in manifest.values() if entry[1] in missing}.values()
        )
        bar = progress(sum(entry[3] for entry in todo), f"Uploading {self._name}")
        small = [entry for entry in todo if entry[3] <= SMALL_FILE]
        jobs = _batches(small, limits or {})
        jobs += [entry for entry in todo if entry[3] > SMALL_FILE]

        def send(job):
            if isinstance(job, list):
                return _send_batch(session, job, bar)
            local, sha256, md5, size = job
            with open(local, "rb") as stream:
                body = ReadWithProgress(stream, size, bar)
                headers = {"Content-MD5": md5}
                session.request("PUT", f"/api/v1/blobs/{sha256}", data=body, headers=headers)

        try:
            with ThreadPoolExecutor(max_workers=UPLOADS_AT_ONCE) as pool:
                list(pool.map(send, jobs))
        finally:
            if bar:
                bar.close()

    # ---- reading a logged version ----

    def _require_logged(self):
        if self._data is None:
            raise ValueError(f"{self._name} is not logged yet: log it with run.log_artifact().")
        return self._session

    def files(self):
        session = self._require_logged()
        manifest = session.get_json(f"/api/v1/versions/{self.id}")["manifest"]
        return [File(path, **entry) for path, entry in sorted(manifest.items())]

    def download(self, root=None):
        """Write the version's files under `root` (default ./artifacts/<name:vN>)."""
        session = self._require_logged()
        root = root or os.path.join("artifacts", self.name)
        files = self.files()
        bar = progress(sum(f.size for f in files), f"Downloading {self.name}")
        try:
            for file in files:
                target = os.path.join(root, *artifact_path(file.path).split("/"))
                os.makedirs(os.path.dirname(target), exist_ok=True)
                url = f"/api/v1/versions/{self.id}/files/{quote(file.path, safe='/')}"
                session.download(url, target, CHUNK, bar)
        finally:
            if bar:
                bar.close()
        return root

    def logged_by(self):
        """The run that logged this version first (None if no run did)."""
        from .run import Run

        session = self._require_logged()
        runs = session.get_json(f"/api/v1/versions/{self.id}/producers")
        return Run._from_server(runs[0], session) if runs else None

    def used_by(self):
        from .run import Run

        session = self._require_logged()
        runs = session.get_json(f"/api/v1/versions/{self.id}/consumers")
        return [Run._from_server(data, session) for data in runs]

    # ---- changing a logged version ----

    def _link_path(self, suffix=""):
        link = self._link
        return f"/api/v1/versions/{self.id}/links/{link['registry']}/{link['collection']}{suffix}"

    def save(self):
        """Keep the changes: a draft is logged (by the active run, or a run of its own
        with job type `auto`); a logged version's aliases become `aliases`. Its files,
        description and metadata are its immutable content: log a new version instead."""
        if self._data is None:
            return self._log_by_some_run()
        if (self.description, self.metadata) != (self._data["description"], self._data["metadata"]):
            raise ValueError(
                f"{self.source_name} is logged: its description and metadata are part of its "
                "immutable content. Log a new version to change them."
            )
        body = {"aliases": self._aliases}
        if self._link:
            self._linked(self._session.post_json(self._link_path("/aliases"), body, method="PUT"))
        else:
            path = f"/api/v1/versions/{self.id}/aliases"
            self._loaded(self._session.post_json(path, body, method="PUT"), self._session)

    def _log_by_some_run(self):
        import lineage_client

        from .run import init

        run = lineage_client.run
        if run is not None and run.state == "running":
            run.log_artifact(self)
            return
        with init(job_type="auto") as run:
            run.log_artifact(self)

    def link(self, target_path, aliases=None):
        """Link this version into a registry collection, `registry/collection` (a
        `wandb-registry-` prefix is accepted; the collection is made if missing).
        Returns the linked artifact, as `Api().artifact("registry/collection:vN")`."""
        session = self._require_logged()
        body = {"target_path": target_path, "aliases": alias_list(aliases)}
        link = session.post_json(f"/api/v1/versions/{self.id}/links", body)
        linked = Artifact._from_server(self._data, session)
        linked._linked(link)
        return linked

    def unlink(self):
        """Remove this linked artifact from its registry collection (with its aliases
        there; `latest` moves back to the newest version that remains)."""
        session = self._require_logged()
        if self._link is None:
            raise ValueError(
                f"{self.name} is not a linked artifact: reach it through its registry path "
                "('registry/collection:vN') to unlink it."
            )
        session.request("DELETE", self._link_path())
        self._linked(None)

    def delete(self, delete_aliases=False):
        """Delete this version (for a linked artifact: its link only, as the reference
        does). Refused while it holds aliases other than `latest` unless
        `delete_aliases`, and, for the version itself, while a run used it or a registry
        collection holds it. Its number is never given again."""
        session = self._require_logged()
        params = {"delete_aliases": "true" if delete_aliases else "false"}
        if self._link:
            session.request("DELETE", self._link_path(), params=params)
            self._linked(None)
        else:
            session.request("DELETE", f"/api/v1/versions/{self.id}", params=params)

    def wait(self, timeout=None):
        """Logging is synchronous here: the version is committed when log_artifact returns."""
        self._require_logged()
        return self
