"""The answers several routers share: a run, an artifact version, a file's contents, a
version's place in a registry collection."""

from datetime import datetime

from ninja import Schema

# Fields a run answer copies as they are; the rest are computed in RunOut.of.
RUN_FIELDS = "run_id name state job_type started_at finished_at config summary tags notes".split()


class RunOut(Schema):
    id: int
    node: str
    run_id: str
    name: str
    entity: str
    project: str
    state: str
    job_type: str
    author: str | None
    started_at: datetime
    finished_at: datetime | None
    config: dict
    summary: dict
    tags: list
    notes: str
    url: str

    @staticmethod
    def of(run):
        return {
            **{f: getattr(run, f) for f in RUN_FIELDS},
            "id": run.pk,
            "node": run.node_id,
            "entity": run.project.entity,
            "project": run.project.name,
            "author": run.author.username if run.author else None,
            "url": run.get_absolute_url(),
        }


class FileOut(Schema):
    sha256: str
    md5: str
    size: int

    @staticmethod
    def of(blob):
        return {"sha256": blob.sha256, "md5": blob.md5, "size": blob.size}


class LinkOut(Schema):
    """A version in a registry collection: its number and aliases there."""

    registry: str
    collection: str
    version: str
    aliases: list[str]
    url: str

    @staticmethod
    def of(membership):
        collection = membership.collection
        return {
            "registry": collection.registry.name,
            "collection": collection.name,
            "version": f"v{membership.index}",
            "aliases": sorted(membership.aliases.values_list("name", flat=True)),
            "url": membership.get_absolute_url(),
        }


class VersionOut(Schema):
    id: int
    node: str
    name: str
    sequence: str
    version: str
    type: str
    qualified_name: str
    entity: str
    project: str
    digest: str
    size: int
    file_count: int
    description: str
    metadata: dict
    aliases: list[str]
    generated: bool
    created_at: datetime
    url: str
    link: LinkOut | None = None  # set when the version was reached through a registry path

    @staticmethod
    def of(version, membership=None):
        """`membership`: the registry collection version it was reached through, if any."""
        project = version.sequence.project
        linked = membership is not None and membership.collection.registry_id is not None
        return {
            "id": version.pk,
            "node": version.node_id,
            "name": version.name,
            "sequence": version.sequence.name,
            "version": version.version,
            "type": version.type,
            "qualified_name": version.qualified_name,
            "entity": project.entity,
            "project": project.name,
            "digest": version.digest,
            "size": version.size,
            "file_count": version.file_count,
            "description": version.description,
            "metadata": version.metadata,
            "aliases": version.aliases(),
            "generated": version.generated,
            "created_at": version.created_at,
            "url": version.get_absolute_url(),
            "link": LinkOut.of(membership) if linked else None,
        }
