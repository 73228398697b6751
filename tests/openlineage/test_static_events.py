"""DatasetEvent and JobEvent: static metadata about a dataset or a job, outside any run."""

from registry.models import ArtifactSequence, LineageEdge, Run

from .conftest import PRODUCER, SPEC, dataset, facet, new_run_id, run_event

ORDERS = ("postgres://db:5432", "shop.public.orders")


def dataset_event(time, **facets):
    return {
        "eventTime": time,
        "producer": PRODUCER,
        "schemaURL": f"{SPEC}#/$defs/DatasetEvent",
        "dataset": {"namespace": ORDERS[0], "name": ORDERS[1], "facets": facets},
    }


def job_event(time, inputs=(), outputs=(), **facets):
    return {
        "eventTime": time,
        "producer": PRODUCER,
        "schemaURL": f"{SPEC}#/$defs/JobEvent",
        "job": {"namespace": "airflow://prod", "name": "etl.load", "facets": facets},
        "inputs": list(inputs),
        "outputs": list(outputs),
    }


def test_a_dataset_event_describes_the_dataset_and_deletes_a_facet(send):
    owners = facet("OwnershipDatasetFacet", owners=[{"name": "sales", "type": "team"}])
    docs = facet("DocumentationDatasetFacet", description="One row per order.")
    response = send(dataset_event("2024-05-01T09:00:00Z", ownership=owners, documentation=docs))
    assert response.status_code == 201
    (version,) = ArtifactSequence.objects.get(openlineage_name=ORDERS[1]).versions.all()
    assert response.json()["nodes"] == [version.node_id]
    assert set(version.shown_facets()) == {"ownership", "documentation"}
    assert not LineageEdge.objects.exists() and not Run.objects.exists()

    # A later run writing it with a schema completes the same version; its facets join.
    send(
        run_event(
            "COMPLETE",
            new_run_id(),
            ("airflow://prod", "etl.load"),
            "2024-05-01T10:00:00Z",
            outputs=[dataset(*ORDERS, [("id", "int")])],
        )
    )
    version.refresh_from_db()
    assert ArtifactSequence.objects.get(openlineage_name=ORDERS[1]).versions.count() == 1
    assert set(version.shown_facets()) == {"ownership", "documentation", "schema"}

    # `_deleted` removes a facet from what is shown (kept all the same); order does not matter.
    deleted = {"_producer": PRODUCER, "_schemaURL": "x", "_deleted": True}
    send(dataset_event("2024-05-01T11:00:00Z", ownership=deleted))
    send(dataset_event("2024-05-01T08:00:00Z", documentation={**docs, "description": "old"}))
    shown = version.shown_facets()
    assert "ownership" not in shown
    assert shown["documentation"]["description"] == "One row per order."
    assert version.facets.filter(name="ownership").count() == 2


def test_a_job_event_gives_the_jobs_runs_their_job_facets_and_names_datasets(send):
    sql = facet("SQLJobFacet", query="INSERT INTO orders SELECT * FROM raw")
    docs = facet("DocumentationJobFacet", description="Loads orders nightly.")
    event = job_event(
        "2024-05-01T09:00:00Z",
        inputs=[dataset("postgres://db:5432", "shop.public.raw", [("id", "int")])],
        outputs=[dataset(*ORDERS, [("id", "int")])],
        sql=sql,
        documentation=docs,
    )
    response = send(event)
    assert response.status_code == 201 and len(response.json()["nodes"]) == 2
    assert (
        ArtifactSequence.objects.filter(openlineage_name__in=["shop.public.raw", ORDERS[1]]).count()
        == 2
    )
    assert not Run.objects.exists()  # a job without a run is no node of the graph

    own_sql = facet("SQLJobFacet", query="INSERT INTO orders SELECT id FROM raw")
    send(
        run_event(
            "START",
            new_run_id(),
            ("airflow://prod", "etl.load"),
            "2024-05-01T08:00:00Z",
            job_facets={"sql": own_sql},
        )
    )
    job = Run.objects.get().shown_facets()["job"]
    assert job["documentation"]["description"] == "Loads orders nightly."  # from the JobEvent
    assert job["sql"]["query"] == "INSERT INTO orders SELECT id FROM raw"  # the run's own wins
