"""The pages that run a registry: create one, its settings and members, collections,
linking versions, aliases, unlinking.

Every change is a domain operation (the same model method the API calls, which checks the
user's role); a POST answers with a redirect (htmx follows it, `hx-boost`), or redraws the
page with the refusal next to its field and nothing written. A request the user's role
does not allow (a forged POST, an old tab) gets a page saying so, 403.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from .errors import DomainError, Forbidden
from .forms import (
    AliasForm,
    CollectionForm,
    DescriptionForm,
    LinkForm,
    MemberForm,
    RegistryCreateForm,
    RegistrySettingsForm,
    RoleForm,
    refuse,
)
from .models import Collection, Registry, RegistryMember
from .views import _collection, _index, _registry, _version, collection_page, registry_page

Role = RegistryMember.Role


def _submit(request, form, operation, done_url, redraw, rename=None):
    """Run `operation(cleaned_data)` for a valid form, then go to `done_url`; otherwise
    `redraw(form, status)` shows why, next to the field (or above the page), with 200 to
    htmx (it swaps only 2xx). When the user may not even see the form's page (a forged
    POST), the refusal is a page of its own."""
    if not form.is_valid():
        return redraw(form, 200 if request.htmx else 400)
    try:
        result = operation(form.cleaned_data)
    except DomainError as error:
        if not refuse(form, error, rename):
            messages.error(request, error.message)
        try:
            return redraw(form, 200 if request.htmx else error.status)
        except Forbidden:
            return _refused(request, error)
    return redirect(done_url(result) if callable(done_url) else done_url)


def _refused(request, error):
    return render(request, "registry/refused.html", {"message": error.message}, status=error.status)


@login_required
def create_registry(request):
    form = RegistryCreateForm(request.POST or None, initial={"visibility": "organization"})
    if request.method != "POST":
        return render(request, "registry/registry_new.html", {"form": form})

    def create(data):
        return Registry.create(
            data["name"],
            data["accepted_types"],
            data["visibility"],
            admin=request.user,
            description=data["description"],
        )

    def redraw(form, status):
        return render(request, "registry/registry_new.html", {"form": form}, status=status)

    return _submit(
        request, form, create, lambda r: reverse("registry-admin", args=[r.name]), redraw
    )


def _settings_page(request, registry, status=200, **forms):
    registry.require_role(request.user, Role.ADMIN)
    initial = {
        "description": registry.description,
        "accepted_types": registry.accepted_types,
        "protected_aliases": registry.protected_aliases,
        "visibility": registry.visibility,
    }
    context = {
        "registry": registry,
        "settings_form": forms.get("settings_form") or RegistrySettingsForm(initial=initial),
        "member_form": forms.get("member_form") or MemberForm(initial={"role": Role.VIEWER}),
        "members": registry.members.select_related("user").order_by("-role", "user__username"),
        "roles": RoleForm.base_fields["role"].choices,
        "events": registry.events.select_related("actor")[:20],
    }
    return render(request, "registry/registry_settings.html", context, status=status)


@login_required
def registry_settings(request, name):
    registry = _registry(request, name)
    if request.method != "POST":
        try:
            return _settings_page(request, registry)
        except Forbidden as error:
            return _refused(request, error)
    form = RegistrySettingsForm(request.POST)
    done = reverse("registry-admin", args=[registry.name])
    change = lambda data: registry.change_settings(request.user, **data)  # noqa: E731
    redraw = lambda form, status: _settings_page(request, registry, status, settings_form=form)  # noqa: E731
    return _submit(request, form, change, done, redraw)


@require_POST
@login_required
def add_member(request, name):
    registry = _registry(request, name)
    form = MemberForm(request.POST)
    add = lambda data: registry.add_member(request.user, data["username"], data["role"])  # noqa: E731
    redraw = lambda form, status: _settings_page(request, registry, status, member_form=form)  # noqa: E731
    return _submit(request, form, add, reverse("registry-admin", args=[name]), redraw)


@require_POST
@login_required
def change_member(request, name, username):
    """Change a member's role, or (with `remove`) take them out of the registry."""
    registry = _registry(request, name)
    removing = "remove" in request.POST
    form = RoleForm(request.POST) if not removing else DescriptionForm({})

    def change(data):
        if removing:
            return registry.remove_member(request.user, username)
        return registry.change_member(request.user, username, data["role"])

    def redraw(form, status):  # the members table has no form of its own to show them in
        for error in (e for errors in form.errors.values() for e in errors):
            messages.error(request, f"{username}: {error}")
        return _settings_page(request, registry, status)

    return _submit(request, form, change, reverse("registry-admin", args=[name]), redraw)


