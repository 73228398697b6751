import pytest
from django.db import connection

from lineage import sql

# The engine reads the graph through more than one path (lineage.sql): every test of it
# runs through each, so each gives exactly the answers written in the tests.
WALKS = {
    "narrow hops, prepared, asked together": {},
    "wide hops, bound client-side, one query a round trip": {
        "PG_WIDE": 0,
        "TOGETHER": False,
        "PREPARED": False,
    },
}
if connection.vendor != "postgresql":  # SQLite has one form of hop, one query at a time
    WALKS = {"one query a round trip": {}}


@pytest.fixture(autouse=True, params=list(WALKS))
def walk(request, monkeypatch):
    """Which of the engine's SQL paths the test reads through."""
    for name, value in WALKS[request.param].items():
        monkeypatch.setattr(sql, name, value)
    return request.param


@pytest.fixture
def g(build):
    """Small hand-built graphs (tests/conftest.py's builder): `g.art`, `g.run`."""
    return build


@pytest.fixture
def chain(g):
    """raw:v0 -> prep -> split:v0 -> train -> model:v0 -> eval -> report:v0"""
    raw = g.art("raw")
    prep = g.run("prep", "preprocess", uses=[raw])
    split = g.art("split", run=prep)
    train = g.run("train", "train", uses=[split])
    model = g.art("model", "model", run=train)
    evaluation = g.run("eval", "eval", uses=[model])
    g.art("report", "evaluation", run=evaluation)
    return model
