"""The engine on small hand-built graphs whose right answer is written in each test."""

from unittest import mock

import pytest

from lineage.engine import View, lineage_view
from registry.errors import InvalidName, NotFound


def nid(obj):
    return obj.node_id  # the models' own (registry.names), as the pages and the API use


def show(base, **view):
    """{label: level} of the answer, clusters by their label."""
    answer = lineage_view(nid(base), View(**view))
    return {n["data"]["label"]: n["data"]["level"] for n in answer["elements"]["nodes"]}


def edges(base, **view):
    answer = lineage_view(nid(base), View(**view))
    label = {n["data"]["id"]: n["data"]["label"] for n in answer["elements"]["nodes"]}
    return {
        (label[e["data"]["source"]], label[e["data"]["target"]], e["data"]["kind"])
        for e in answer["elements"]["edges"]
    }


@pytest.mark.parametrize(
    "hops, expected",
    [
        (0, {"model:v0": 0}),
        (1, {"model:v0": 0, "train": -1}),
        (2, {"model:v0": 0, "train": -1, "split:v0": -2}),
        (3, {"model:v0": 0, "train": -1, "split:v0": -2, "prep": -3}),
    ],
)
def test_it_walks_upstream_hop_by_hop(chain, hops, expected):
    assert show(chain, upstream=hops, downstream=0) == expected


@pytest.mark.parametrize(
    "hops, expected",
    [
        (0, {"model:v0": 0}),
        (1, {"model:v0": 0, "eval": 1}),
        (2, {"model:v0": 0, "eval": 1, "report:v0": 2}),
        (3, {"model:v0": 0, "eval": 1, "report:v0": 2}),
    ],
)
def test_it_walks_downstream_hop_by_hop(chain, hops, expected):
    assert show(chain, upstream=0, downstream=hops) == expected


def test_it_points_edges_from_input_to_run_to_output(chain):
    assert edges(chain, upstream=2, downstream=2) == {
        ("split:v0", "train", "uses"),
        ("train", "model:v0", "logs"),
        ("model:v0", "eval", "uses"),
        ("eval", "report:v0", "logs"),
    }


def test_it_walks_from_a_run(g, chain):
    from registry.models import Run

    train = Run.objects.get(name="train")
    assert show(train, upstream=1, downstream=1) == {"train": 0, "split:v0": -1, "model:v0": 1}


def test_it_marks_the_base_node(chain):
    answer = lineage_view(nid(chain), View())
    assert [n["data"]["label"] for n in answer["elements"]["nodes"] if n["data"]["base"]] == [
        "model:v0"
    ]
    assert answer["base"] == nid(chain)


def test_it_filters_job_types_and_keeps_the_path(chain):
    assert show(chain, upstream=3, downstream=0, job_types=frozenset({"preprocess"})) == {
        "model:v0": 0,
        "split:v0": -2,
        "prep": -3,
    }
    assert ("split:v0", "model:v0", "path") in edges(
        chain, upstream=3, downstream=0, job_types=frozenset({"preprocess"})
    )


def test_it_filters_artifact_types_and_keeps_the_path(chain):
    view = {"upstream": 3, "downstream": 3, "artifact_types": frozenset({"dataset"})}
    assert show(chain, **view) == {
        "model:v0": 0,  # the base is always shown
        "train": -1,
        "split:v0": -2,
        "prep": -3,
        "eval": 1,
    }
    assert ("train", "eval", "path") not in edges(chain, **view)  # joined by the base itself
    assert ("model:v0", "eval", "uses") in edges(chain, **view)


def test_it_bridges_a_removed_artifact_between_two_kept_runs(g):
    data = g.art("data")
    first = g.run("first", "preprocess", uses=[data])
    middle = g.art("middle", "table", run=first)
    g.run("second", "train", uses=[middle])
    view = {"downstream": 3, "artifact_types": frozenset({"dataset"})}
    assert show(data, **view) == {"data:v0": 0, "first": 1, "second": 3}
    assert edges(data, **view) == {
        ("data:v0", "first", "uses"),
        ("first", "second", "path"),
    }


