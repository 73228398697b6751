"""OpenLineage events built in code, as the spec (2-0-2) defines them."""

import json
import uuid

import pytest

from registry.models import ApiKey

PRODUCER = "https://github.com/OpenLineage/OpenLineage/tree/1.54.0/client/python"
SPEC = "https://openlineage.io/spec/2-0-2/OpenLineage.json"


def facet(schema_name, **fields):
    """A facet with the base fields every facet carries."""
    return {
        "_producer": PRODUCER,
        "_schemaURL": f"https://openlineage.io/spec/facets/1-0-0/{schema_name}.json",
        **fields,
    }


def schema(*columns):
    """A schema facet: ("name", "type") pairs."""
    fields = [{"name": name, "type": type} for name, type in columns]
    return facet("SchemaDatasetFacet", fields=fields)


def dataset(namespace, name, columns=(), version=None, **facets):
    """An input or output dataset; `columns` gives it a schema, `version` a version facet.
    `input_facets` / `output_facets` go to inputFacets / outputFacets."""
    extra = {}
    if "input_facets" in facets:
        extra["inputFacets"] = facets.pop("input_facets")
    if "output_facets" in facets:
        extra["outputFacets"] = facets.pop("output_facets")
    if columns:
        facets["schema"] = schema(*columns)
    if version is not None:
        facets["version"] = facet("DatasetVersionDatasetFacet", datasetVersion=str(version))
    return {"namespace": namespace, "name": name, "facets": facets, **extra}


def run_event(
    event_type,
    run_id,
    job,
    time,
    inputs=(),
    outputs=(),
    run_facets=None,
    job_facets=None,
):
    namespace, name = job
    return {
        "eventType": event_type,
        "eventTime": time,
        "producer": PRODUCER,
        "schemaURL": f"{SPEC}#/$defs/RunEvent",
        "run": {"runId": str(run_id), "facets": run_facets or {}},
        "job": {"namespace": namespace, "name": name, "facets": job_facets or {}},
        "inputs": list(inputs),
        "outputs": list(outputs),
    }


def parent(run_id, job):
    namespace, name = job
    return facet(
        "ParentRunFacet",
        run={"runId": str(run_id)},
        job={"namespace": namespace, "name": name},
    )


def new_run_id():
    return str(uuid.uuid4())


@pytest.fixture
def key(alice):
    return ApiKey.create_for(alice)[1]


@pytest.fixture
def send(client, key):
    """POST one event (a dict, or raw bytes) to /api/v1/lineage with alice's key."""

    def send(event, **headers):
        body = event if isinstance(event, bytes) else json.dumps(event)
        return client.post(
            "/api/v1/lineage",
            body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {key}",
            **headers,
        )

    return send


@pytest.fixture
def g(build):
    """tests/conftest.py's builder, by the name the lineage tests use."""
    return build
