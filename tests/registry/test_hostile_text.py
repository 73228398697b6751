"""Hostile but lawful text, refused alike on SQLite and PostgreSQL with the field named:
NUL characters (PostgreSQL cannot store or compare them: it answered 500), lone
surrogates (neither database encodes them: 500 on both), text longer than its column
(PostgreSQL's varchar refused it: 500), NaN (PostgreSQL's jsonb refuses it). Lookups
of such text answer 404. Nothing is written."""

import base64
import json

import pytest
from django.test import Client

from registry.blobs import store_bytes
from registry.errors import InvalidText
from registry.models import ApiKey, ArtifactSequence, Collection, Project, Registry, Run
from registry.names import load_json, validate_json, validate_text

RUN = {"entity": "acme", "project": "zoo"}


@pytest.fixture
def api(alice):
    _, key = ApiKey.create_for(alice)
    return Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {key}")


@pytest.fixture
def page(alice):
    client = Client(raise_request_exception=False)
    client.force_login(alice)
    return client


@pytest.fixture
def version(db):
    project = Project.get_or_create_path("acme", "zoo")
    version, _ = ArtifactSequence.log_version(project, "ds", "model", {"f": store_bytes(b"x")})
    Collection.link(Registry.objects.get(name="model"), "zoo", version)
    return version


def post(api, path, body):
    raw = body if isinstance(body, str | bytes) else json.dumps(body)
    return api.post(path, raw, content_type="application/json")


def assert_refused(response, status, field):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    assert field in response.json()["detail"], response.json()


def test_the_validators_name_the_field_and_the_fault():
    with pytest.raises(InvalidText, match="notes cannot contain a NUL character"):
        validate_text("notes", "a\x00b")
    with pytest.raises(InvalidText, match="name cannot contain a lone surrogate"):
        validate_text("name", "a\ud800")
    with pytest.raises(InvalidText, match="at most 4 characters, not 5"):
        validate_text("host", "hosts", max_length=4)
    with pytest.raises(InvalidText, match=r"config\.opt\[1\] cannot contain a NUL"):
        validate_json("config", {"opt": ["ok", "a\x00"]})
    with pytest.raises(InvalidText, match="A key of config.opt cannot contain a lone"):
        validate_json("config", {"opt": {"\udfff": 1}})
    with pytest.raises(InvalidText, match="NaN is not a JSON number"):
        load_json(b'{"a": NaN}')
    fine = {"emoji": "\U0001f600", "n": [1, 2.5, None]}
    assert validate_json("config", fine) == fine


BAD_RUNS = [
    ({"name": "a\x00b"}, "name"),
    ({"notes": "a\x00b"}, "notes"),
    ({"tags": ["ok", "a\x00b"]}, "tags[1]"),
    ({"config": {"lr": "a\x00b"}}, "config.lr"),
    ({"config": {"l\x00r": 1}}, "A key of config"),
    ({"host": "a\x00b"}, "host"),
    ({"name": "x" * 257}, "name is too long: at most 256"),
    ({"job_type": "x" * 65}, "job_type is too long: at most 64"),
    ({"host": "x" * 257}, "host is too long: at most 256"),
]


@pytest.mark.parametrize(("fields", "field"), BAD_RUNS)
def test_a_run_with_hostile_text_is_refused(api, fields, field):
    assert_refused(post(api, "/api/v1/runs", {**RUN, **fields}), 400, field)
    assert not Run.objects.exists() and not Project.objects.exists()


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ('{"entity": "acme", "project": "zoo", "name": "\\ud800"}', "name cannot contain a lone"),
        ('{"entity": "acme", "project": "zoo", "config": {"\\udfff": 1}}', "A key of config"),
        ('{"entity": "acme", "project": "zoo", "summary": {"a": NaN}}', "NaN"),
        ('{"entity": "acme", "project": "zoo"', "not JSON: Expecting"),
        ("[" * 100_000, "nested too deep"),
        (b'{"name": "\xed\xa0\x80"}', "name cannot contain a lone surrogate"),
        ('{"entity": "acme", "project": "zoo", "notes": "\\\\u0000"}', None),
        (b'{"entity": "\xff"}', "not UTF-8"),
    ],
)
def test_json_that_no_database_stores_is_refused(api, raw, field):
    response = post(api, "/api/v1/runs", raw)
    if field is None:  # an escaped backslash and 'u0000': text like any other
        assert response.status_code == 201, response.content
        return
    assert_refused(response, 400, field)
    assert not Run.objects.exists()


