"""Every way the engine reads the graph (lineage.sql: narrow or wide hops, one query a
round trip or several together, prepared or bound client-side; lineage.index: the edges
in memory) gives the same answer, to the byte, on graphs with cycles, diamonds, filters,
generated artifacts, extended lineage, extraction, clusters and locked placeholders."""

import functools
import itertools
import json

from django.db import connection

from lineage import engine, index, sql
from lineage.engine import View, lineage_view
from registry.errors import NotFound

from .conftest import index_of_now
from .private_world import make_world

PATHS = [
    {"PG_WIDE": wide, "TOGETHER": together, "PREPARED": prepared}
    for wide, together, prepared in itertools.product((1000, 0), (True, False), (True, False))
]
if connection.vendor != "postgresql":  # SQLite has one form of hop, one query at a time
    PATHS = [{}]
PATHS.append({"index": True})
VIEWS = [
    View(),
    View(upstream=10, downstream=10),
    View(upstream=1, downstream=4, generated=True),
    View(upstream=2, downstream=2, extended=True),
    View(job_types=frozenset({"train", "preprocess"})),
    View(artifact_types=frozenset({"dataset"}), downstream=5),
    View(expand_clusters=True, upstream=4, downstream=4),
]


def shapes(g):
    """A cycle (data -> train -> model -> relabel -> data), a diamond (two runs of one
    input whose outputs one run uses: reached twice in one hop), a sweep that clusters,
    generated code, and an input used by several runs (extended lineage)."""
    data = g.art("data", content="rows")
    train = g.run("train", "train", uses=[data])
    model = g.art("model", "model", run=train)
    g.art("source-train.py", "code", run=train)
    relabel = g.run("relabel", "preprocess", uses=[model])
    g.art("data", run=relabel, content="rows")  # the same content: relabel logs data:v0
    left, right = g.run("left", "split", uses=[data]), g.run("right", "split", uses=[data])
    a, b = g.art("a", run=left), g.art("b", run=right)
    join = g.run("join", "preprocess", uses=[a, b])
    holdout = g.art("holdout")
    for i in range(6):
        run = g.run(f"sweep-{i}", "train", uses=[g.art("joined", run=join) if i == 0 else a])
        g.run(f"eval-{i}", "eval", uses=[g.art("zoo-model", "model", run=run), holdout])
    # A cycle met from both ends: r2 is one hop downstream of b and three upstream, so
    # the walk asks downstream hop 2 of r1 alone, where hops asked together guessed r1
    # and r2 (r2's other output w must stay out).
    r2 = g.run("r2", "train")
    v = g.art("v", run=r2)
    g.art("w", run=r2)
    b = g.art("b", run=g.run("p", "preprocess", uses=[v]))
    r2.use_version(b)
    g.art("r1-out", run=g.run("r1", "train", uses=[b]))
    return [data, model, a, join, holdout, train, relabel, b]


def answers(bases, users):
    found = []
    for base, view, user in itertools.product(bases, VIEWS, users):
        try:
            found.append(json.dumps(lineage_view(base.node_id, view, user), sort_keys=True))
        except NotFound as error:  # a base the user may not see
            found.append(str(error))
    return found


def test_every_path_answers_alike(g, monkeypatch):
    world = make_world()
    bases = shapes(g) + [world.data, world.model, world.train, world.evaluation]
    users = [None, world.nobody, world.rita]
    seen = []
    for path in PATHS:
        if path.get("index"):
            monkeypatch.setattr(index, "current", functools.partial(index_of_now, {}))
            monkeypatch.setattr(engine, "GATHERED_WIDE", 2)  # hops of 1 row go row by row
        else:
            for name, value in path.items():
                monkeypatch.setattr(sql, name, value)
        seen.append(answers(bases, users))
    assert all(found == seen[0] for found in seen[1:])
    assert any('"locked:' in text for text in seen[0])  # placeholders were compared too
    assert any('"kind": "path"' in text for text in seen[0])
    assert any('"clusterKind": "run"' in text for text in seen[0])
