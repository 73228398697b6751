"""The operations console: every model, with the columns, filters and search an operator
needs, for superusers only (config/admin_site.py). What it writes follows the domain's
rules (names, types, protected aliases) through the same functions the API calls; rows
that only domain operations may write (links, aliases, edges, audit events) are read-only,
and versions are deleted only by the domain's delete, which keeps the lineage honest."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import reverse_field_path
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.paginator import Paginator
from django.db.models import Min, Prefetch
from django.utils.functional import cached_property
from django.utils.html import format_html_join

from . import models as registry_models
from .errors import DomainError, on_field
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
    RegistryEvent,
    RegistryMember,
    Run,
    Team,
    TeamMember,
)
from .names import validate_entity, validate_name


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


class KeysFirst(Paginator):
    """A page of a long table: its ids first (one table, newest first by the primary key),
    then those rows with their related ones. Asked for in one query, SQLite may join a
    million rows of the related tables before it stops at the page's hundred."""

    def page(self, number):
        page = super().page(number)
        ids = list(page.object_list.values_list("pk", flat=True))
        rows = self.object_list.filter(pk__in=ids).in_bulk()
        page.object_list = [rows[pk] for pk in ids if pk in rows]
        return page


class CappedCount(KeysFirst):
    """KeysFirst that counts at most COUNTED_UP_TO + 1 rows: the count of a list whose
    rows leave out deleted versions joins every version (0.2 s at 1M edges); its
    pagination.html shows "10,000+", and older rows are reached by filter or search."""

    @cached_property
    def count(self):
        return self.object_list.order_by()[: registry_models.COUNTED_UP_TO + 1].count()


def _numbered_versions():
    """Each row's version with its number and sequence, in one query for the page."""
    return Prefetch(
        "version", ArtifactVersion.objects.including_deleted().select_related("sequence")
    )


class LongList:
    """Changelists of tables that grow with every run (a million rows): one count, not a
    second of the whole table; newest first by id, an index walk rather than a sort; no
    date hierarchy (its DISTINCT months read every row: the date filter stays)."""

    show_full_result_count = False
    ordering = ["-pk"]
    paginator = KeysFirst


class IndexedValues(admin.AllValuesFieldListFilter):
    """A filter by the values of an indexed column, found one index probe each (the least
    value past the last one) up to MAX_CHOICES: SELECT DISTINCT read every row, 388,714
    runs for their 4 job types (20 ms on PostgreSQL, 0.1 ms a probe)."""

    MAX_CHOICES = 100

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        parent, _ = reverse_field_path(model, field_path)
        rows = model_admin.get_queryset(request) if model == parent else parent._default_manager
        rows, name, values = rows.order_by(), field.name, []
        value = rows.aggregate(least=Min(name))["least"]
        while value is not None and len(values) < self.MAX_CHOICES:
            values.append(value)
            value = rows.filter(**{f"{name}__gt": value}).aggregate(least=Min(name))["least"]
        self.lookup_choices = values


class ReadOnlyInline(ReadOnly, admin.TabularInline):
    extra = 0


def _version_links(versions):
    """Read-only list of versions for run pages in the admin."""
    rows = [(f"../../artifactversion/{v.pk}/change/", v.qualified_name) for v in versions]
    return format_html_join(", ", '<a href="{}">{}</a>', rows) or "-"


def _run_links(runs):
    rows = [(f"../../run/{r.pk}/change/", f"{r.name} ({r.run_id})") for r in runs]
    return format_html_join(", ", '<a href="{}">{}</a>', rows) or "-"


class DomainForm(forms.ModelForm):
    """A form whose `check(data)` applies a domain rule; its DomainError becomes the form's
    error, on the field it names when it names one."""

    def check(self, data):
        pass

    def clean(self):
        data = super().clean()
        try:
            self.check(data)
        except DomainError as error:
            raise forms.ValidationError({error.field or NON_FIELD_ERRORS: error.message}) from error
        return data


class ProjectForm(DomainForm):
    def check(self, data):
        with on_field("entity"):
            validate_entity(data.get("entity"))
        with on_field("name"):
            validate_name(data.get("name"), "project name")


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    form = ProjectForm
    list_display = ["__str__", "entity", "name", "open", "created_at"]
    list_filter = ["open", "entity"]
    search_fields = ["entity", "name"]


class RunForm(DomainForm):
    def check(self, data):
        for field in ("config", "summary"):
            if field in data and not isinstance(data[field], dict):
                raise forms.ValidationError({field: 'Use a JSON object, e.g. {"lr": 0.1}.'})
        tags = data.get("tags", [])
        if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
            raise forms.ValidationError({"tags": 'Use a JSON list of strings, e.g. ["baseline"].'})
        if data.get("job_type"):
            with on_field("job_type"):
                validate_name(data["job_type"], "job type")


