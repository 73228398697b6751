import pytest


@pytest.fixture
def g(build):
    """Small hand-built graphs (tests/conftest.py's builder): `g.art`, `g.run`."""
    return build