def test_it_leaves_generated_artifacts_out_unless_asked(g):
    data = g.art("data")
    run = g.run("train", uses=[data])
    g.art("source-train.py", "code", run=run)
    g.art("flagged", "model", run=run, generated=True)
    g.art("model", "model", run=run)
    assert show(data) == {"data:v0": 0, "train": 1, "model:v0": 2}
    assert show(data, generated=True) == {
        "data:v0": 0,
        "train": 1,
        "model:v0": 2,
        "source-train.py:v0": 2,
        "flagged:v0": 2,
    }


def test_it_adds_extended_lineage_beside_the_runs(g):
    data, holdout = g.art("data"), g.art("holdout")
    train = g.run("train", uses=[data])
    model = g.art("model", "model", run=train)
    g.art("metrics", "table", run=train)
    g.run("eval", "eval", uses=[model, holdout])
    assert show(model, upstream=1, downstream=1) == {"model:v0": 0, "train": -1, "eval": 1}
    assert show(model, upstream=1, downstream=1, extended=True) == {
        "model:v0": 0,
        "train": -1,
        "eval": 1,
        "data:v0": -2,
        "metrics:v0": 0,
        "holdout:v0": 0,
    }
    extended = edges(model, upstream=1, downstream=1, extended=True)
    assert {("holdout:v0", "eval", "uses"), ("train", "metrics:v0", "logs")} <= extended


def sweep(g, runs, base_name="data"):
    data = g.art(base_name)
    for i in range(runs):
        run = g.run(f"sweep-{i}", "train", uses=[data])
        g.art("zoo-model", "model", run=run)
    return data


def test_it_clusters_five_runs_and_their_versions(g):
    data = sweep(g, 5)
    assert show(data, downstream=2) == {
        "data:v0": 0,
        "5 runs": 1,
        "5 versions of zoo-model": 2,
    }
    assert edges(data, downstream=2) == {
        ("data:v0", "5 runs", "uses"),
        ("5 runs", "5 versions of zoo-model", "logs"),
    }


def test_it_does_not_cluster_four(g):
    data = sweep(g, 4)
    assert show(data, downstream=2) == {
        "data:v0": 0,
        **{f"sweep-{i}": 1 for i in range(4)},
        **{f"zoo-model:v{i}": 2 for i in range(4)},
    }


def test_it_lists_a_clusters_members(g):
    data = sweep(g, 6)
    answer = lineage_view(nid(data), View(downstream=1))
    cluster = next(n["data"] for n in answer["elements"]["nodes"] if n["data"]["kind"] == "cluster")
    assert cluster["clusterKind"] == "run"
    assert cluster["jobType"] == "train"
    assert cluster["count"] == 6
    assert [m["label"] for m in cluster["members"]] == [f"sweep-{i}" for i in range(6)]
    assert all(m["id"].startswith("run:") for m in cluster["members"])


def test_it_keeps_job_types_apart_in_clusters(g):
    data = g.art("data")
    for i in range(5):
        g.run(f"train-{i}", "train", uses=[data])
    for i in range(4):
        g.run(f"eval-{i}", "eval", uses=[data])
    labels = show(data, downstream=1)
    assert labels["5 runs"] == 1
    assert {f"eval-{i}" for i in range(4)} <= set(labels)


def test_it_expands_clusters_when_asked(g):
    data = sweep(g, 5)
    assert len(show(data, downstream=2, expand_clusters=True)) == 11


def test_it_extracts_a_member_from_its_cluster(g):
    data = sweep(g, 6)
    from registry.models import Run

    picked = Run.objects.get(name="sweep-2")
    labels = show(data, downstream=2, extract=frozenset({nid(picked)}))
    assert labels["sweep-2"] == 1
    assert labels["5 runs"] == 1
    # sweep-2's model hangs off sweep-2, so it leaves the versions' cluster too.
    assert labels["zoo-model:v2"] == 2
    assert labels["5 versions of zoo-model"] == 2


def test_it_stops_on_cycles(g):
    data = g.art("data", content="rows")
    train = g.run("train", uses=[data])
    model = g.art("model", "model", run=train)
    relabel = g.run("relabel", "preprocess", uses=[model])
    g.art("data", run=relabel, content="rows")  # the same content: relabel logs data:v0
    assert data.producers().get() == relabel
    assert show(data, upstream=10, downstream=10) == {
        "data:v0": 0,
        "relabel": -1,
        "model:v0": -2,
        "train": -3,
    }
    assert ("train", "model:v0", "logs") in edges(data, upstream=10, downstream=10)
    assert ("data:v0", "train", "uses") in edges(data, upstream=10, downstream=10)


