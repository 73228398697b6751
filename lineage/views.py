"""The graph page's server side: node previews (htmx partials) and a full page per node."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from registry.errors import DomainError, InvalidName
from registry.models import ArtifactVersion, Registry, Run
from registry.names import parse_node_id

from .engine import cluster_members, impact
from .view import View


def _node(node_id):
    try:
        kind, pk = parse_node_id(node_id)
    except InvalidName as error:
        raise Http404(error.message) from error
    if kind == "run":
        return kind, get_object_or_404(Run.objects.select_related("project", "author"), pk=pk)
    queryset = ArtifactVersion.objects.select_related("sequence__project")
    return kind, get_object_or_404(queryset, pk=pk)


@require_GET
@login_required
def preview(request, node_id):
    kind, node = _node(node_id)
    if kind == "run":
        context = {"run": node, "inputs": node.inputs(), "outputs": node.outputs()}
        return render(request, "lineage/partials/_run_preview.html", context)
    links = node.registry_links_visible_to(request.user)
    counts = impact(node.pk, Registry.objects.visible_to(request.user))
    context = {"version": node, "impact": counts, "links": links}
    return render(request, "lineage/partials/_artifact_preview.html", context)


@require_GET
@login_required
def page(request, node_id):
    kind, node = _node(node_id)
    return render(request, "lineage/page.html", {"node": node, "node_id": node_id})


@require_GET
@login_required
def cluster(request):
    """A cluster's panel: its members, narrowed by `q` (the search box asks again as you
    type), each with Preview and Extract. The query string carries the view."""
    params = request.GET.copy()
    query = params.pop("q", [""])[-1]
    try:
        view = View.from_query(params, others=["node", "cluster", "label"])
        members, total = cluster_members(params.get("node"), view, params.get("cluster"), query)
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