@admin.register(Run)
class RunAdmin(LongList, admin.ModelAdmin):
    form = RunForm
    list_display = ["name", "run_id", "project", "job_type", "state", "author", "started_at"]
    list_filter = ["state", ("job_type", IndexedValues), "project", "started_at"]
    paginator = CappedCount  # no actions name the count; counting 388,714 runs took 12 ms
    search_fields = ["name", "run_id", "notes", "host", "project__name", "project__entity"]
    # Runs are started by clients; which project and person they belong to is not the
    # console's to move (it would move their lineage into another team's view).
    readonly_fields = ["project", "run_id", "author", "inputs_list", "outputs_list"]
    fieldsets = [
        (None, {"fields": ["project", "run_id", "name", "state", "job_type", "author"]}),
        ("Timing", {"fields": ["started_at", "finished_at", "host"]}),
        ("Details", {"fields": ["config", "summary", "tags", "notes"]}),
        ("Lineage", {"fields": ["inputs_list", "outputs_list"]}),
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # a run's edges are lineage others depend on

    @admin.display(description="inputs")
    def inputs_list(self, run):
        return _version_links(run.inputs().select_related("sequence__project"))

    @admin.display(description="outputs")
    def outputs_list(self, run):
        return _version_links(run.outputs().select_related("sequence__project"))


class SequenceForm(DomainForm):
    def check(self, data):
        with on_field("name"):
            validate_name(data.get("name"), "artifact name")
        taken = ArtifactSequence.objects.filter(project=self.instance.project, name=data["name"])
        if taken.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError({"name": f"{self.instance.project} has one already."})


@admin.register(ArtifactSequence)
class ArtifactSequenceAdmin(LongList, admin.ModelAdmin):
    form = SequenceForm
    list_display = ["name", "type", "project", "next_index", "created_at"]
    list_filter = [("type", IndexedValues), "project"]
    paginator = CappedCount  # no actions name the count
    list_select_related = ["project"]  # else a query per row
    search_fields = ["name", "description", "project__name"]
    exclude = ["kind", "registry"]
    # Sequences appear when versions are logged; their project and type stay (collections
    # holding their versions accept that type).
    readonly_fields = ["project", "type", "openlineage_name"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class VersionForm(DomainForm):
    def check(self, data):
        if "metadata" in data and not isinstance(data["metadata"], dict):
            raise forms.ValidationError({"metadata": 'Use a JSON object, e.g. {"rows": 10}.'})


class EntryInline(ReadOnlyInline):
    model = ManifestEntry


@admin.register(ArtifactVersion)
class ArtifactVersionAdmin(LongList, admin.ModelAdmin):
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
    list_filter = [("sequence__type", IndexedValues), "generated", "created_at"]
    search_fields = ["sequence__name", "digest", "description"]
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
    actions = ["delete_versions"]

    def get_form(self, request, obj=None, **kwargs):
        kwargs["form"] = VersionForm
        return super().get_form(request, obj, **kwargs)

    def has_add_permission(self, request):
        return False  # versions are logged through the API or the client

    def has_delete_permission(self, request, obj=None):
        return False  # the action below deletes the domain's way

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description="Delete selected versions (lineage kept, as on the page)")
    def delete_versions(self, request, queryset):
        for version in queryset:
            try:
                version.delete_by(request.user)
            except DomainError as error:
                self.message_user(request, f"{version}: {error.message}", messages.ERROR)

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


class NameListField(forms.CharField):
    """A list of names typed as `a, b, c`: always a list, whatever is typed (the JSON
    textarea took a string, whose letters then passed as names)."""

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        return list(dict.fromkeys(n.strip() for n in (value or "").split(",") if n.strip()))


class RegistryForm(DomainForm):
    """The rules of Registry.create and Registry.check_settings: a valid name, valid
    types and aliases, core registries, visibility only ever narrowing."""

    accepted_types = NameListField(
        required=False, help_text="Artifact types this registry accepts, comma-separated."
    )
    protected_aliases = NameListField(
        required=False,
        help_text="Aliases only registry admins may change, comma-separated (e.g. production).",
    )

    def check(self, data):
        if "name" in self.fields:  # read-only for the core registries
            with on_field("name"):
                validate_name(data.get("name"), "registry name")
        registry = self.instance if self.instance.pk else Registry(name=data["name"])
        registry.check_settings(
            data.get("accepted_types", []),
            data.get("protected_aliases", []),
            data.get("visibility"),
        )


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

    def save_model(self, request, obj, form, change):
        """Audited as the settings page is: a registry event of what changed."""
        if not change:
            obj.save()
            RegistryEvent.record(obj, RegistryEvent.Action.CREATED, request.user)
            return
        fields = {name: form.cleaned_data[name] for name in form.changed_data}
        Registry.objects.get(pk=obj.pk).save_settings(request.user, **fields)

    def save_formset(self, request, form, formset, change):
        """Members added, changed or removed here are audited like the settings page's."""
        members = formset.save(commit=False)
        Action = RegistryEvent.Action
        for member in formset.deleted_objects:
            member.delete()
            RegistryEvent.record(form.instance, Action.MEMBER_REMOVED, request.user, member)
        for member in members:
            added = member.pk is None
            member.save()
            action = Action.MEMBER_ADDED if added else Action.ROLE_CHANGED
            RegistryEvent.record(form.instance, action, request.user, member)

    def delete_queryset(self, request, queryset):
        core = queryset.filter(name__in=CORE_REGISTRIES)
        if core.exists():
            self.message_user(request, "The core registries model and dataset are kept.")
        super().delete_queryset(request, queryset.exclude(name__in=CORE_REGISTRIES))


@admin.register(RegistryMember)
class RegistryMemberAdmin(ReadOnlyAdmin):
    """Members are changed on their registry (audited there), not here."""

    list_display = ["user", "registry", "role"]
    list_filter = ["role", "registry"]
    search_fields = ["user__username", "registry__name"]


@admin.register(RegistryEvent)
class RegistryEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "registry", "action", "member", "role", "actor"]
    list_filter = ["action", "registry"]
    list_select_related = ["registry", "actor"]


