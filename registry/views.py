"""The pages: registry home -> registry -> collection, a project's Artifacts, runs, settings.

Function views of a few lines: look up, check visibility, render. htmx requests get the
page's partial (`page.html#name`), with `Vary: HX-Request`.
"""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Q, Subquery
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from .blobs import DamagedBlob, open_blob
from .errors import Forbidden, InvalidName
from .forms import AliasForm, CollectionForm, DescriptionForm, HistoryFilterForm
from .models import (
    ApiKey,
    ArtifactSequence,
    ArtifactVersion,
    Collection,
    LineageEdge,
    ManifestEntry,
    Membership,
    Project,
    Registry,
    RegistryMember,
    Run,
)
from .names import parse_version
from .pages import LongPage

Role = RegistryMember.Role

TABS = ("overview", "lineage", "files")


def _tab(request, tabs=TABS):
    tab = request.GET.get("tab", tabs[0])
    return tab if tab in tabs else tabs[0]


def _registry(request, name):
    """A registry the user may see; restricted ones are 404 to non-members."""
    return get_object_or_404(Registry.objects.visible_to(request.user), name=name)


def _collection(request, registry, name):
    registry = _registry(request, registry)
    return get_object_or_404(
        Collection.objects.select_related("registry"), registry=registry, name=name
    )


def _partial(request):
    """htmx asks for the page's fragment, except when it restores a page of the browser
    history it has no copy of, or a boosted form lands here: those need the whole page."""
    htmx = request.htmx
    return htmx and not htmx.history_restore_request and not htmx.boosted


def _index(version):
    """'v3' -> 3, anything else is not a version of ours."""
    try:
        return parse_version(version)
    except InvalidName as error:
        raise Http404("No such version.") from error


@require_GET
@login_required
def home(request):
    registries = Registry.objects.visible_to(request.user).with_counts()
    projects = Project.objects.visible_to(request.user).with_counts()
    context = {
        "registries": registries,
        "projects": projects,
        "base_url": request.build_absolute_uri("/").rstrip("/"),  # for the first-run snippet
    }
    return render(request, "registry/home.html", context)


@require_GET
@login_required
@vary_on_headers("HX-Request")
def registry(request, name):
    return registry_page(request, _registry(request, name))


def registry_page(request, registry, status=200, collection_form=None):
    """A registry's collections (searchable), its members and their roles; a member
    also gets the New collection form, an admin a link to the settings."""
    query = request.GET.get("q", "").strip()
    collections = registry.collections.annotate(version_count=Count("memberships"))
    if query:
        collections = collections.filter(Q(name__icontains=query) | Q(description__icontains=query))
    template = "registry/registry.html"
    context = {
        "registry": registry,
        "collections": collections,
        "query": query,
        "members": registry.members.select_related("user").order_by("-role", "user__username"),
        "collection_form": collection_form or CollectionForm(registry),
        **_may(request.user, registry),
    }
    if _partial(request) and request.method == "GET":
        template = f"{template}#collections"
    return render(request, template, context, status=status)


def _may(user, registry):
    """What the user's role here lets them do: the controls a page draws."""
    role = registry.role_of(user) or 0
    return {"may_change": role >= Role.MEMBER, "is_admin": role >= Role.ADMIN}


@require_GET
@login_required
def collection(request, registry, collection, version=None):
    collection = _collection(request, registry, collection)
    if request.GET.get("version"):  # the version dropdown, submitted as a plain form
        index = _index(request.GET["version"])
        args = [collection.registry.name, collection.name, f"v{index}"]
        url = reverse("registry-collection-version", args=args)
        return redirect(f"{url}?tab={_tab(request)}")
    return collection_page(request, collection, version)


def collection_page(request, collection, version, status=200, **forms):
    """A collection at one version (`vN`, or the `latest` one when None), with the
    controls the user's role allows: aliases (protected ones for admins), Unlink, the
    description; `?history=open` (where a change lands) shows the Action History."""
    # Newest first within this collection: the default ordering sorts by the collection's
    # name too, a join that sorted all 10,002 members of a collection for a page of 50.
    named = _with_names(collection.memberships.order_by("-index"))
    if version is None:
        current = named.filter(aliases__name="latest").first() or named.first()
    else:
        current = named.filter(index=_index(version)).first()
        if current is None:
            raise Http404(f"{collection.name} has no version {version}.")
    paginator = Paginator(named, VERSIONS_SHOWN)
    paginator.count = collection.memberships.count()  # without the joins the names need
    versions_page = paginator.get_page(request.GET.get("page"))
    memberships = _names_shown(list(versions_page.object_list))
    if current:
        _names_shown([current])
    _mark_sources(request.user, [*memberships, *([current] if current else [])])
    picker = memberships if current is None or current in memberships else [current, *memberships]
    registry = collection.registry
    context = {
        "collection": collection,
        "registry": registry,
        "memberships": memberships,
        "picker": sorted(picker, key=lambda m: -m.index),
        "versions_page": versions_page,
        "current": current,
        "version": current.version if current else None,
        "project_visible": current.source_visible if current else False,
        "node_id": current.version.node_id if current else None,
        "links": current.version.registry_links_visible_to(request.user) if current else [],
        **_runs_of(request, current.version if current else None),
        "tab": _tab(request),
        "alias_form": forms.get("alias_form") or AliasForm(),
        "description_form": forms.get("description_form")
        or DescriptionForm(initial={"description": collection.description}),
        "alias_rows": _alias_rows(collection, current, registry),
        **_may(request.user, registry),
    }
    held = set(_alias_names(current)) if current else set()
    context["may_unlink"] = context["is_admin"] or (
        context["may_change"] and not held & set(registry.protected_aliases)
    )
    if request.GET.get("history") == "open":
        context.update(_history_context(request, collection))
    return render(request, "registry/collection.html", context, status=status)


