"""Events as Airflow, Spark and dbt send them join one graph."""

import pytest

from registry.models import ArtifactSequence, Run

from .conftest import new_run_id
from .integrations import airflow_dag_run, airflow_task, dbt_model, spark_job

DAG_RUN, TASK, SPARK, DBT, DBT_RUN = (new_run_id() for _ in range(5))


@pytest.fixture
def sent(send):
    events = (
        airflow_dag_run(DAG_RUN, "2024-05-01T00:00:01Z", "2024-05-01T00:20:00Z")
        + airflow_task(TASK, DAG_RUN, "2024-05-01T00:00:05.000001Z", "2024-05-01T00:04:00Z")
        + spark_job(
            SPARK,
            "2024-05-01T00:10:00.123456789Z",
            "2024-05-01T00:11:00.5Z",
            "2024-05-01T00:12:00.987654321Z",
            delta_version=17,
        )
        + dbt_model(DBT, DBT_RUN, "2024-05-01T01:00:00+02:00", "2024-05-01T01:00:09+02:00")
    )
    for event in events:
        assert send(event).status_code == 201
    return {run.run_id: run for run in Run.objects.select_related("project")}


def test_airflow_tasks_link_to_their_dag_run(sent):
    task, dag = sent[TASK], sent[DAG_RUN]
    assert task.name == "orders_daily.load_orders"
    assert (task.job_type, task.state) == ("airflow", "finished")
    assert (dag.name, str(dag.project)) == ("orders_daily", "openlineage/airflow-prod")
    assert task.parent_run() == dag and task.parent_run_id() == DAG_RUN
    assert list(dag.child_runs()) == [task]
    job = task.shown_facets()["job"]
    assert job["sql"]["dialect"] == "postgres" and job["jobType"]["jobType"] == "TASK"
    assert task.shown_facets()["run"]["airflow"]["task"]["task_id"] == "load_orders"


def test_spark_reads_the_airflow_output_and_writes_one_delta_version(sent):
    spark, task = sent[SPARK], sent[TASK]
    assert (spark.job_type, spark.state) == ("spark", "finished")
    assert spark.started_at.isoformat() == "2024-05-01T00:10:00.123456+00:00"
    assert list(spark.inputs()) == list(task.outputs())
    features = ArtifactSequence.objects.get(openlineage_name="warehouse/features")
    (version,) = features.versions.all()  # START and RUNNING knew the schema, COMPLETE the version
    assert version.identity["datasetVersion"] == "17"
    assert version.shown_facets()["symlinks"]["identifiers"][0]["name"] == "warehouse.features"
    ((written, scope, facets),) = spark.edge_facets()
    assert (written, scope, facets["outputStatistics"]["rowCount"]) == (version, "output", 1200)
    assert len(spark.shown_facets()["run"]["spark.logicalPlan"]["plan"]) == 2000


def test_dbt_models_keep_their_sql_and_test_assertions(sent):
    model = sent[DBT]
    assert (model.name, model.job_type) == ("analytics.model.analytics.order_features_daily", "dbt")
    assert model.started_at.isoformat() == "2024-04-30T23:00:00+00:00"
    assert model.parent_run_id() == DBT_RUN and model.parent_run() is None  # never sent
    assert "from `acme-prod`" in model.shown_facets()["job"]["sql"]["query"]
    ((read, scope, facets),) = model.edge_facets()
    assert (read.sequence.openlineage_name, scope) == ("acme-prod.raw.features", "input")
    assert facets["dataQualityAssertions"]["assertions"][0]["success"] is True
    assert str(read.sequence.project) == "openlineage/bigquery"


def test_the_lineage_api_walks_from_spark_output_back_to_airflow_input(sent, client, key):
    response = client.get(
        "/api/v1/lineage",
        {"node": "dataset:s3://lake:warehouse/features", "upstream": 4, "downstream": 0},
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    labels = {n["data"]["label"] for n in response.json()["elements"]["nodes"]}
    assert labels == {
        "warehouse-features:v0",
        sent[SPARK].name,
        "shop.public.orders:v0",
        "orders_daily.load_orders",
        "shop.public.raw_orders:v0",
    }
