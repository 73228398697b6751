"""The JSON API fuzzed with schemathesis against its own OpenAPI schema, on
PostgreSQL (where NUL characters, over-long text and huge numbers used to answer 500):
no 5xx, every status code documented, every body matching its documented schema.
Bounded and derandomized: the same examples each run, in well under a minute."""

import json

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.api import api
from config.wsgi import application
from registry.blobs import store_bytes
from registry.models import ApiKey, ArtifactSequence, Project, Run

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(autouse=True)
def in_the_tests_transaction(require_postgres, db):
    """The requests go to the WSGI app in this process. Django closes the connection at
    the start and end of each request, which would end the test's transaction: as its
    test client does, that is off meanwhile."""
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (signals.request_started, signals.request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def key(alice):
    """Something for the fuzzer's requests to find: a run and a version in acme/zoo."""
    project = Project.get_or_create_path("acme", "zoo")
    Run.objects.create(project=project, name="r", run_id="r1")
    ArtifactSequence.log_version(project, "ds", "dataset", {"a.csv": store_bytes(b"1")})
    return ApiKey.create_for(alice)[1]


# What GET /api/v1/openapi.json serves (JSON's string keys), read without a request.
schema = schemathesis.openapi.from_dict(json.loads(json.dumps(api.get_openapi_schema())))
schema.app = application


@schema.parametrize()
@settings(
    max_examples=8,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_the_api_answers_as_it_documents(case, key):
    case.call_and_validate(headers={"Authorization": f"Bearer {key}"}, checks=CHECKS)
