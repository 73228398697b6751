"""Events shaped as the Airflow provider, the Spark listener and dbt-ol send them, with
their usual facets, written from the OpenLineage spec (2-0-2) and its facet schemas."""

from .conftest import dataset, facet, parent, run_event, schema


def airflow_dag_run(dag_run_id, start, end, namespace="airflow-prod", dag="orders_daily"):
    """The DAG run's own START and COMPLETE (jobType DAG)."""
    job_facets = {
        "jobType": facet(
            "JobTypeJobFacet", processingType="BATCH", integration="AIRFLOW", jobType="DAG"
        )
    }
    run_facets = {
        "airflowDagRun": facet(
            "AirflowDagRunFacet",
            dag={"dag_id": dag, "schedule_interval": "@daily", "owner": "data-eng"},
            dagRun={"run_id": "scheduled__2024-05-01T00:00:00+00:00", "run_type": "scheduled"},
        ),
        "nominalTime": facet("NominalTimeRunFacet", nominalStartTime="2024-05-01T00:00:00Z"),
    }
    return [
        run_event(
            "START",
            dag_run_id,
            (namespace, dag),
            start,
            run_facets=run_facets,
            job_facets=job_facets,
        ),
        run_event("COMPLETE", dag_run_id, (namespace, dag), end, job_facets=job_facets),
    ]


def airflow_task(run_id, dag_run_id, start, end, namespace="airflow-prod", dag="orders_daily"):
    """An SQL task of the DAG: postgres in, postgres out, with SQL, column lineage, the
    Airflow run facet and the parent facet naming the DAG run."""
    job = (namespace, f"{dag}.load_orders")
    source = "postgres://db.internal:5432"
    inputs = [
        dataset(
            source,
            "shop.public.raw_orders",
            [("id", "integer"), ("amount", "numeric")],
            dataSource=facet("DatasourceDatasetFacet", name=source, uri=source),
        )
    ]
    outputs = [
        dataset(
            source,
            "shop.public.orders",
            [("order_id", "integer"), ("total", "numeric")],
            dataSource=facet("DatasourceDatasetFacet", name=source, uri=source),
            columnLineage=facet(
                "ColumnLineageDatasetFacet",
                fields={
                    "order_id": {
                        "inputFields": [
                            {
                                "namespace": source,
                                "name": "shop.public.raw_orders",
                                "field": "id",
                                "transformations": [{"type": "DIRECT", "subtype": "IDENTITY"}],
                            }
                        ]
                    },
                    "total": {
                        "inputFields": [
                            {
                                "namespace": source,
                                "name": "shop.public.raw_orders",
                                "field": "amount",
                                "transformations": [{"type": "INDIRECT", "subtype": "AGGREGATION"}],
                            }
                        ]
                    },
                },
            ),
        )
    ]
    job_facets = {
        "jobType": facet(
            "JobTypeJobFacet", processingType="BATCH", integration="AIRFLOW", jobType="TASK"
        ),
        "sql": facet(
            "SQLJobFacet",
            query="INSERT INTO orders SELECT id, sum(amount) FROM raw_orders GROUP BY id",
            dialect="postgres",
        ),
        "ownership": facet("OwnershipJobFacet", owners=[{"name": "data-eng", "type": "team"}]),
    }
    run_facets = {
        "parent": parent(dag_run_id, (namespace, dag)),
        "airflow": facet(
            "AirflowRunFacet",
            dag={"dag_id": dag},
            task={"task_id": "load_orders", "operator_class": "SQLExecuteQueryOperator"},
            taskInstance={"try_number": 1, "pool": "default_pool", "queued_dttm": start},
        ),
        "processing_engine": facet(
            "ProcessingEngineRunFacet",
            name="Airflow",
            version="2.10.4",
            openlineageAdapterVersion="2.1.0",
        ),
    }
    return [
        run_event("START", run_id, job, start, inputs, outputs, run_facets, job_facets),
        run_event(
            "COMPLETE",
            run_id,
            job,
            end,
            inputs,
            outputs,
            {"parent": run_facets["parent"]},
            job_facets,
        ),
    ]


