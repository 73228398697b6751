import pytest

from registry.models import ApiKey


@pytest.fixture
def key(alice):
    return ApiKey.create_for(alice)[1]


@pytest.fixture
def data(g):
    data = g.art("data")
    g.run("train", uses=[data])
    return data


def get(client, key, **params):
    return client.get("/api/v1/lineage", params, HTTP_AUTHORIZATION=f"Bearer {key}")


def test_it_answers_cytoscape_elements(client, key, data):
    response = get(client, key, node=f"artifact:{data.pk}", downstream=1)
    assert response.status_code == 200
    body = response.json()
    assert body["base"] == f"artifact:{data.pk}"
    assert body["truncated"] is False
    assert [n["data"]["label"] for n in body["elements"]["nodes"]] == ["data:v0", "train"]
    assert body["elements"]["edges"][0]["data"]["kind"] == "uses"


def test_it_parses_filters_and_flags(client, key, data):
    response = get(client, key, node=f"artifact:{data.pk}", job_types="eval", extended="1")
    assert [n["data"]["label"] for n in response.json()["elements"]["nodes"]] == ["data:v0"]


def test_it_accepts_the_login_session(client, alice, data):
    client.force_login(alice)
    assert client.get("/api/v1/lineage", {"node": f"artifact:{data.pk}"}).status_code == 200


def test_it_refuses_anonymous_and_revoked_keys(client, alice, data):
    assert client.get("/api/v1/lineage", {"node": f"artifact:{data.pk}"}).status_code == 401
    key, raw = ApiKey.create_for(alice)
    key.revoke()
    response = get(client, raw, node=f"artifact:{data.pk}")
    assert response.status_code == 401
    assert "API key" in response.json()["detail"]


@pytest.mark.parametrize(
    "params, status, message",
    [
        ({"node": "artifact:999"}, 404, "No artifact with id 999"),
        ({"node": "model:1"}, 400, "Invalid node id"),
        ({"node": "artifact:1", "upstream": "11"}, 422, "not valid"),
        ({"node": "artifact:1", "downstream": "many"}, 422, "not valid"),
        ({}, 422, "not valid"),
    ],
)
def test_it_explains_bad_requests(client, key, data, params, status, message):
    response = get(client, key, **params)
    assert response.status_code == status
    assert message in response.json()["detail"]
