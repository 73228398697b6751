from django import template

from lineage.forms import ViewForm

register = template.Library()


@register.inclusion_tag("lineage/_graph.html", takes_context=True)
def lineage_graph(context, node_id):
    """The Lineage tab for `node_id` ("artifact:12", "run:3"), its view from the URL."""
    request = context["request"]
    return {"node_id": node_id, "form": ViewForm(request.GET), "request": request}