def test_it_truncates_to_the_node_bound(g, settings):
    settings.LINEAGE_MAX_NODES = 4
    data = sweep(g, 3)
    answer = lineage_view(nid(data), View(downstream=2))
    levels = sorted(n["data"]["level"] for n in answer["elements"]["nodes"])
    assert answer["truncated"] is True
    assert levels == [0, 1, 1, 1]  # nearest the base first
    ids = {n["data"]["id"] for n in answer["elements"]["nodes"]}
    assert all(e["data"]["target"] in ids for e in answer["elements"]["edges"])
    assert lineage_view(nid(data), View(downstream=1))["truncated"] is False


def test_it_refuses_bad_hops_and_unknown_nodes(g):
    data = g.art("data")
    with pytest.raises(InvalidName, match="between 0 and 10"):
        lineage_view(nid(data), View(upstream=11))
    with pytest.raises(NotFound, match="No artifact with id 999"):
        lineage_view("artifact:999", View())
    with pytest.raises(InvalidName, match="Invalid node id"):
        lineage_view("table:1", View())


def test_it_labels_nodes_for_the_graph(g):
    data = g.art("data")
    train = g.run("rural-feather-20", "train", uses=[data])
    answer = lineage_view(nid(data), View())
    run = next(n["data"] for n in answer["elements"]["nodes"] if n["data"]["kind"] == "run")
    art = next(n["data"] for n in answer["elements"]["nodes"] if n["data"]["kind"] == "artifact")
    assert run == {
        "id": nid(train),
        "kind": "run",
        "label": "rural-feather-20",
        "level": 1,
        "base": False,
        "runId": train.run_id,
        "jobType": "train",
        "state": "running",
        "project": "acme/zoo",
        "url": f"/acme/zoo/runs/{train.run_id}/",
    }
    assert art["label"] == "data:v0"
    assert art["type"] == "dataset"
    assert art["url"] == "/acme/zoo/artifacts/dataset/data/v0/"


def test_it_groups_versions_of_a_run_cluster_by_type(g):
    """A hub's consumers log many models: they stay one cluster of model versions."""
    data = g.art("data")
    for i in range(6):
        run = g.run(f"train-{i}", "train", uses=[data])
        g.art(f"model-{i}", "model", run=run)
    assert show(data, downstream=2) == {"data:v0": 0, "6 runs": 1, "6 model versions": 2}


def test_it_lists_a_bounded_number_of_members_and_searches_them_all(g, monkeypatch):
    from lineage import engine
    from lineage.engine import cluster_members
    from registry.models import Run

    data = sweep(g, 8)
    monkeypatch.setattr(engine, "MEMBERS_LISTED", 3)
    answer = lineage_view(nid(data), View(downstream=1))
    nodes = [n["data"] for n in answer["elements"]["nodes"]]
    cluster = next(n for n in nodes if n["kind"] == "cluster")
    assert cluster["count"] == 8 and len(cluster["members"]) == 3
    found, total = cluster_members(nid(data), View(downstream=1), cluster["id"], "SWEEP-7")
    sweep_7 = Run.objects.get(name="sweep-7")
    assert (found, total) == ([{"id": nid(sweep_7), "label": "sweep-7"}], 1)
    found, total = cluster_members(nid(data), View(downstream=1), cluster["id"], "")
    assert total == 8 and len(found) == 3


def test_it_recognises_generated_kinds_without_the_flag(g):
    """Rows written by other means than log_version (admin, imports) are hidden too."""
    from registry.models import ArtifactVersion

    data = g.art("data")
    run = g.run("train", uses=[data])
    code = g.art("source-train.py", "code", run=run)
    ArtifactVersion.objects.filter(pk=code.pk).update(generated=False)
    assert show(data) == {"data:v0": 0, "train": 1}