@require_POST
@login_required
def create_collection(request, name):
    registry = _registry(request, name)
    form = CollectionForm(registry, request.POST)

    def create(data):
        return registry.create_collection(
            request.user, data["name"], data["type"], data["description"]
        )

    redraw = lambda form, status: registry_page(request, registry, status, collection_form=form)  # noqa: E731
    return _submit(request, form, create, lambda c: c.get_absolute_url(), redraw)


def _redraw(request, collection, version, form_name):
    """The collection page again, showing `form_name`'s errors."""

    def redraw(form, status):
        return collection_page(request, collection, version, status, **{form_name: form})

    return redraw


def _history_url(membership):
    return f"{membership.get_absolute_url()}?{urlencode({'history': 'open'})}"


@require_POST
@login_required
def edit_collection(request, registry, collection):
    collection = _collection(request, registry, collection)
    form = DescriptionForm(request.POST)
    edit = lambda data: collection.edit_description(request.user, data["description"])  # noqa: E731
    redraw = _redraw(request, collection, None, "description_form")
    return _submit(request, form, edit, collection.get_absolute_url(), redraw)


def _membership(request, registry, collection, version):
    collection = _collection(request, registry, collection)
    membership = collection.memberships.filter(index=_index(version)).select_related("version")
    membership = membership.first()
    if membership is None:
        raise Http404(f"{collection.name} has no version {version}.")
    return collection, membership


@require_POST
@login_required
def add_alias(request, registry, collection, version):
    """Add an alias to this version, or move it here from the version holding it."""
    collection, membership = _membership(request, registry, collection, version)
    form = AliasForm(request.POST)
    add = lambda data: collection.add_alias_by(request.user, membership.version, data["alias"])  # noqa: E731
    redraw = _redraw(request, collection, version, "alias_form")
    return _submit(request, form, add, _history_url(membership), redraw)


@require_POST
@login_required
def remove_alias(request, registry, collection, version, alias):
    collection, membership = _membership(request, registry, collection, version)
    remove = lambda data: collection.remove_alias_by(request.user, membership.version, alias)  # noqa: E731
    redraw = _redraw(request, collection, version, "alias_form")
    return _submit(request, AliasForm({"alias": alias}), remove, _history_url(membership), redraw)


@login_required
def unlink(request, registry, collection, version):
    """GET asks to confirm; POST unlinks (with the version's aliases here)."""
    collection, membership = _membership(request, registry, collection, version)
    if request.method != "POST":
        context = {"collection": collection, "registry": collection.registry, "current": membership}
        context["held"] = [a.name for a in membership.aliases.all()]
        return render(request, "registry/unlink.html", context)
    unlink = lambda data: collection.unlink_by(request.user, membership.version)  # noqa: E731
    redraw = lambda form, status: collection_page(request, collection, version, status)  # noqa: E731
    done = f"{collection.get_absolute_url()}?{urlencode({'history': 'open'})}"
    return _submit(request, DescriptionForm({}), unlink, done, redraw)


def linkable_registries(user, artifact_type):
    """The registries `user` may link a version of `artifact_type` into."""
    registries = Registry.objects.visible_to(user).prefetch_related("collections")
    return [
        registry
        for registry in registries
        if artifact_type in registry.accepted_types and registry.role_of(user) >= Role.MEMBER
    ]


@login_required
def link_version(request, entity, project, type, name, version):
    """Link to registry: a registry and collection (an existing one, or a new name) the
    user may link into, and optional aliases."""
    sequence, artifact = _version(request, entity, project, type, name, version)
    registries = linkable_registries(request.user, sequence.type)
    form = LinkForm(registries, request.POST or None)
    context = {"sequence": sequence, "project": sequence.project, "version": artifact}
    context["collections"] = Collection.objects.filter(
        Q(registry__in=registries), type=sequence.type
    ).select_related("registry")

    def redraw(form, status):
        return render(request, "registry/link.html", {**context, "form": form}, status=status)

    if request.method != "POST":
        return redraw(form, 200)

    def link(data):
        registry = Registry.objects.named(data["registry"], request.user, Role.RESTRICTED_VIEWER)
        return Collection.link_by(
            request.user, registry, data["collection"], artifact, data["aliases"]
        )

    rename = {"name": "collection", "type": "registry"}
    return _submit(request, form, link, _history_url, redraw, rename)
