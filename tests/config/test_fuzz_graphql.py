"""The W&B GraphQL endpoint (/graphql) fuzzed with schemathesis from its schema
(wandb_api/schema.graphql), on PostgreSQL: no 5xx whatever the query's arguments.
Bounded and derandomized like the JSON API's run (test_fuzz_api.py)."""

import base64
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.graphql import nodes

from config.wsgi import application
from registry.models import ApiKey

from .test_fuzz_api import in_the_tests_transaction  # noqa: F401 (an autouse fixture)

# The wandb schema's 64-bit integers (sizes, ids): any in range, as the client sends.
schemathesis.graphql.scalar("Int64", st.integers(-(2**63), 2**63 - 1).map(nodes.Int))
INTERNAL = "Internal error."  # what wandb_api/views.py format_error answers for a bug
SDL = Path(__file__).resolve().parents[2] / "wandb_api" / "schema.graphql"
schema = schemathesis.graphql.from_path(str(SDL))
schema.app = application
schema.config.base_url = "http://localhost/graphql"


@schemathesis.check
def no_internal_error(ctx, response, case):
    """A refusal (an `errors` entry with its message) is an answer; a 5xx or a resolver
    that failed ("Internal error.", wandb_api/views.py format_error) is not."""
    assert response.status_code < 500, f"{response.status_code}: {response.text[:300]}"
    errors = response.json().get("errors") or []
    failed = [e for e in errors if e.get("message") == INTERNAL]
    assert not failed, f"a resolver failed: {response.text[:300]}"


@pytest.fixture
def key(alice):
    key = ApiKey.create_for(alice)[1]
    return base64.b64encode(f"api:{key}".encode()).decode()


@schema.parametrize()
@settings(
    max_examples=5,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_graphql_never_fails_on_what_it_is_sent(case, key):
    case.call_and_validate(headers={"Authorization": f"Basic {key}"}, checks=[no_internal_error])