def test_it_counts_only_the_collections_of_the_registries_given(g):
    from lineage.impact import impact
    from registry.models import Collection, Registry

    data = g.art("data")
    model = g.art("model", "model", run=g.run("train", "train", uses=[data]))
    public = Registry.create("public", ["model"])
    secret = Registry.create("secret", ["model"], visibility=Registry.Visibility.RESTRICTED)
    Collection.link(public, "shown", model)
    Collection.link(secret, "hidden", model)
    assert impact(data.pk)["collections"] == 2
    assert impact(data.pk, Registry.objects.filter(name="public")) == {
        "runs": 1,
        "models": 1,
        "collections": 1,
        "locked": 0,
        "bounded": False,
    }


def test_it_clusters_alike_from_the_walk_and_from_the_edges(db):
    """The walk's own note of who is nearer the base is a shortcut; on every node of the
    demo, compute()'s clusters must be exactly those worked out from the edges."""
    from lineage import engine
    from registry import demo
    from registry.models import ArtifactVersion, Run

    demo.load()
    nodes = [nid(run) for run in Run.objects.all()]
    nodes += [nid(version) for version in ArtifactVersion.objects.all()]
    shortcuts = 0
    for base in nodes:
        for view in (View(), View(upstream=1, downstream=5), View(generated=True)):
            result = compute_on_dicts(base, view)
            removed = result.graph.levels.keys() - result.kept
            if result.graph.toward_base(removed) is not None:
                shortcuts += 1
            from_edges = engine.cluster(result.graph, result.kept, result.edges, view)
            assert (result.clusters, result.members) == from_edges, (base, view)
    assert shortcuts > len(nodes)  # the shortcut is taken for most views


def compute_on_dicts(base_id, view):
    """engine.compute(), its stages on dicts even on the index: the shortcut they test is
    theirs (lineage/frame.py works out who is nearer from the edges alone)."""
    from lineage import engine

    with mock.patch.object(engine, "GATHERED_WIDE", 1 << 62):
        return engine.compute(base_id, view)


def clusters_alike(base, view):
    """compute()'s clusters, checked against those worked out from the edges."""
    from lineage import engine

    result = compute_on_dicts(nid(base), view)
    from_edges = engine.cluster(result.graph, result.kept, result.edges, view)
    assert (result.clusters, result.members) == from_edges
    return result


def test_the_walks_shortcut_holds_where_a_node_is_reached_twice_in_one_hop(g):
    data = g.art("data")
    train = g.run("train", uses=[data])
    x, y = g.art("x", run=train), g.art("y", run=train)
    for i in range(5):
        g.run(f"eval-{i}", "eval", uses=[x, y])  # each eval is reached from x and from y
    assert len(clusters_alike(data, View(downstream=3)).members) == 1


def test_the_walk_gives_up_its_shortcut_when_a_filter_removes_a_parent(g):
    data = g.art("data")
    for i in range(5):
        g.art("model", "model", run=g.run(f"train-{i}", "train", uses=[data]))
    view = View(downstream=2, job_types=frozenset({"eval"}))  # removes every train run
    assert len(clusters_alike(data, view).members) == 1  # the models, joined by path edges


def test_the_walk_gives_up_its_shortcut_on_a_cycle_and_on_extended_lineage(g):
    """Its note is exact only when each node is reached from the hop before it alone."""
    data = g.art("data")
    first = g.run("first", uses=[data])
    x = g.art("x", run=first)
    second = g.run("second", uses=[x])
    y = g.art("y", run=second)
    first.use_version(y)  # a cycle: first -> x -> second -> y -> first
    for view in (View(), View(upstream=0, downstream=1, extended=True)):
        result = clusters_alike(x, view)
        assert result.graph.toward_base(set()) is None


def test_a_drawn_cluster_is_searched_without_computing_its_view(g, django_assert_num_queries):
    """The search box asks on every keystroke: the cluster's members are the ones its
    view drew, their labels read in one query (a cluster of versions two hops out, which
    no definition of its own answers)."""
    from lineage.engine import cluster_members

    data = g.art("data", "dataset")
    for i in range(6):
        run = g.run(f"sweep-{i}", "train", uses=[data])
        g.art(f"model-{i}", "model", run=run)
    view = View(downstream=2)
    answer = lineage_view(nid(data), view)
    (models,) = [
        n["data"]["id"]
        for n in answer["elements"]["nodes"]
        if n["data"]["label"] == "6 model versions"
    ]
    with django_assert_num_queries(1):
        found, total = cluster_members(nid(data), view, models, "MODEL-3")
    assert total == 1 and found[0]["label"] == "model-3:v0"
