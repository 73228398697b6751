"""The core registries `model` and `dataset` on every installation (the reference
product's), organisation-wide. An installation that already has them keeps them, made
organisation-wide and accepting their preset type."""

from django.db import migrations

CORE = {
    "model": ("model", "Models ready to use: the core registry for models."),
    "dataset": ("dataset", "Datasets ready to use: the core registry for datasets."),
}


def create_core_registries(apps, schema_editor):
    Registry = apps.get_model("registry", "Registry")
    for name, (artifact_type, description) in CORE.items():
        registry, created = Registry.objects.get_or_create(
            name=name,
            defaults={"accepted_types": [artifact_type], "description": description},
        )
        if not created:
            registry.visibility = "organization"
            if artifact_type not in registry.accepted_types:
                registry.accepted_types = [artifact_type, *registry.accepted_types]
            registry.save()


class Migration(migrations.Migration):
    dependencies = [("registry", "0004_version_tombstones")]

    operations = [migrations.RunPython(create_core_registries, migrations.RunPython.noop)]
