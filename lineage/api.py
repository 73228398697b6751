"""GET /api/v1/lineage: one view of the graph, ready for Cytoscape.js."""

from ninja import Field, Query, Router, Schema

from registry.auth import key_or_session

from .engine import MAX_HOPS, View, lineage_view

router = Router(tags=["lineage"])


def _names(text):
    return frozenset(item for item in (text or "").split(",") if item)


class ViewQuery(Schema):
    node: str = Field(description="The base node: `artifact:<id>` or `run:<id>`.")
    upstream: int = Field(3, ge=0, le=MAX_HOPS, description="Upstream hops (one hop = one edge).")
    downstream: int = Field(3, ge=0, le=MAX_HOPS, description="Downstream hops.")
    artifact_types: str = Field("", description="Comma-separated artifact types to keep.")
    job_types: str = Field("", description="Comma-separated run job types to keep.")
    extended: bool = Field(False, description="Include extended lineage.")
    generated: bool = Field(False, description="Include generated artifacts.")
    expand_clusters: bool = Field(False, description="Never group nodes into clusters.")
    extract: str = Field("", description="Comma-separated node ids to keep out of clusters.")

    def view(self):
        return View(
            upstream=self.upstream,
            downstream=self.downstream,
            artifact_types=_names(self.artifact_types),
            job_types=_names(self.job_types),
            extended=self.extended,
            generated=self.generated,
            expand_clusters=self.expand_clusters,
            extract=_names(self.extract),
        )


@router.get(
    "/lineage", auth=key_or_session, url_name="lineage", summary="The lineage graph around a node"
)
def lineage(request, query: Query[ViewQuery]):
    """Nodes (runs, artifact versions, clusters) with their level, and the edges between
    them, for the view given. `truncated` is true when the view was cut to the bound."""
    return lineage_view(query.node, query.view())
