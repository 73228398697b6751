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


def test_it_refuses_an_unknown_view_key(client, key, data):
    response = get(client, key, node=f"artifact:{data.pk}", upstreams="2")
    assert response.status_code == 422
    assert "unknown key 'upstreams'" in response.json()["detail"]


def test_it_reads_the_page_urls_encoding_extract_included(client, key, g):
    data = g.art("data")
    runs = [g.run(f"sweep-{i}", uses=[data]) for i in range(7)]
    clustered = get(client, key, node=data.node_id, downstream="1").json()
    assert [n["data"]["label"] for n in clustered["elements"]["nodes"]] == ["data:v0", "7 runs"]
    picked = f"{runs[0].node_id},{runs[1].node_id}"
    body = get(client, key, node=data.node_id, downstream="1", extract=picked).json()
    labels = sorted(n["data"]["label"] for n in body["elements"]["nodes"])
    assert labels == ["5 runs", "data:v0", "sweep-0", "sweep-1"]
    flat = get(client, key, node=data.node_id, downstream="1", expand_clusters="1").json()
    assert len(flat["elements"]["nodes"]) == 8
    refused = get(client, key, node=data.node_id, expand_clusters="on")
    assert refused.status_code == 422 and "1 or 0" in refused.json()["detail"]


def test_it_documents_the_views_fields(client):
    from lineage.view import View

    schema = client.get("/api/v1/openapi.json").json()
    parameters = schema["paths"]["/api/v1/lineage"]["get"]["parameters"]
    assert [p["name"] for p in parameters] == ["node"] + [s["name"] for s in View.spec()]
    upstream = next(p for p in parameters if p["name"] == "upstream")
    assert upstream["schema"] == {"type": "integer", "minimum": 0, "maximum": 10, "default": 3}


def test_it_answers_markers_and_grows_one(client, key, g):
    data = g.art("data")
    train = g.run("train", uses=[data])
    g.art("model", "model", run=train)
    body = get(client, key, node=f"artifact:{data.pk}", downstream=1).json()
    (marker,) = body["markers"]["nodes"]
    assert (marker["data"]["label"], marker["data"]["anchor"]) == ("+1 more", f"run:{train.pk}")
    grown = get(client, key, node=f"artifact:{data.pk}", downstream=1, grow=marker["data"]["id"])
    assert [n["data"]["label"] for n in grown.json()["elements"]["nodes"]] == [
        "data:v0",
        "train",
        "model:v0",
    ]
    assert grown.json()["markers"]["nodes"] == []
