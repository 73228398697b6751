"""Marquez's node ids in the lineage API and the graph page."""

from urllib.parse import quote

import pytest

from registry.models import ArtifactCollection, ArtifactSequence, Run

from .conftest import dataset, new_run_id, run_event

SOURCE = ("postgres://db:5432", "shop.public.orders")
ODD = ("s3://bucket", "logs/2024:05:01.json")  # a name that holds `:`


@pytest.fixture
def pipeline(send):
    """Two runs of job `etl.load` (the second the latest) writing SOURCE v0 then v1."""
    for minute, columns in ((0, [("id", "int")]), (30, [("id", "int"), ("total", "int")])):
        send(
            run_event(
                "COMPLETE",
                new_run_id(),
                ("airflow://prod", "etl.load"),
                f"2024-05-01T10:{minute:02d}:00Z",
                outputs=[dataset(*SOURCE, columns), dataset(*ODD)],
            )
        )
    return Run.objects.order_by("started_at")


def lineage(client, key, node, **params):
    params = {"node": node, **params}
    return client.get("/api/v1/lineage", params, HTTP_AUTHORIZATION=f"Bearer {key}")


def test_it_takes_a_dataset_id_for_its_newest_version(client, key, pipeline):
    newest = ArtifactCollection.objects.get(openlineage_name=SOURCE[1]).versions.get(
        memberships__index=1
    )
    response = lineage(client, key, "dataset:postgres://db:5432:shop.public.orders", upstream=1)
    assert response.status_code == 200
    assert response.json()["base"] == f"artifact:{newest.pk}"
    labels = [n["data"]["label"] for n in response.json()["elements"]["nodes"]]
    assert sorted(labels) == ["etl.load", "shop.public.orders:v1"]


def test_it_takes_a_job_id_for_its_latest_run(client, key, pipeline):
    response = lineage(client, key, "job:airflow://prod:etl.load", downstream=1)
    assert response.status_code == 200
    assert response.json()["base"] == f"run:{pipeline.last().pk}"


def test_it_reads_a_name_holding_a_colon_url_encoded(client, key, pipeline):
    node = f"dataset:s3://bucket:{quote(ODD[1], safe='/')}"
    assert node == "dataset:s3://bucket:logs/2024%3A05%3A01.json"
    response = lineage(client, key, node)
    assert response.status_code == 200
    base = response.json()["base"]
    assert base.startswith("artifact:")
    assert ArtifactCollection.objects.get(versions__pk=base[9:]).openlineage_name == ODD[1]


@pytest.mark.parametrize(
    "node, status, message",
    [
        ("dataset:postgres://db:5432:shop.public.nothing", 404, "No OpenLineage dataset"),
        ("dataset:nowhere:shop.public.orders", 404, "No OpenLineage dataset"),
        ("job:airflow://prod:etl.other", 404, "No run of OpenLineage job"),
        ("dataset:no-name-given", 400, "use 'dataset:<namespace>:<name>'"),
        ("job::name", 400, "use 'job:<namespace>:<name>'"),
    ],
)
def test_it_explains_ids_it_cannot_resolve(client, key, pipeline, node, status, message):
    response = lineage(client, key, node)
    assert response.status_code == status
    assert message in response.json()["detail"]


def test_the_graph_page_has_a_url_for_each(client, alice, pipeline):
    client.force_login(alice)
    newest = ArtifactSequence.objects.get(openlineage_name=SOURCE[1]).newest_version()
    response = client.get(
        "/lineage/", {"node": "dataset:postgres://db:5432:shop.public.orders", "upstream": "2"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/lineage/artifact:{newest.pk}/?upstream=2"
    page = client.get(response["Location"])
    assert f'data-node="artifact:{newest.pk}"' in page.content.decode()
    response = client.get("/lineage/", {"node": "job:airflow://prod:etl.load"})
    assert response["Location"] == f"/lineage/run:{pipeline.last().pk}/"
    assert client.get("/lineage/", {"node": f"run:{pipeline.first().pk}"}).status_code == 302
    assert client.get("/lineage/", {"node": "job:airflow://prod:nothing"}).status_code == 404
    assert client.get("/lineage/", {"node": "bogus"}).status_code == 404