def _with_names(memberships):
    """Collection versions with what their rows show: the artifact version's sequence
    and project, its own number there (see `_names_shown`), the aliases."""
    source_index = Membership.objects.filter(
        version=OuterRef("version"), collection=OuterRef("version__sequence")
    ).order_by()
    return (
        memberships.select_related("version__sequence__project", "created_by")
        .prefetch_related("aliases")
        .annotate(source_index=Subquery(source_index.values("index")[:1]))
    )


def _names_shown(memberships):
    for m in memberships:  # the versions' names, without a query per row
        m.version.version_index = m.source_index
    return memberships


def _mark_sources(user, memberships):
    """Each one's `source_visible`: a version shared through a registry links to its own
    page only for who may see its project (anyone else would get a 404)."""
    projects = {m.version.sequence.project_id for m in memberships}
    seen = set(
        Project.objects.visible_to(user).filter(pk__in=projects).values_list("pk", flat=True)
    )
    for m in memberships:
        m.source_visible = m.version.sequence.project_id in seen


def _alias_rows(collection, current, registry):
    """Every alias of the collection but `latest`: the version holding it, whether it is
    protected, whether it is on `current` (remove) or elsewhere (move here)."""
    holders = Membership.objects.filter(aliases__collection=collection).distinct()
    rows = []
    for m in _names_shown(list(_with_names(holders))):
        for alias in m.aliases.all():
            if alias.name != "latest":
                rows.append(
                    {
                        "name": alias.name,
                        "holder": m,
                        "here": current is not None and m.pk == current.pk,
                        "protected": alias.name in registry.protected_aliases,
                    }
                )
    return sorted(rows, key=lambda row: row["name"])


VERSIONS_SHOWN = 50  # a page of a collection's versions
SEQUENCES_SHOWN = 100  # a page of a project's Artifacts
RUNS_SHOWN = 20  # a hub dataset has thousands of consumers: the Lineage tab shows them all
RUNS_COUNTED = 1000  # and counts those the user sees among its newest this many
RUNS_A_PAGE = 50  # a page of a project's Runs


def _runs_of(request, version):
    """The newest runs that logged and used `version` that the user may see (a version
    shared through a registry does not show the runs of a project they cannot see), and
    how many more there are, counted up to RUNS_COUNTED ("980+")."""
    if version is None:
        return {"producers": [], "consumers": []}
    found = {}
    Direction = LineageEdge.Direction
    for key, direction in (("producers", Direction.LOGS), ("consumers", Direction.USES)):
        runs, seen, more = version.runs_shown(direction, request.user, RUNS_SHOWN, RUNS_COUNTED)
        found[key] = runs
        if seen > len(runs):
            found[f"more_{key}"] = f"{seen - len(runs):,}{'+' if more else ''}"
    return found


def _alias_names(membership):
    return [alias.name for alias in membership.aliases.all()]


@require_GET
@login_required
@vary_on_headers("HX-Request")
def collection_history(request, registry, collection):
    collection = _collection(request, registry, collection)
    context = {"collection": collection, "registry": collection.registry}
    context.update(_history_context(request, collection))
    template = "registry/collection_history.html"
    return render(request, f"{template}#history" if _partial(request) else template, context)


def _history_context(request, collection):
    form = HistoryFilterForm(request.GET)
    events = collection.audit_events.with_version_names().select_related("actor")
    if form.is_valid() and form.cleaned_data["action"]:
        events = events.filter(action=form.cleaned_data["action"])
    return {"form": form, "page": LongPage(events, 20, request.GET.get("page"))}


def _project(request, entity, project):
    """A project the user may see; others are 404, as are those that do not exist."""
    return get_object_or_404(Project.objects.visible_to(request.user), entity=entity, name=project)


