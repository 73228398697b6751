"""The graph page's server side: node previews (htmx partials) and a full page per node."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from registry.errors import DomainError, InvalidName
from registry.models import ArtifactVersion, Registry, Run
from registry.names import parse_node_id

from .access import is_locked_id
from .engine import cluster_members
from .impact import impact
from .openlineage_ids import openlineage_id, resolve
from .view import View


def _node(node_id, user):
    """The run or version `node_id` names, if `user` may see it; else 404, as if it did
    not exist."""
    try:
        kind, pk = parse_node_id(node_id)
    except InvalidName as error:
        raise Http404(error.message) from error
    if kind == "run":
        runs = Run.objects.visible_to(user).select_related("project", "author")
        return kind, get_object_or_404(runs, pk=pk)
    queryset = ArtifactVersion.objects.visible_to(user).select_related("sequence__project")
    return kind, get_object_or_404(queryset, pk=pk)


def _seen(queryset, user):
    """(what of `queryset` the user may see, how many others they may not)."""
    everything = list(queryset)
    seen = set(queryset.visible_to(user).values_list("pk", flat=True))
    return [row for row in everything if row.pk in seen], len(everything) - len(seen)


@require_GET
@login_required
def preview(request, node_id):
    if is_locked_id(node_id):  # a placeholder: nothing to tell but that
        return render(request, "lineage/partials/_locked_preview.html")
    user = request.user
    kind, node = _node(node_id, user)
    if kind == "run":
        inputs, locked_inputs = _seen(node.inputs(), user)
        outputs, locked_outputs = _seen(node.outputs(), user)
        context = {"run": node, "inputs": inputs, "outputs": outputs}
        context |= {"locked_inputs": locked_inputs, "locked_outputs": locked_outputs}
        context["openlineage"] = _openlineage_run(node, user)
        return render(request, "lineage/partials/_run_preview.html", context)
    producers, locked_producers = _seen(node.producers(), user)
    links = node.registry_links_visible_to(user)
    counts = impact(node.pk, Registry.objects.visible_to(user), user)
    context = {"version": node, "impact": counts, "links": links, "producers": producers}
    context["locked_producers"] = locked_producers
    context["openlineage"] = _openlineage_dataset(node)
    return render(request, "lineage/partials/_artifact_preview.html", context)


CHILDREN_LISTED = 20


def _openlineage_run(run, user):
    """What a run's preview shows of its OpenLineage events (None for our clients' runs);
    a parent or child run the user may not see is left out, said locked."""
    namespace = run.project.openlineage_namespace
    if not namespace:
        return None
    visible = Run.objects.visible_to(user)
    parent = run.parent_run()
    parent_locked = parent is not None and not visible.filter(pk=parent.pk).exists()
    child_runs = run.child_runs().filter(pk__in=visible.values("pk"))
    children = list(child_runs[: CHILDREN_LISTED + 1])
    return {
        "node_id": openlineage_id("job", namespace, run.name),
        "facets": run.shown_facets(),
        "edge_facets": run.edge_facets(),
        "parent_id": run.parent_run_id(),
        "parent": None if parent_locked else parent,
        "parent_locked": parent_locked,
        "children": children[:CHILDREN_LISTED],
        "more_children": child_runs.count() - CHILDREN_LISTED
        if len(children) > CHILDREN_LISTED
        else 0,
    }


def _openlineage_dataset(version):
    sequence = version.sequence
    if not sequence.openlineage_name:
        return None
    namespace = sequence.project.openlineage_namespace
    return {
        "node_id": openlineage_id("dataset", namespace, sequence.openlineage_name),
        "facets": version.shown_facets(),
    }


@require_GET
@login_required
def page(request, node_id):
    kind, node = _node(node_id, request.user)
    return render(request, "lineage/page.html", {"node": node, "node_id": node_id})


@require_GET
@login_required
def page_for_node(request):
    """`/lineage/?node=...`: the page of any node id, Marquez's `dataset:`/`job:` ones
    included (always their newest version or latest run), the rest of the view kept."""
    params = request.GET.copy()
    try:
        node_id = resolve(params.pop("node", [""])[-1], request.user)
        parse_node_id(node_id)
    except DomainError as error:
        raise Http404(error.message) from error
    query = f"?{params.urlencode()}" if params else ""
    return redirect(reverse("lineage-page", args=[node_id]) + query)


@require_GET
@login_required
def cluster(request):
    """A cluster's panel: its members, narrowed by `q` (the search box asks again as you
    type), each with Preview and Extract. The query string carries the view."""
    params = request.GET.copy()
    query = params.pop("q", [""])[-1]
    try:
        view = View.from_query(params, others=["node", "cluster", "label"])
        node = resolve(params.get("node", ""), request.user)
        cluster_id = params.get("cluster")
        members, total = cluster_members(node, view, cluster_id, query, user=request.user)
    except DomainError as error:
        raise Http404(error.message) from error
    context = {
        "members": members,
        "total": total,
        "query": query,
        "label": params.get("label", "Cluster"),
        "url": f"{request.path}?{params.urlencode()}",
    }
    return render(request, "lineage/partials/_cluster.html", context)
