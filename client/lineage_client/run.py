"""Run: one execution of a script, and what it used and logged."""

import contextlib
import os
import socket
import sys
import threading

from . import _http
from ._names import alias_list
from .artifact import Artifact


def init(
    entity=None,
    project=None,
    name=None,
    job_type=None,
    config=None,
    tags=None,
    notes=None,
    id=None,
    **ignored,
):
    """Start a run on the server. Use it as a context manager to finish it: a clean exit
    marks it finished, an exception marks it failed (and the exception goes on)."""
    import lineage_client

    session = _http.session()
    body = {
        "entity": entity or os.environ.get("LINEAGE_ENTITY") or _viewer(session),
        "project": project or os.environ.get("LINEAGE_PROJECT") or "uncategorized",
        "run_id": id,
        "name": name or "",
        "job_type": job_type or "",
        "config": dict(config or {}),
        "tags": list(tags or []),
        "notes": notes or "",
        "host": socket.gethostname(),
    }
    run = Run._from_server(session.post_json("/api/v1/runs", body), session)
    run._heartbeat = _Heartbeat(session.copy(), run._api("/heartbeat"))
    run._heartbeat.start()
    lineage_client.run = run
    return run


def finish(exit_code=None):
    import lineage_client

    if lineage_client.run is not None:
        lineage_client.run.finish(exit_code)


def _viewer(session):
    return session.get_json("/api/v1/viewer")["username"]


@contextlib.contextmanager
def _uploading(artifact):
    """A request failing while an artifact's files go up says so: that is what the
    script was doing when the server stopped answering."""
    try:
        yield
    except _http.LineageError as error:
        message = f"Uploading the files of {artifact._name} failed: {error.message}"
        raise _http.LineageError(message, error.status) from None


class _Heartbeat(threading.Thread):
    """Tells the server every LINEAGE_HEARTBEAT_SECONDS (30) that the run's process is
    alive, until the run finishes. A process that dies without finishing stops the beats,
    and the server marks its run crashed (after LINEAGE_RUN_CRASH_AFTER, 5 minutes by
    default). Daemon: it never keeps a finished script from exiting."""

    def __init__(self, session, path):
        super().__init__(name="lineage-heartbeat", daemon=True)
        self.session, self.path = session, path
        self.every = float(os.environ.get("LINEAGE_HEARTBEAT_SECONDS") or 30)
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.wait(self.every):
            try:
                self.session.post_json(self.path, {})
            except _http.LineageError:
                pass  # the server is out of reach for now; the next beat may get through

    def stop(self):
        self.stopped.set()


class Run:
    _heartbeat = None

    @classmethod
    def _from_server(cls, data, session):
        run = cls()
        run._data, run._session = data, session
        run.summary = dict(data["summary"])
        run.config = dict(data["config"])
        return run

    def __repr__(self):
        return f"<Run {self.path} ({self.name})>"

    @property
    def id(self):
        return self._data["run_id"]

    @property
    def name(self):
        return self._data["name"]

    @property
    def entity(self):
        return self._data["entity"]

    @property
    def project(self):
        return self._data["project"]

    @property
    def path(self):
        return f"{self.entity}/{self.project}/{self.id}"

    @property
    def state(self):
        return self._data["state"]

    @property
    def job_type(self):
        return self._data["job_type"]

    @property
    def url(self):
        return self._session.base_url + self._data["url"]

    def _api(self, suffix=""):
        return f"/api/v1/runs/{self.path}{suffix}"

    # ---- lineage ----

    def use_artifact(self, artifact_or_name, type=None, aliases=None, use_as=None):
        """Mark a version as an input: a logged Artifact, or a name like `name`,
        `name:alias`, `entity/project/name:v3` or `registry/collection:alias`."""
        body = {"type": type, "use_as": use_as or ""}
        link = None
        if isinstance(artifact_or_name, Artifact):
            artifact_or_name._require_logged()
            body["version_id"] = artifact_or_name.id
            link = artifact_or_name._link
        else:
            name = str(artifact_or_name)
            alias = alias_list(aliases)
            if alias and ":" not in name:
                name = f"{name}:{alias[0]}"
            body["name"] = name
        artifact = Artifact._from_server(
            self._session.post_json(self._api("/use"), body), self._session
        )
        if link:
            artifact._linked(link)
        return artifact

    def log_artifact(self, artifact_or_path, name=None, type=None, aliases=None):
        """Log an Artifact (or a file or folder path) as an output of this run. Content the
        sequence already has makes no new version; the run is recorded as logging it."""
        artifact = artifact_or_path
        if not isinstance(artifact, Artifact):
            path = str(artifact_or_path)
            artifact = Artifact(name or os.path.basename(path.rstrip("/")), type or "unspecified")
            (artifact.add_dir if os.path.isdir(path) else artifact.add_file)(path)
        manifest = artifact._manifest()
        body = {
            "entity": self.entity,
            "project": self.project,
            "run_id": self.id,
            "name": artifact._name,
            "type": artifact.type,
            "description": artifact.description,
            "metadata": artifact.metadata,
            "aliases": list(dict.fromkeys([*artifact.aliases, *alias_list(aliases)])),
            "files": {p: {"sha256": e[1], "md5": e[2], "size": e[3]} for p, e in manifest.items()},
        }
        with _uploading(artifact):
            limits = self._session.limits()
        artifact._check_limits(limits, manifest, body)  # before anything is uploaded
        with _uploading(artifact):
            artifact._upload(self._session, manifest, limits)
        answer = self._session.post_json("/api/v1/versions", body)
        artifact._loaded(answer["version"], self._session)
        return artifact

    def link_artifact(self, artifact, target_path, aliases=None):
        """Link a logged version into a registry collection, e.g. `model/zoo-classifier`
        (or `wandb-registry-model/zoo-classifier`); the collection is made if missing.
        Returns the linked artifact (see `Artifact.link`)."""
        return artifact.link(target_path, aliases)

    def logged_artifacts(self):
        data = self._session.get_json(self._api("/outputs"))
        return [Artifact._from_server(item, self._session) for item in data]

    def used_artifacts(self):
        data = self._session.get_json(self._api("/inputs"))
        return [Artifact._from_server(item, self._session) for item in data]

    # ---- lifecycle ----

    def log(self, data):
        """Keep the latest value of each key in the run's summary (sent on finish)."""
        self.summary.update(data)

    def finish(self, exit_code=None):
        if self._heartbeat:
            self._heartbeat.stop()
        state = "finished" if not exit_code else "failed"
        body = {"state": state, "summary": self.summary, "config": self.config}
        self._data = self._session.post_json(self._api(), body, method="PATCH")

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        if kind is None:
            self.finish(exit_code=0)
            return False
        try:
            self.finish(exit_code=1)
        except _http.LineageError as failed:
            # The error that ended the run goes on, not this one: it is the cause (an
            # upload the server stopped answering, say), and it is what the person sees.
            print(
                f"lineage: could not mark run {self.path} failed ({failed}); the server "
                "marks it crashed when it stops hearing from this process.",
                file=sys.stderr,
            )
        return False
