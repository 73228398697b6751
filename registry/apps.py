from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_save


def _ensure_core_registries(sender, **kwargs):
    """Migration 0005 creates the core registries; a flush (tests that truncate the
    tables) removes them, then signals post_migrate, and they are back."""
    from .models import Registry

    Registry.ensure_core()


def _check_text(sender, instance, **kwargs):
    from .models import check_text

    check_text(instance)


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = "Lineage Registry"

    def ready(self):
        post_migrate.connect(_ensure_core_registries, sender=self)
        for model in self.get_models():
            pre_save.connect(_check_text, sender=model, dispatch_uid=f"check_text.{model.__name__}")
