from django.conf import settings
from django.db import models

from registry.models import now


class ReceivedEvent(models.Model):
    """An OpenLineage event as it arrived, kept whole: a run is recomputed from all of its
    events (so their order never matters), and an event received twice is recognised by
    its digest and changes nothing."""

    class Kind(models.TextChoices):
        RUN = "RunEvent"
        DATASET = "DatasetEvent"
        JOB = "JobEvent"

    kind = models.CharField(max_length=12, choices=Kind.choices)
    digest = models.CharField(
        max_length=64, unique=True, help_text="SHA-256 of the event's canonical JSON."
    )
    run_id = models.CharField(
        max_length=36, blank=True, db_index=True, help_text="RunEvents: the run's runId."
    )
    event_type = models.CharField(max_length=8, blank=True)
    event_time = models.DateTimeField()
    body = models.JSONField()
    datasets = models.JSONField(
        default=list,
        help_text="What the event says of its datasets, in short: "
        "[direction, namespace, name, identity] each.",
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    received_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["event_time", "digest"]

    def __str__(self):
        return f"{self.kind} {self.event_type} {self.event_time:%Y-%m-%d %H:%M:%S}".strip()
