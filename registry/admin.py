"""The operations console: every model, with the columns, filters and search an operator
needs. Audit events are read-only for everybody, superusers included."""

from django import forms
from django.contrib import admin
from django.core.exceptions import NON_FIELD_ERRORS
from django.utils.html import format_html_join

from .errors import DomainError
from .models import (
    CORE_REGISTRIES,
    Alias,
    ApiKey,
    ArtifactSequence,
    ArtifactVersion,
    AuditEvent,
    Blob,
    Collection,
    LineageEdge,
    ManifestEntry,
    Membership,
    Project,
    Registry,
    RegistryMember,
    Run,
)
from .names import validate_name


class ReadOnly:
    """Rows only domain operations may write: each of those changes records its audit
    events and keeps the numbering whole, which an edit form would bypass."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ReadOnly, admin.ModelAdmin):
    pass


class ReadOnlyInline(ReadOnly, admin.TabularInline):
    extra = 0


def _version_links(versions):
    """Read-only list of versions for run pages in the admin."""
    rows = [(f"../../artifactversion/{v.pk}/change/", v.qualified_name) for v in versions]
    return format_html_join(", ", '<a href="{}">{}</a>', rows) or "-"


def _run_links(runs):
    rows = [(f"../../run/{r.pk}/change/", f"{r.name} ({r.run_id})") for r in runs]
    return format_html_join(", ", '<a href="{}">{}</a>', rows) or "-"


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["__str__", "entity", "name", "created_at"]
    list_filter = ["entity"]
    search_fields = ["entity", "name"]


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):
    list_display = ["name", "run_id", "project", "job_type", "state", "author", "started_at"]
    list_filter = ["state", "job_type", "project", "started_at"]
    search_fields = ["name", "run_id", "notes", "host", "project__name", "project__entity"]
    date_hierarchy = "started_at"
    raw_id_fields = ["author"]
    readonly_fields = ["inputs_list", "outputs_list"]
    fieldsets = [
        (None, {"fields": ["project", "run_id", "name", "state", "job_type", "author"]}),
        ("Timing", {"fields": ["started_at", "finished_at", "host"]}),
        ("Details", {"fields": ["config", "summary", "tags", "notes"]}),
        ("Lineage", {"fields": ["inputs_list", "outputs_list"]}),
    ]

    @admin.display(description="inputs")
    def inputs_list(self, run):
        return _version_links(run.inputs().select_related("sequence__project"))

    @admin.display(description="outputs")
    def outputs_list(self, run):
        return _version_links(run.outputs().select_related("sequence__project"))


@admin.register(ArtifactSequence)
class ArtifactSequenceAdmin(admin.ModelAdmin):
    list_display = ["name", "type", "project", "next_index", "created_at"]
    list_filter = ["type", "project"]
    search_fields = ["name", "description", "project__name"]
    exclude = ["kind", "registry"]


class EntryInline(ReadOnlyInline):
    model = ManifestEntry


@admin.register(ArtifactVersion)
class ArtifactVersionAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "type_name",
        "digest",
        "size",
        "file_count",
        "generated",
        "created_at",
        "created_by",
    ]
    list_filter = ["sequence__type", "generated", "created_at"]
    search_fields = ["sequence__name", "digest", "description"]
    date_hierarchy = "created_at"
    list_select_related = ["sequence__project"]
    # Versions are immutable content; only the words about them may change.
    readonly_fields = [
        "sequence",
        "digest",
        "size",
        "file_count",
        "generated",
        "created_at",
        "created_by",
        "producers_list",
        "consumers_list",
    ]
    inlines = [EntryInline]

    def has_add_permission(self, request):
        return False  # versions are logged through the API or the client

    @admin.display(description="type", ordering="sequence__type")
    def type_name(self, version):
        return version.sequence.type

    @admin.display(description="logged by")
    def producers_list(self, version):
        return _run_links(version.producers())

    @admin.display(description="used by")
    def consumers_list(self, version):
        return _run_links(version.used_by())


class MemberInline(admin.TabularInline):
    model = RegistryMember
    extra = 0
    raw_id_fields = ["user"]


class RegistryForm(forms.ModelForm):
    """The rules of Registry.check_settings (core registries, visibility, types)."""

    def clean(self):
        data = super().clean()
        registry = self.instance if self.instance.pk else Registry(name=data.get("name"))
        try:
            registry.check_settings(
                data.get("accepted_types") or [],
                data.get("protected_aliases") or [],
                data.get("visibility"),
            )
        except DomainError as error:
            raise forms.ValidationError({error.field or NON_FIELD_ERRORS: error.message}) from error
        return data


@admin.register(Registry)
class RegistryAdmin(admin.ModelAdmin):
    form = RegistryForm
    list_display = ["name", "visibility", "accepted_types", "created_at"]
    list_filter = ["visibility"]
    search_fields = ["name", "description"]
    inlines = [MemberInline]

    def get_readonly_fields(self, request, obj=None):
        return ["name"] if obj and obj.is_core else []

    def has_delete_permission(self, request, obj=None):
        return not (obj and obj.is_core) and super().has_delete_permission(request, obj)

    def delete_queryset(self, request, queryset):
        core = queryset.filter(name__in=CORE_REGISTRIES)
        if core.exists():
            self.message_user(request, "The core registries model and dataset are kept.")
        super().delete_queryset(request, queryset.exclude(name__in=CORE_REGISTRIES))


@admin.register(RegistryMember)
class RegistryMemberAdmin(admin.ModelAdmin):
    list_display = ["user", "registry", "role"]
    list_filter = ["role", "registry"]
    search_fields = ["user__username", "registry__name"]


class CollectionForm(forms.ModelForm):
    """The rules of Collection.create: a valid name, a type the registry accepts."""

    def clean(self):
        data = super().clean()
        try:
            validate_name(data.get("name"), "collection name")
            validate_name(data.get("type"), "artifact type")
            if data.get("registry"):
                data["registry"].check_type(data["type"])
        except DomainError as error:
            raise forms.ValidationError(error.message) from error
        return data


@admin.register(Collection)
class CollectionAdmin(admin.ModelAdmin):
    form = CollectionForm
    list_display = ["name", "registry", "type", "next_index", "created_at"]
    list_filter = ["registry", "type"]
    search_fields = ["name", "description"]
    exclude = ["kind", "project"]

    def get_readonly_fields(self, request, obj=None):
        return ["registry", "type"] if obj else []  # fixed when the collection is created


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "collection", "index", "version", "created_by", "created_at"]
    list_filter = ["collection__kind", "collection__registry"]
    search_fields = ["collection__name", "version__sequence__name"]
    raw_id_fields = ["collection", "version", "created_by"]


@admin.register(Alias)
class AliasAdmin(ReadOnlyAdmin):
    list_display = ["name", "collection", "membership", "created_at"]
    list_filter = ["collection__kind", "name"]
    search_fields = ["name", "collection__name"]
    raw_id_fields = ["collection", "membership"]


@admin.register(Blob)
class BlobAdmin(admin.ModelAdmin):
    list_display = ["sha256", "md5", "size", "created_at"]
    search_fields = ["sha256", "md5"]


@admin.register(LineageEdge)
class LineageEdgeAdmin(ReadOnlyAdmin):
    list_display = ["run", "direction", "version", "use_as", "created_at"]
    list_filter = ["direction", "created_at"]
    search_fields = ["run__name", "run__run_id", "version__sequence__name"]
    raw_id_fields = ["run", "version"]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "action", "collection", "version_label", "alias", "actor"]
    list_filter = ["action", "collection", "actor", "created_at"]
    search_fields = ["alias", "collection__name", "actor__username"]
    date_hierarchy = "created_at"
    list_select_related = ["collection", "actor", "version__sequence"]

    @admin.display(description="version")
    def version_label(self, event):
        return f"v{event.version_index} ({event.version.sequence.name})"


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["prefix", "user", "name", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at", "created_at"]
    search_fields = ["prefix", "name", "user__username"]
    readonly_fields = ["prefix", "hashed", "created_at", "last_used_at"]
    actions = ["revoke"]

    @admin.action(description="Revoke selected keys")
    def revoke(self, request, queryset):
        for key in queryset.filter(revoked_at__isnull=True):
            key.revoke()

    def has_add_permission(self, request):
        return False  # keys are created with `createapikey` or on the settings page
