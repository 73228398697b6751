"""The real openlineage-python client, pointed at the server by OPENLINEAGE_URL and
OPENLINEAGE_API_KEY only, sends a two-job pipeline; a training run logged with
lineage_client uses its output; the lineage API walks from the model to the first dataset."""

import os
import subprocess
import sys
import textwrap

import lineage_client as wandb
import pytest
from lineage_client import _http

from registry.models import ApiKey, Run

PIPELINE = textwrap.dedent(
    """
    import sys, uuid
    from datetime import datetime, timezone
    from openlineage.client import OpenLineageClient
    from openlineage.client.event_v2 import (
        InputDataset, Job, OutputDataset, Run, RunEvent, RunState,
    )
    from openlineage.client.facet_v2 import (
        job_type_job, parent_run, schema_dataset, sql_job,
    )

    client = OpenLineageClient()  # OPENLINEAGE_URL, OPENLINEAGE_API_KEY
    NAMESPACE = "airflow-prod"

    def table(cls, namespace, name, *columns):
        fields = [schema_dataset.SchemaDatasetFacetFields(name=c, type="STRING") for c in columns]
        return cls(namespace=namespace, name=name,
                   facets={"schema": schema_dataset.SchemaDatasetFacet(fields=fields)})

    def run_job(name, inputs, outputs, dag_run):
        run_id = str(uuid.uuid4())
        dag = parent_run.Job(namespace=NAMESPACE, name="daily")
        facets = {"parent": parent_run.ParentRunFacet(run=parent_run.Run(runId=dag_run), job=dag)}
        job_facets = {
            "jobType": job_type_job.JobTypeJobFacet(
                processingType="BATCH", integration="AIRFLOW", jobType="TASK"),
            "sql": sql_job.SQLJobFacet(query=f"-- {name}"),
        }
        job = Job(namespace=NAMESPACE, name=f"daily.{name}", facets=job_facets)
        for state in (RunState.START, RunState.COMPLETE):
            client.emit(RunEvent(
                eventType=state, eventTime=datetime.now(timezone.utc).isoformat(),
                run=Run(runId=run_id, facets=facets), job=job, inputs=inputs, outputs=outputs,
                producer="https://example.com/our-dag"))
        return run_id

    dag_run = str(uuid.uuid4())
    raw = table(InputDataset, "postgres://db:5432", "shop.public.raw_orders", "id", "amount")
    staged = table(OutputDataset, "s3://lake", "staged/orders", "id", "amount")
    staged_in = table(InputDataset, "s3://lake", "staged/orders", "id", "amount")
    features = table(OutputDataset, "s3://lake", "features/orders", "id", "total")
    print(run_job("extract", [raw], [staged], dag_run))
    print(run_job("transform", [staged_in], [features], dag_run))
    """
)


@pytest.fixture
def server(live_server, transactional_db, django_user_model, monkeypatch, tmp_path):
    alice = django_user_model.objects.create_user("alice", password="alice-password")
    _, key = ApiKey.create_for(alice)
    monkeypatch.setenv("LINEAGE_BASE_URL", live_server.url)
    monkeypatch.setenv("LINEAGE_API_KEY", key)
    monkeypatch.setenv("LINEAGE_SILENT", "1")
    monkeypatch.setattr(_http, "_settings", {})
    monkeypatch.setattr(wandb, "run", None)
    monkeypatch.chdir(tmp_path)
    return live_server, key


def send_pipeline(url, key, tmp_path):
    """The script above as a user runs it: its own process, only the two variables set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENLINEAGE")}
    env.update(OPENLINEAGE_URL=url, OPENLINEAGE_API_KEY=key, HOME=str(tmp_path))
    return subprocess.run(
        [sys.executable, "-c", PIPELINE],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_model_traces_back_through_the_pipeline_to_its_first_dataset(server, tmp_path):
    live_server, key = server
    sent = send_pipeline(live_server.url, key, tmp_path)
    assert sent.returncode == 0, sent.stderr
    extract_id, transform_id = sent.stdout.split()

    (tmp_path / "model.pt").write_bytes(b"weights")
    with wandb.init(entity="alice", project="zoo", job_type="train") as run:
        features = run.use_artifact("openlineage/s3-lake/features-orders:latest")
        model = wandb.Artifact("orders-model", type="model")
        model.add_file(str(tmp_path / "model.pt"))
        run.log_artifact(model)
    assert features.type == "dataset"

    graph = wandb.Api().lineage(f"artifact:{model.id}", upstream=6, downstream=0)
    nodes = {n["data"]["id"]: n["data"] for n in graph["elements"]["nodes"]}
    assert sorted((d["level"], d["label"]) for d in nodes.values()) == [
        (-6, "shop.public.raw_orders:v0"),
        (-5, "daily.extract"),
        (-4, "staged-orders:v0"),
        (-3, "daily.transform"),
        (-2, "features-orders:v0"),
        (-1, run.name),
        (0, "orders-model:v0"),
    ]
    extract, transform = (Run.objects.get(run_id=i) for i in (extract_id, transform_id))
    assert extract.state == transform.state == "finished"
    assert transform.shown_facets()["job"]["sql"]["query"] == "-- transform"
    assert transform.parent_run_id() == extract.parent_run_id()

    # The same chain by Marquez's ids: from the first dataset down to the model.
    down = wandb.Api().lineage(
        "dataset:postgres://db:5432:shop.public.raw_orders", upstream=0, downstream=6
    )
    assert "orders-model:v0" in {n["data"]["label"] for n in down["elements"]["nodes"]}


def test_the_client_reports_a_refused_key(server, tmp_path):
    live_server, _ = server
    sent = send_pipeline(live_server.url, "lr-not-a-key", tmp_path)
    assert sent.returncode != 0
    assert "401" in sent.stderr
    assert not Run.objects.exists()