@require_GET
@login_required
def project_artifacts(request, entity, project):
    project = _project(request, entity, project)
    sequences = project.sequences.with_version_counts().order_by("type", "name")
    page = LongPage(sequences, SEQUENCES_SHOWN, request.GET.get("page"))
    types = {}
    for sequence in page:
        types.setdefault(sequence.type, []).append(sequence)
    context = {"project": project, "types": types, "page": page}
    return render(request, "registry/project_artifacts.html", context)


@require_GET
@login_required
def project_runs(request, entity, project):
    project = _project(request, entity, project)
    page = LongPage(project.runs.select_related("author"), RUNS_A_PAGE, request.GET.get("page"))
    return render(request, "registry/project_runs.html", {"project": project, "page": page})


def _sequence(request, entity, project, type, name):
    return get_object_or_404(
        ArtifactSequence.objects.select_related("project"),
        project=_project(request, entity, project),
        type=type,
        name=name,
    )


@require_GET
@login_required
def sequence(request, entity, project, type, name):
    sequence = _sequence(request, entity, project, type, name)
    memberships = sequence.memberships.select_related("version").prefetch_related("aliases")
    context = {"sequence": sequence, "project": sequence.project, "memberships": memberships}
    return render(request, "registry/sequence.html", context)


def _version(request, entity, project, type, name, version):
    sequence = _sequence(request, entity, project, type, name)
    membership = sequence.memberships.filter(index=_index(version)).select_related("version")
    membership = membership.first()
    if membership is None:
        raise Http404(f"{name} has no version {version}.")
    return sequence, membership.version


@require_GET
@login_required
def version(request, entity, project, type, name, version):
    sequence, version = _version(request, entity, project, type, name, version)
    context = {
        "sequence": sequence,
        "project": sequence.project,
        "version": version,
        "project_visible": True,  # this is its project's page
        **_runs_of(request, version),
        "node_id": version.node_id,
        "links": version.registry_links_visible_to(request.user),
        "tab": _tab(request),
    }
    return render(request, "registry/version.html", context)


@require_GET
@login_required
def version_file(request, entity, project, type, name, version, path):
    """A file of a version the user may download: through its project or a registry it
    is linked into (the collection page links here), never as a restricted viewer."""
    found = ArtifactVersion.objects.visible_to(request.user).filter(
        sequence__project__entity=entity,
        sequence__project__name=project,
        sequence__type=type,
        sequence__name=name,
        version_index=_index(version),
    )
    entry = ManifestEntry.objects.filter(version__in=found, path=path).select_related("blob")
    entry = entry.first()
    if entry is None:
        raise Http404(f"No file {path!r} in {name}:{version}.")
    try:
        entry.version.require_download(request.user)
    except Forbidden as error:
        return HttpResponse(error.message, status=error.status, content_type="text/plain")
    try:
        reader = open_blob(entry.blob)
    except DamagedBlob as error:
        return HttpResponse(error.message, status=error.status, content_type="text/plain")
    response = FileResponse(reader, as_attachment=True, filename=path.rsplit("/", 1)[-1])
    response["Content-Length"] = entry.blob.size
    return response


@require_GET
@login_required
def run(request, entity, project, run_id):
    run = get_object_or_404(
        Run.objects.select_related("project", "author"),
        project=_project(request, entity, project),
        run_id=run_id,
    )
    context = {
        "run": run,
        "project": run.project,
        # visible_to filters in place: an IN over every version there is took 0.5 s.
        "inputs": run.inputs().visible_to(request.user).select_related("sequence__project"),
        "outputs": run.outputs().visible_to(request.user).select_related("sequence__project"),
        "node_id": run.node_id,
        "tab": _tab(request, ("overview", "lineage")),
    }
    return render(request, "registry/run.html", context)


NEW_KEY = "registry-new-api-key"  # the session holds a new key until the page shows it once


@require_GET
@login_required
def settings_page(request):
    keys = request.user.api_keys.all()
    new_key = request.session.pop(NEW_KEY, None)
    return render(request, "registry/settings.html", {"keys": keys, "new_key": new_key})


@require_POST
@login_required
def create_api_key(request):
    """Post/redirect/get: reloading the page after creating a key creates no second one."""
    name = request.POST.get("name", "").strip()[:128]
    _, raw = ApiKey.create_for(request.user, name=name)
    request.session[NEW_KEY] = raw
    return redirect("registry-settings")


@require_POST
@login_required
def revoke_api_key(request, pk):
    key = get_object_or_404(ApiKey, pk=pk, user=request.user, revoked_at__isnull=True)
    key.revoke()
    messages.success(request, f"Key {key.prefix}… revoked.")
    return redirect("registry-settings")


class LoginView(auth_views.LoginView):
    """The log-in page; on an installation without users it says how to create the first."""

    def get_context_data(self, **kwargs):
        first_run = not get_user_model().objects.exists()
        return super().get_context_data(first_run=first_run, **kwargs)