def test_the_longest_text_a_column_takes_is_taken(api):
    fields = {"name": "x" * 256, "job_type": "j" * 64, "host": "h" * 256}
    response = post(api, "/api/v1/runs", {**RUN, **fields})
    assert response.status_code == 201
    assert Run.objects.get().job_type == "j" * 64


def test_a_use_with_hostile_use_as_is_refused(api, version):
    run = post(api, "/api/v1/runs", RUN).json()
    path = f"/api/v1/runs/acme/zoo/{run['run_id']}/use"
    assert_refused(post(api, path, {"name": "ds", "use_as": "x" * 129}), 400, "use_as")
    assert_refused(post(api, path, {"name": "ds", "use_as": "a\x00"}), 400, "use_as")
    assert not Run.objects.get().inputs().exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"description": "a\x00"}, "description"),
        ({"metadata": {"k\x00": 1}}, "A key of metadata"),
        ({"metadata": {"k": ["a\ud800"]}}, "metadata.k[0]"),
    ],
)
def test_a_version_with_hostile_text_is_refused(api, fields, field):
    body = {**RUN, "name": "ds", "type": "dataset", "files": {}, **fields}
    assert_refused(post(api, "/api/v1/versions", body), 400, field)
    assert not ArtifactSequence.objects.exists()


def test_missing_digests_with_a_nul_are_refused(api):
    assert_refused(post(api, "/api/v1/blobs/missing", {"sha256": ["a\x00b"]}), 400, "sha256[0]")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/runs/acme/zoo/ab%00c",
        "/api/v1/runs/acme/zo%00o/abc/inputs",
        "/api/v1/collections/resolve%00",
    ],
)
def test_api_lookups_with_a_nul_answer_404(api, path):
    assert_refused(api.get(path), 404, "NUL")


@pytest.mark.parametrize(
    "path",
    [
        "/acme/zoo%00/runs/",
        "/registry/mo%00del/",
        "/registry/model/zoo/v0%00/",
        "/lineage/run:1%00/",
    ],
)
def test_pages_with_a_nul_in_the_path_answer_404(page, version, path):
    assert page.get(path).status_code == 404


@pytest.mark.parametrize("query", ["q=a%00", "version=v0%00", "hops=%00", "a%00=1"])
def test_query_values_with_a_nul_answer_400_naming_them(page, version, query):
    response = page.get(f"/registry/model/zoo/?{query}")
    assert response.status_code == 400
    assert "NUL" in response.content.decode()


def test_a_form_value_with_a_nul_answers_400_and_writes_nothing(page, alice):
    response = page.post("/settings/keys/", {"name": "laptop\x00"})
    assert response.status_code == 400 and b"name cannot contain a NUL" in response.content
    assert not alice.api_keys.exists()


def test_an_api_query_value_with_a_nul_answers_400_naming_it(api, version):
    assert_refused(api.get("/api/v1/lineage?node=artifact:1&hops=1%00"), 400, "hops")


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ('{"eventType": "START", "run": {"facets": {"x": "\\u0000"}}}', "run.facets.x"),
        ('{"eventType": "START", "job": {"name": "\\udc00"}}', "job.name"),
        ('{"eventType": "START", "eventTime": NaN}', "NaN"),
    ],
)
def test_an_openlineage_event_with_hostile_text_is_refused(api, raw, field):
    assert_refused(post(api, "/api/v1/lineage", raw), 400, field)
    assert not Run.objects.exists()


@pytest.mark.parametrize(("value", "fault"), [("a\\u0000", "NUL"), ("a\\ud800", "lone surrogate")])
def test_graphql_variables_no_database_stores_are_refused(alice, value, fault):
    """Before: a resolver's lookup failed on them ("Internal error.", PostgreSQL; the
    surrogate on both databases)."""
    query = 'query($n: String!) { project(name: $n, entityName: \\"acme\\") { id } }'
    raw = f'{{"query": "{query}", "variables": {{"n": "{value}"}}}}'
    key = base64.b64encode(f"api:{ApiKey.create_for(alice)[1]}".encode()).decode()
    response = Client(HTTP_AUTHORIZATION=f"Basic {key}").post(
        "/graphql", raw, content_type="application/json"
    )
    assert response.status_code == 400
    assert f"variables.n cannot contain a {fault}" in response.json()["errors"][0]["message"]