class CollectionForm(DomainForm):
    """The rules of Collection.create: a valid name, unique in its registry, a type the
    registry accepts (registry and type are fixed once created)."""

    def check(self, data):
        with on_field("name"):
            validate_name(data.get("name"), "collection name")
        registry = data.get("registry") or self.instance.registry
        if "type" in self.fields:
            with on_field("type"):
                validate_name(data.get("type"), "artifact type")
                if registry is not None:
                    registry.check_type(data["type"])
        taken = Collection.objects.filter(registry=registry, name=data["name"])
        if registry is not None and taken.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(
                {"name": f"Registry {registry.name!r} already has a collection {data['name']!r}."}
            )


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
class MembershipAdmin(LongList, ReadOnlyAdmin):
    list_display = ["__str__", "collection", "index", "version", "created_by", "created_at"]
    list_filter = ["collection__kind", "collection__registry"]
    search_fields = ["collection__name", "version__sequence__name"]
    paginator = CappedCount

    def get_queryset(self, request):
        # Its own select_related: the admin skips list_select_related once one is set.
        rows = (
            super()
            .get_queryset(request)
            .select_related("collection__project", "collection__registry", "created_by")
        )
        return rows.prefetch_related(_numbered_versions())


@admin.register(Alias)
class AliasAdmin(ReadOnlyAdmin):
    list_display = ["name", "collection", "membership", "created_at"]
    list_filter = ["collection__kind", "name"]
    search_fields = ["name", "collection__name"]


@admin.register(Blob)
class BlobAdmin(admin.ModelAdmin):
    list_display = ["sha256", "md5", "size", "created_at"]
    search_fields = ["sha256", "md5"]


@admin.register(LineageEdge)
class LineageEdgeAdmin(LongList, ReadOnlyAdmin):
    list_display = ["run", "direction", "version", "use_as", "created_at"]
    list_filter = ["direction", "created_at"]
    search_fields = ["run__name", "run__run_id", "version__sequence__name"]
    paginator = CappedCount  # counting a million edges read them all (40 ms on PostgreSQL)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("run")
            .prefetch_related(_numbered_versions())
        )


@admin.register(AuditEvent)
class AuditEventAdmin(LongList, ReadOnlyAdmin):
    list_display = [
        "created_at",
        "action",
        "collection",
        "collection_version",
        "version_label",
        "alias",
        "actor",
    ]
    # By registry: a filter by collection would list every artifact sequence there is.
    list_filter = ["action", "collection__registry", "actor", "created_at"]
    search_fields = ["alias", "collection__name", "actor__username"]

    def get_queryset(self, request):
        # Its own select_related: the admin skips list_select_related once one is set.
        events = super().get_queryset(request).with_version_names()
        return events.select_related("collection__registry", "actor")

    @admin.display(description="in collection", ordering="version_index")
    def collection_version(self, event):
        return f"v{event.version_index}"

    @admin.display(description="artifact version")
    def version_label(self, event):
        return event.version_name


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


class TeamMemberInline(admin.TabularInline):
    model = TeamMember
    extra = 0
    raw_id_fields = ["user"]


class TeamForm(DomainForm):
    def check(self, data):
        with on_field("name"):
            validate_entity(data.get("name"))


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    """Teams and their members (the teams pages do the same for a team's admins)."""

    form = TeamForm
    inlines = [TeamMemberInline]
    list_display = ["name", "created_at"]
    search_fields = ["name", "members__user__username"]
