"""The edges in memory (lineage.index) are walked only while they are true: every
committed change they hold moves the clock, whoever makes it, and what a transaction has
not committed never enters them. Their answers are the SQL walk's (every lineage test
runs through them too: conftest.py's WALKS, and test_engine_paths.py)."""

import threading

import numpy as np
import pytest
from django.db import connection, transaction

from lineage import index
from lineage.engine import Graph, View, lineage_view
from lineage.keys import key_of
from registry.models import (
    ArtifactCollection,
    ArtifactVersion,
    LineageChange,
    LineageEdge,
    Project,
    Run,
)
from tests.conftest import Builder

pytestmark = pytest.mark.django_db(transaction=True)  # the index reads committed data only


@pytest.fixture(autouse=True)
def walk():
    """Here the engine asks the real index.current(), not the tests' stand-in."""


@pytest.fixture
def chain():
    """raw:v0 -> train -> model:v0"""
    g = Builder()
    raw = g.art("raw")
    train = g.run("train", "train", uses=[raw])
    return g, raw, train, g.art("model", "model", run=train)


def nodes(version, user=None):
    answer = lineage_view(f"artifact:{version.pk}", View(upstream=3, downstream=3), user)
    return {node["data"].get("label") for node in answer["elements"]["nodes"]}


def walks_index(version):
    return Graph(key_of("artifact", version.pk), raw_limit=100).index is not None


def fresh():
    """The index as a build would make it now."""
    with connection.cursor() as cursor:
        return index.arrays(*index.read(cursor))


def same_graph(caught, built):
    """The caught-up index answers every hop from every node as a fresh build does (the
    rows carry the far nodes' info), and holds the same sequences."""
    assert caught.tick == built.tick and caught.edges == built.edges
    for array, from_versions in ((built.sequences, True), (built.job_codes, False)):
        pks = np.arange(len(array) + 2)  # and past the end: nodes it never saw
        for upstream in (True, False):
            assert sorted(caught.hop(pks, upstream, from_versions)) == sorted(
                built.hop(pks, upstream, from_versions)
            )
    pks = list(range(len(built.sequence_projects)))
    assert caught.sequence_rows(pks) == built.sequence_rows(pks)


def test_a_committed_change_is_applied_from_the_change_log(chain):
    g, raw, _, model = chain
    built = index.build()
    assert built.edges == 2 and walks_index(raw)
    assert nodes(raw) == {"raw:v0", "train", "model:v0"}

    g.run("eval", "eval", uses=[model])  # committed: the clock moves, the log says how
    caught = index.current()
    assert caught is not built and caught.tick == index.clock() and walks_index(raw)
    same_graph(caught, fresh())
    from_index = nodes(raw)
    index.forget()
    assert from_index == nodes(raw) == {"raw:v0", "train", "model:v0", "eval"}


def test_what_a_transaction_has_not_committed_never_enters_it(chain):
    g, raw, _, model = chain
    built = index.build()
    with transaction.atomic():
        g.run("eval", "eval", uses=[model])
        assert index.current() is None  # this transaction sees its own tick
        assert "eval" in nodes(raw)
        with pytest.raises(RuntimeError):
            index.build()
        transaction.set_rollback(True)
    assert index.current() is built
    assert "eval" not in nodes(raw)


def test_every_change_it_holds_is_applied_as_a_build_would_hold_it(chain, django_user_model):
    """Edges added and removed, a run moved to a private project or given another job
    type, a version deleted or marked generated, a sequence renamed, retyped or moved, new
    runs and versions: after each, the index caught up from the log is the one a build
    makes, and a user who may not see the moved run gets the SQL walk's answer."""
    g, raw, train, model = chain
    nobody = django_user_model.objects.create_user("nobody")
    Project.objects.filter(pk=g.project.pk).update(open=True)
    private = Project.get_or_create_path("x", "y")
    sequences = ArtifactCollection.objects.filter(pk=model.sequence_id)
    changes = [
        lambda: g.run("eval", "eval", uses=[model, raw]),
        lambda: g.art("report", "report", run=Run.objects.get(name="eval")),
        lambda: Run.objects.filter(pk=train.pk).update(project=private),
        lambda: Run.objects.filter(pk=train.pk).update(job_type="retrain"),
        lambda: ArtifactVersion._base_manager.filter(pk=raw.pk).update(generated=True),
        lambda: sequences.update(name="renamed", type="checkpoint"),
        lambda: sequences.update(project=private),
        lambda: LineageEdge.objects.filter(run__name="eval", version=raw).delete(),
        lambda: ArtifactVersion.objects.get(sequence__name="report").delete_by(),
        lambda: LineageEdge.objects.filter(run=train, version=raw).delete(),  # one built in
        lambda: g.run("again", "eval", uses=[raw]),
    ]
    index.build()
    for change in changes:
        change()
        caught = index.current()
        assert caught is not None and caught.tick == index.clock(), change
        same_graph(caught, fresh())
        from_index = nodes(raw, nobody)
        kept = index._index
        index.forget()
        assert from_index == nodes(raw, nobody), change
        index._index = kept
    assert "train" not in nodes(raw, nobody)  # its edge to raw is gone

    train.refresh_from_db()
    caught = index.current()
    train.name = "renamed"
    train.save()  # a run saved as it trains: nothing the index holds changed
    assert index.current() is caught


