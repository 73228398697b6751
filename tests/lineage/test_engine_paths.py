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
PATHS.append({"index": True, "wide": 1 << 62})  # every hop row by row, stages on dicts
PATHS.append({"index": True, "wide": 2})  # hops of 2 rows or more as arrays: stages on arrays
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
    return [answer(*case) for case in itertools.product(bases, VIEWS, users)]


def answer(base, view, user):
    try:
        return json.dumps(lineage_view(base.node_id, view, user), sort_keys=True)
    except NotFound as error:  # a base the user may not see
        return str(error)


def counted(function, calls):
    def wrapper(*args, **kwargs):
        calls.append(args)
        return function(*args, **kwargs)

    return wrapper


def test_every_path_answers_alike(g, monkeypatch):
    world = make_world()
    bases = shapes(g) + [world.data, world.model, world.train, world.evaluation]
    users = [None, world.nobody, world.rita]
    seen = []
    on_arrays = []  # the views whose stages ran on arrays (lineage/frame.py)
    monkeypatch.setattr(engine, "_on_arrays", counted(engine._on_arrays, on_arrays))
    for path in PATHS:
        if path.get("index"):
            monkeypatch.setattr(index, "current", functools.partial(index_of_now, {}))
            monkeypatch.setattr(engine, "GATHERED_WIDE", path["wide"])
        else:
            for name, value in path.items():
                monkeypatch.setattr(sql, name, value)
        seen.append(answers(bases, users))
    assert all(found == seen[0] for found in seen[1:])
    assert len(on_arrays) > len(seen[0]) / 3  # the array stages answered a good share
    assert any('"locked:' in text for text in seen[0])  # placeholders were compared too
    assert any('"kind": "path"' in text for text in seen[0])
    assert any('"clusterKind": "run"' in text for text in seen[0])


def random_graph(rng, open_project, secret_project):
    """A random graph over an open and a secret project: a hub most runs use, runs of a
    few job types logging versions of a few types (some generated, some logged again by
    another run), and now and then a run using what came after it (a cycle)."""
    kinds = {"data": "dataset", "model": "model", "report": "report", "source.py": "code"}
    versions = [open_project.art("hub", "dataset")]
    runs = []
    for i in range(45):
        builder = secret_project if rng.random() < 0.2 else open_project
        uses = {versions[0] if rng.random() < 0.6 else rng.choice(versions)}
        if rng.random() < 0.3:
            uses.add(rng.choice(versions))
        run = builder.run(f"run-{i}", rng.choice(["train", "eval", "prep"]), uses=list(uses))
        runs.append(run)
        for _ in range(rng.randrange(3)):
            name = rng.choice(list(kinds))
            content = rng.choice(["same", None])  # "same" again: another run logs it too
            versions.append(
                builder.art(
                    name, kinds[name], run=run, generated=rng.random() < 0.1, content=content
                )
            )
        if rng.random() < 0.05 and len(versions) > 3:
            rng.choice(runs[:-1]).use_version(versions[-1])
    return versions, runs


def test_random_graphs_answer_alike_on_dicts_and_on_arrays(db, monkeypatch):
    """The stages on arrays (lineage/frame.py) give the dict stages' answers, to the byte,
    on random graphs, for the trusted caller and for a user who sees one project only."""
    import random

    from tests.conftest import Builder

    world = make_world()
    rng = random.Random(17)
    versions, runs = random_graph(rng, Builder("pub", "open"), Builder("acme", "secret"))
    bases = [versions[0], *rng.sample(versions, 5), *rng.sample(runs, 4)]
    views = VIEWS + [View(upstream=3, downstream=3, artifact_types=frozenset({"model"}))]
    on_arrays = []
    monkeypatch.setattr(engine, "_on_arrays", counted(engine._on_arrays, on_arrays))
    found = {}
    for wide in (None, 2):
        monkeypatch.setattr(engine, "GATHERED_WIDE", wide or 1 << 62)
        if wide:
            monkeypatch.setattr(index, "current", functools.partial(index_of_now, {}))
        found[wide] = [
            answer(base, view, user)
            for base, view, user in itertools.product(bases, views, (None, world.nobody))
        ]
    assert found[None] == found[2]
    assert len(on_arrays) > len(found[2]) / 4  # views with a hop of 2 rows or more
