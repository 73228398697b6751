from django.apps import AppConfig


class OpenLineageConfig(AppConfig):
    name = "openlineage"
    verbose_name = "OpenLineage ingestion"
