from django import template

from lineage.forms import ViewForm
from lineage.view import InvalidView, View

register = template.Library()


@register.inclusion_tag("lineage/_graph.html", takes_context=True)
def lineage_graph(context, node_id):
    """The Lineage tab for `node_id` ("artifact:12", "run:3"), its view from the URL. A
    view the URL gets wrong is said above the graph, which shows the default view."""
    request = context["request"]
    try:
        view, error = View.from_query(request.GET), None
    except InvalidView as invalid:
        view, error = View(), invalid.message
    return {
        "node_id": node_id,
        "form": ViewForm(request.user, view),
        "view_spec": View.spec(),
        "view_error": error,
        "request": request,
    }
