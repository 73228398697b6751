"""The edges in memory (lineage.index) are walked only while they are true: every
committed change they hold moves the clock, whoever makes it, and what a transaction has
not committed never enters them. Their answers are the SQL walk's (every lineage test
runs through them too: conftest.py's WALKS, and test_engine_paths.py)."""

import threading

import pytest
from django.db import connection, transaction

from lineage import index
from lineage.engine import Graph, View, lineage_view
from lineage.keys import key_of
from registry.models import ArtifactCollection, ArtifactVersion, Project, Run
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


def test_a_view_walks_the_index_while_it_is_true(chain):
    g, raw, _, model = chain
    built = index.build()
    assert built.edges == 2 and walks_index(raw)
    assert nodes(raw) == {"raw:v0", "train", "model:v0"}

    g.run("eval", "eval", uses=[model])  # committed: the clock moves
    assert index.current() is None and not walks_index(raw)
    assert "eval" in nodes(raw)  # walked by SQL meanwhile

    assert index.build().edges == 3 and walks_index(raw)
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


def test_access_deletion_and_job_types_move_the_clock(chain, django_user_model):
    g, raw, train, model = chain
    nobody = django_user_model.objects.create_user("nobody")
    Project.objects.filter(pk=g.project.pk).update(open=True)
    assert "train" in nodes(raw, nobody)
    private = Project.get_or_create_path("x", "y")
    changes = [
        lambda: Run.objects.filter(pk=train.pk).update(project=private),
        lambda: Run.objects.filter(pk=train.pk).update(job_type="retrain"),
        lambda: model.delete_by(delete_aliases=True),
        lambda: ArtifactVersion._base_manager.filter(pk=raw.pk).update(generated=True),
    ]
    for change in changes:
        index.build()
        change()
        assert index.current() is None, change
        index.build()
        from_index = nodes(raw, nobody)
        index.forget()
        assert from_index == nodes(raw, nobody)
    assert "train" not in nodes(raw, nobody)  # its new project is private: a placeholder

    train.refresh_from_db()
    built = index.build()
    train.name = "renamed"
    train.save()  # a run saved as it trains: nothing the index holds changed
    assert index.current() is built


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
        index.build()
        sequences.update(**change)
        assert index.current() is None, change
        assert index.build().sequence_rows([model.sequence_id]) == {model.sequence_id: held}
    built = index.build()
    sequences.get().save()  # every column written, none changed
    assert index.current() is built


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
