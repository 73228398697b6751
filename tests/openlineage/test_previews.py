"""The preview panel shows a run's or dataset's OpenLineage identity and facets, escaped."""

import pytest

from registry.models import ArtifactSequence, Run

from .conftest import dataset, facet, new_run_id, run_event
from .integrations import airflow_dag_run, airflow_task, spark_job

DAG_RUN, TASK, SPARK = (new_run_id() for _ in range(3))
HOSTILE = "<script>alert('x')</script>"


@pytest.fixture
def viewer(client, alice, send):
    for event in (
        airflow_dag_run(DAG_RUN, "2024-05-01T00:00:01Z", "2024-05-01T00:20:00Z")
        + airflow_task(TASK, DAG_RUN, "2024-05-01T00:00:05Z", "2024-05-01T00:04:00Z")
        + spark_job(
            SPARK,
            "2024-05-01T00:10:00Z",
            "2024-05-01T00:11:00Z",
            "2024-05-01T00:12:00Z",
            delta_version=3,
        )
    ):
        assert send(event).status_code == 201
    client.force_login(alice)
    return client


def preview(viewer, node):
    response = viewer.get(f"/lineage/preview/{node}/")
    assert response.status_code == 200
    return response.content.decode()


def test_a_task_run_shows_its_job_parent_and_facets(viewer):
    task, dag = Run.objects.get(run_id=TASK), Run.objects.get(run_id=DAG_RUN)
    body = preview(viewer, f"run:{task.pk}")
    assert "<code>airflow-prod</code>" in body and "<code>orders_daily.load_orders</code>" in body
    assert f'<a href="{dag.get_absolute_url()}">orders_daily</a>' in body
    assert f'data-recenter="run:{dag.pk}"' in body
    assert "/lineage/?node=job%3Aairflow-prod%3Aorders_daily.load_orders" in body
    assert '<pre class="facet-code"><code>INSERT INTO orders SELECT id, sum(amount)' in body
    assert "<code>ownership</code>" in body and "&quot;data-eng&quot;" in body  # as JSON
    body = preview(viewer, f"run:{dag.pk}")
    assert f'<a href="{task.get_absolute_url()}">orders_daily.load_orders</a>' in body


def test_a_dataset_shows_its_schema_and_column_lineage_as_tables(viewer):
    orders = ArtifactSequence.objects.get(openlineage_name="shop.public.orders").newest_version()
    body = preview(viewer, f"artifact:{orders.pk}")
    assert "<code>postgres://db.internal:5432</code>" in body
    assert "<code>shop.public.orders</code>" in body
    assert "<tr><td><code>order_id</code></td><td>integer</td><td></td></tr>" in body
    assert (
        "<tr><td><code>total</code></td><td><code>postgres://db.internal:5432 "
        "shop.public.raw_orders.amount (AGGREGATION)</code></td></tr>"
    ) in body
    assert "?node=dataset%3Apostgres%3A%2F%2Fdb.internal%3A5432%3Ashop.public.orders" in body


def test_a_spark_run_shows_its_output_statistics_and_a_cut_plan(viewer):
    spark = Run.objects.get(run_id=SPARK)
    body = preview(viewer, f"run:{spark.pk}")
    assert "output facets of warehouse-features:v0" in body
    assert "&quot;rowCount&quot;: 1200" in body
    assert "more characters (the whole facet is kept)" in body


def test_everything_a_sender_wrote_is_escaped(viewer, send):
    send(
        run_event(
            "COMPLETE",
            new_run_id(),
            (HOSTILE, HOSTILE),
            "2024-05-01T00:00:00Z",
            outputs=[
                dataset(
                    "s3://b", HOSTILE, [(HOSTILE, HOSTILE)], sql=facet("SQLJobFacet", query=HOSTILE)
                )
            ],
            run_facets={HOSTILE: {"value": HOSTILE}},
            job_facets={"sql": facet("SQLJobFacet", query=HOSTILE, dialect=HOSTILE)},
        )
    )
    run = Run.objects.get(name=HOSTILE)
    for node in (f"run:{run.pk}", f"artifact:{run.outputs().get().pk}"):
        body = preview(viewer, node)
        assert "<script>alert" not in body
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in body


def test_runs_and_versions_of_our_clients_show_no_openlineage_section(viewer, g):
    data = g.art("data")
    run = g.run("train", uses=[data])
    assert "OpenLineage" not in preview(viewer, f"run:{run.pk}")
    assert "OpenLineage" not in preview(viewer, f"artifact:{data.pk}")
