import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lineage import sql
from lineage.engine import View, lineage_view

from .conftest import INDEX


def build(g, width):
    """A dataset used by `width` training runs, each logging a model that an eval run uses."""
    raw = g.art(f"raw-{width}")
    prep = g.run("prep", "preprocess", uses=[raw])
    data = g.art(f"data-{width}", run=prep)
    for i in range(width):
        train = g.run(f"train-{i}", "train", uses=[data])
        model = g.art(f"model-{width}", "model", run=train)
        g.run(f"eval-{i}", "eval", uses=[model])
    return data


def count_queries(base, view):
    with CaptureQueriesContext(connection) as queries:
        lineage_view(f"artifact:{base.pk}", view)
    return len(queries)


def test_it_issues_the_same_queries_on_a_graph_ten_times_larger(g, walk):
    small, large = build(g, 6), build(g, 60)
    if walk == INDEX:  # counted from the second view on: the first builds the index
        lineage_view(f"artifact:{small.pk}", View())
    for view in (View(), View(upstream=2, downstream=3, extended=True, expand_clusters=True)):
        assert count_queries(small, view) == count_queries(large, view)


def test_it_issues_one_query_per_hop_and_direction(g, walk):
    data = build(g, 6)
    # 2 up + 3 down hops, then what is shown (sequences with it), one query per kind, and
    # one for what lies a hop beyond the outermost levels (the "+N more" markers); on
    # PostgreSQL a hop of each direction in one round trip, and both kinds in one.
    expected = 2 + 1 + 1 + 1 if sql.asks_together() else 2 + 3 + 2 + 1
    if walk == INDEX:  # the clock's tick instead of the hops (the index built before)
        lineage_view(f"artifact:{data.pk}", View())
        expected = 1 + 1 + 1 if sql.asks_together() else 1 + 2 + 1
    assert count_queries(data, View(upstream=2, downstream=3)) == expected


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no prepared statements")
def test_on_postgresql_the_walk_runs_as_prepared_statements_planned_once(g, walk):
    data = build(g, 6)
    if not sql.prepares() or walk == INDEX:
        pytest.skip("this walk binds client-side, or asks no hops of the database")
    for _ in range(3):
        lineage_view(f"artifact:{data.pk}", View(upstream=2, downstream=3))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
            " WHERE statement LIKE %s",
            ["SELECT e.run_id, e.version_id, e.direction, %registry_lineageedge e %"],
        )
        plans = cursor.fetchall()
    assert plans and all(custom == 0 and generic >= 3 for generic, custom in plans)
