"""GET /api/v1/lineage: one view of the graph, ready for Cytoscape.js."""

from ninja import Router

from registry.auth import key_or_session

from .engine import lineage_view
from .openlineage_ids import resolve
from .view import InvalidView, View

router = Router(tags=["lineage"])

SCHEMAS = {
    "int": lambda spec: {"type": "integer", "minimum": 0, "maximum": spec["max"]},
    "bool": lambda spec: {"type": "string", "enum": ["0", "1"]},
    "list": lambda spec: {"type": "string", "description": "Items joined by commas."},
}


def _schema(spec):
    default = int(spec["default"]) if spec["kind"] == "int" else spec["default"]
    return {**SCHEMAS[spec["kind"]](spec), "default": default}


def _parameters():
    """The query's documentation, from the view's one definition (lineage/view.py)."""
    node = {
        "name": "node",
        "in": "query",
        "required": True,
        "description": "The base node: `artifact:<id>`, `run:<id>`, or Marquez's "
        "`dataset:<namespace>:<name>` (its newest version) or `job:<namespace>:<name>` "
        "(its latest run).",
        "schema": {"type": "string"},
    }
    return [node] + [
        {
            "name": spec["name"],
            "in": "query",
            "required": False,
            "description": spec["help"],
            "schema": _schema(spec),
        }
        for spec in View.spec()
    ]


@router.get(
    "/lineage",
    auth=key_or_session,
    url_name="lineage",
    summary="The lineage graph around a node",
    openapi_extra={"parameters": _parameters()},
)
def lineage(request):
    """Nodes (runs, artifact versions, clusters) with their level, and the edges between
    them, for the view given. `truncated` is true when the view was cut to the bound.
    `markers` are the "+N more" nodes (kind `more`) where the hops or the bound cut the
    view, each with an edge to its anchor; `grow=<marker id>,...` grows them in place."""
    view = View.from_query(request.GET, others=["node"])
    node = request.GET.get("node")
    if not node:
        raise InvalidView("The request is not valid: say which node, e.g. node=artifact:12.")
    return lineage_view(resolve(node, request.user), view, request.user)
