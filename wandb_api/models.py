"""What the wandb client sends before it commits an artifact.

The client creates an artifact, uploads its files and manifest one request at a time,
then commits it. Until the commit nothing of it is a version: it is staged here, and
`commit()` hands the finished content to `ArtifactSequence.log_version`, the one place
versions are made (numbering, digest deduplication, lineage edge, aliases).
"""

from django.conf import settings
from django.db import models, transaction

from registry.errors import InvalidName
from registry.models import ArtifactSequence, ArtifactVersion, Blob, Project, Run, now

MAX_MANIFEST_BYTES = 32 * 1024 * 1024


class StagedArtifact(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    run = models.ForeignKey(Run, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    name = models.CharField(max_length=128)
    type = models.CharField(max_length=128)
    digest = models.CharField(max_length=64, help_text="The digest the client announced.")
    description = models.TextField(blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    aliases = models.JSONField(default=list, blank=True)
    manifest = models.JSONField(null=True, blank=True, help_text="The uploaded manifest.")
    version = models.ForeignKey(
        ArtifactVersion,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="The version the commit made or found.",
    )
    created_at = models.DateTimeField(default=now)

    def __str__(self):
        return f"{self.project}/{self.name} (staged {self.digest})"

    def keep_file(self, md5, blob):
        StagedFile.objects.get_or_create(staged=self, md5=md5, defaults={"blob": blob})

    def commit(self):
        """Log the staged content as a version (or find the equal one); returns it."""
        if self.version_id:
            return self.version
        contents = (self.manifest or {}).get("contents")
        if not isinstance(contents, dict) or not contents:
            raise InvalidName(f"Artifact {self.name!r} has no uploaded manifest to commit.")
        uploaded = {f.md5: f.blob for f in self.files.select_related("blob")}
        files = {}
        for path, entry in contents.items():
            digest = entry.get("digest") if isinstance(entry, dict) else None
            if isinstance(entry, dict) and entry.get("ref"):
                raise InvalidName(
                    f"{path!r} is a reference; reference artifacts are not supported."
                )
            blob = uploaded.get(digest) or _blob_of_a_version(self.project, digest)
            if blob is None:
                raise InvalidName(f"The contents of {path!r} were not uploaded.")
            files[path] = blob
        with transaction.atomic():
            version, _ = ArtifactSequence.log_version(
                self.project,
                self.name,
                self.type,
                files,
                run=self.run,
                user=self.user,
                description=self.description,
                metadata=self.metadata,
                aliases=self.aliases,
            )
            self.version = version
            self.save(update_fields=["version"])
        return version


def _blob_of_a_version(project, md5):
    """A file the client did not upload because an earlier version of this project holds
    it (an incremental artifact): its blob, found through that version's entries."""
    return Blob.objects.filter(md5=md5, entries__version__sequence__project=project).first()


class StagedFile(models.Model):
    staged = models.ForeignKey(StagedArtifact, on_delete=models.CASCADE, related_name="files")
    md5 = models.CharField(max_length=24)
    blob = models.ForeignKey(Blob, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["staged", "md5"], name="unique_staged_file")]
