import functools

import pytest
from django.db import connection

from lineage import engine, index, sql

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


# And from the edges in memory (lineage.index), built again from what the test's own
# transaction sees whenever the clock moved: these runs check the index's answers; its
# freshness across transactions is test_index.py's.
INDEX = "from the edges in memory"
WALKS[INDEX] = {}


def index_of_now(built):
    """lineage.index.current(), for the state this test's transaction sees; `built`: the
    index built last in this test, by its tick."""
    tick = index.clock()
    if tick is None or built.get("tick") != tick:
        with connection.cursor() as cursor:
            built.update(tick=tick, index=index.arrays(*index.read(cursor)))
    return built["index"]


@pytest.fixture(autouse=True, params=list(WALKS))
def walk(request, monkeypatch):
    """Which of the engine's paths the test reads the graph through."""
    for name, value in WALKS[request.param].items():
        monkeypatch.setattr(sql, name, value)
    if request.param == INDEX:
        monkeypatch.setattr(index, "current", functools.partial(index_of_now, {}))
        monkeypatch.setattr(engine, "GATHERED_WIDE", 2)  # both ways of recording a hop
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