def test_a_sequences_name_type_or_project_moves_the_clock(chain):
    """The index holds each sequence's type, name and project (a wide view's labels and
    access come from there): changing one moves the clock, saving it unchanged does not."""
    g, raw, train, model = chain
    elsewhere = Project.get_or_create_path("x", "y")
    sequences = ArtifactCollection.objects.filter(pk=model.sequence_id)
    for change, held in [
        ({"name": "renamed"}, ("model", "renamed", g.project.pk)),
        ({"type": "checkpoint"}, ("checkpoint", "renamed", g.project.pk)),
        ({"project": elsewhere}, ("checkpoint", "renamed", elsewhere.pk)),
    ]:
        built = index.build()
        sequences.update(**change)
        assert index.clock() != built.tick, change
        assert index.current().sequence_rows([model.sequence_id]) == {model.sequence_id: held}
    built = index.build()
    sequences.get().save()  # every column written, none changed
    assert index.current() is built


def test_a_statement_that_changes_no_edge_keeps_it_caught_up(chain):
    built = index.build()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE registry_lineageedge SET use_as = use_as WHERE id < 0")
    caught = index.current()  # the tick may have moved (PostgreSQL): a row says nothing changed
    assert caught is not None and caught.edges == built.edges


def test_an_index_the_log_no_longer_covers_is_built_again(chain):
    g, raw, _, model = chain
    index.build()
    g.run("eval", "eval", uses=[model])
    LineageChange.objects.all().delete()  # pruned: the log no longer reaches back to it
    assert index.current() is None  # walked by SQL while it builds again
    assert "eval" in nodes(raw)
    assert index.build().tick == index.clock() and walks_index(raw)


def test_a_change_log_that_cannot_be_read_leaves_the_view_to_sql(chain, monkeypatch):
    g, raw, _, model = chain
    index.build()
    g.run("eval", "eval", uses=[model])

    def broken(cursor, since):
        cursor.execute("SELECT tick FROM no_such_table")

    monkeypatch.setattr(index, "_changes_since", broken)
    assert index.current() is None
    assert "eval" in nodes(raw)  # walked by SQL, on a connection still usable


def test_a_process_that_only_catches_up_prunes_the_log_too(chain, monkeypatch):
    g, raw, train, _ = chain
    monkeypatch.setattr(index, "KEEP_TICKS", 2)
    monkeypatch.setattr(index, "PRUNE_EVERY", 1)
    index.build()
    LineageChange.objects.all().delete()  # and what an earlier test's flush left, of its tick
    for name in ("a", "b", "c"):
        g.art(name, run=train)  # one edge a tick
        assert index.current() is not None
        for thread in threading.enumerate():
            if thread.name == "lineage-prune":
                thread.join(timeout=30)
    kept = set(LineageChange.objects.values_list("tick", flat=True))
    assert kept == {index.clock() - 2, index.clock() - 1, index.clock()}


def test_a_flushed_clock_never_matches(chain):
    g, raw, train, _ = chain
    index.build()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM registry_lineageclock")
    assert index.current() is None
    assert index.build() is None  # nothing to build from until lineage is written again
    g.art("more", run=train)  # the clock starts again, at a random tick
    assert index.current() is None
    assert index.build() is not None and walks_index(raw)


def test_a_wide_walk_builds_it_in_a_thread_of_its_own(chain, settings):
    _, raw, _, _ = chain
    settings.LINEAGE_INDEX_NODES = 3
    nodes(raw)  # 3 nodes walked by SQL
    for thread in threading.enumerate():  # none left: it has built the index already
        if thread.name == "lineage-index":
            thread.join(timeout=30)
    assert walks_index(raw)