def spark_job(run_id, start, running, end, delta_version, namespace="spark-cluster"):
    """A Spark SQL job (the listener's START, RUNNING, COMPLETE; Java timestamps with
    nanoseconds): the Airflow output read over JDBC, a Delta table written to S3 whose
    version facet arrives with COMPLETE only, and a large logical plan."""
    job = (
        namespace,
        "orders_features.execute_insert_into_hadoop_fs_relation_command.warehouse_features",
    )
    jdbc = "postgres://db.internal:5432"
    columns = [("order_id", "integer"), ("total", "decimal(10,2)"), ("bucket", "string")]
    inputs = [dataset(jdbc, "shop.public.orders", [("order_id", "integer"), ("total", "numeric")])]
    base = dict(
        symlinks=facet(
            "SymlinksDatasetFacet",
            identifiers=[
                {
                    "namespace": "hive://metastore:9083",
                    "name": "warehouse.features",
                    "type": "TABLE",
                }
            ],
        ),
        dataSource=facet("DatasourceDatasetFacet", name="s3://lake", uri="s3://lake"),
        lifecycleStateChange=facet(
            "LifecycleStateChangeDatasetFacet", lifecycleStateChange="OVERWRITE"
        ),
    )
    started = dataset("s3://lake", "warehouse/features", columns, **base)
    finished = dataset(
        "s3://lake",
        "warehouse/features",
        columns,
        version=delta_version,
        **base,
        output_facets={
            "outputStatistics": facet(
                "OutputStatisticsOutputDatasetFacet", rowCount=1200, size=48213
            )
        },
    )
    plan = [
        {
            "class": "org.apache.spark.sql.execution.datasources.InsertIntoHadoopFsRelation",
            "num-children": 1,
            "child": i,
        }
        for i in range(2000)
    ]
    run_facets = {
        "spark_properties": facet(
            "SparkPropertiesFacet",
            properties={"spark.master": "yarn", "spark.app.name": "orders_features"},
        ),
        "processing_engine": facet(
            "ProcessingEngineRunFacet",
            name="spark",
            version="3.5.1",
            openlineageAdapterVersion="1.54.0",
        ),
        "spark.logicalPlan": facet("LogicalPlanFacet", plan=plan),
    }
    job_facets = {
        "jobType": facet(
            "JobTypeJobFacet", processingType="BATCH", integration="SPARK", jobType="SQL_JOB"
        )
    }
    return [
        run_event("START", run_id, job, start, inputs, [started], run_facets, job_facets),
        run_event("RUNNING", run_id, job, running, inputs, [started], run_facets, job_facets),
        run_event("COMPLETE", run_id, job, end, inputs, [finished], {}, job_facets),
    ]


def dbt_model(run_id, dbt_run_id, start, end, namespace="dbt"):
    """dbt-ol's events for one model on BigQuery: the Spark output (via its Hive symlink's
    table) in, a model table out, compiled SQL, a failing-then-passing test's assertions."""
    job = (namespace, "analytics.model.analytics.order_features_daily")
    inputs = [
        dataset(
            "bigquery",
            "acme-prod.raw.features",
            [("order_id", "INT64")],
            input_facets={
                "dataQualityAssertions": facet(
                    "DataQualityAssertionsDatasetFacet",
                    assertions=[{"assertion": "not_null", "success": True, "column": "order_id"}],
                )
            },
        )
    ]
    outputs = [
        dataset(
            "bigquery",
            "acme-prod.analytics.order_features_daily",
            [("order_id", "INT64"), ("total", "NUMERIC"), ("day", "DATE")],
            documentation=facet(
                "DocumentationDatasetFacet", description="Order features, one row a day."
            ),
        )
    ]
    job_facets = {
        "sql": facet(
            "SQLJobFacet",
            query="select order_id, total, date(ts) as day\nfrom `acme-prod`.`raw`.`features`",
            dialect="bigquery",
        ),
        "jobType": facet(
            "JobTypeJobFacet", processingType="BATCH", integration="DBT", jobType="MODEL"
        ),
    }
    run_facets = {
        "parent": parent(dbt_run_id, (namespace, "dbt-run-analytics")),
        "dbt_version": facet("DbtVersionRunFacet", version="1.8.2"),
        "processing_engine": facet(
            "ProcessingEngineRunFacet",
            name="dbt",
            version="1.8.2",
            openlineageAdapterVersion="1.54.0",
        ),
    }
    return [
        run_event("START", run_id, job, start, inputs, outputs, run_facets, job_facets),
        run_event("COMPLETE", run_id, job, end, inputs, outputs, run_facets, job_facets),
    ]


__all__ = ["airflow_dag_run", "airflow_task", "dbt_model", "schema", "spark_job"]
