"""Views that grow in place: "+N more" markers where the hops or the node bound cut a view,
and growing one adds what a bigger view has there, leaving what was shown as it was."""

import json

import pytest

from lineage.engine import View, cluster_members, lineage_view

from .private_world import make_world
from .test_access import assert_nothing_private
from .test_engine import nid, sweep


def answer_of(base, user=None, **view):
    return lineage_view(nid(base), View(**view), user)


def labels(answer):
    return {n["data"]["id"]: n["data"]["label"] for n in answer["elements"]["nodes"]}


def levels(answer):
    return {n["data"]["label"]: n["data"]["level"] for n in answer["elements"]["nodes"]}


def marks(answer):
    """{(anchor label, direction): marker data}."""
    label = labels(answer)
    return {
        (label[m["data"]["anchor"]], m["data"]["direction"]): m["data"]
        for m in answer["markers"]["nodes"]
    }


def grow(base, answer, anchor, direction="downstream", user=None, **view):
    """The view grown at the marker hanging from `anchor`, as the page asks for it."""
    marker = marks(answer)[(anchor, direction)]
    grown = set(view.pop("grow", ())) | {marker["id"]}
    return lineage_view(nid(base), View(grow=grown, **view), user)


def edge_set(answer, kind=None):
    label = labels(answer)
    return {
        (label[e["data"]["source"]], label[e["data"]["target"]])
        for e in answer["elements"]["edges"]
        if kind is None or e["data"]["kind"] == kind
    }


def test_it_marks_where_the_hops_cut_and_how_much(chain):
    answer = answer_of(chain, upstream=1, downstream=1)
    found = marks(answer)
    assert set(found) == {("train", "upstream"), ("eval", "downstream")}
    up, down = found[("train", "upstream")], found[("eval", "downstream")]
    assert (up["label"], up["level"], up["kind"], up["cut"]) == ("+1 more", -2, "more", "hops")
    assert (down["label"], down["level"]) == ("+1 more", 2)
    # Joined to their anchors, in the graph's direction: marker -> train, eval -> marker.
    ids = {(e["data"]["source"], e["data"]["target"]) for e in answer["markers"]["edges"]}
    assert ids == {(up["id"], up["anchor"]), (down["anchor"], down["id"])}
    assert not answer["truncated"]


def test_it_marks_nothing_where_the_graph_ends(chain):
    assert answer_of(chain, upstream=4, downstream=2)["markers"]["nodes"] == []
    assert set(marks(answer_of(chain, upstream=0, downstream=0))) == {
        ("model:v0", "upstream"),
        ("model:v0", "downstream"),
    }


def test_growing_adds_one_hop_there_and_keeps_everything_shown(chain):
    answer = answer_of(chain, upstream=1, downstream=1)
    grown = grow(chain, answer, "train", "upstream", upstream=1, downstream=1)
    assert labels(answer).items() < labels(grown).items()  # same ids, same labels
    assert set(labels(grown).values()) - set(labels(answer).values()) == {"split:v0"}
    assert ("split:v0", "train") in edge_set(grown)
    # The grown node is cut by hops in turn; the other marker stays as it was.
    found = marks(grown)
    assert set(found) == {("split:v0", "upstream"), ("eval", "downstream")}
    assert found[("eval", "downstream")] == marks(answer)[("eval", "downstream")]
    # And it grows again from there, the two grown markers in the URL together.
    again = grow(
        chain,
        grown,
        "split:v0",
        "upstream",
        upstream=1,
        downstream=1,
        grow={marks(answer)[("train", "upstream")]["id"]},
    )
    assert {"split:v0", "prep"} <= set(labels(again).values())
    assert set(marks(again)) == {("prep", "upstream"), ("eval", "downstream")}


def test_growing_gives_what_a_bigger_view_has_there(g):
    """Three runs use data, each logs a model that an eval run uses: growing one run's
    marker gives exactly its part of the view with one more hop."""
    data = g.art("data")
    for i in range(3):
        train = g.run(f"train-{i}", "train", uses=[data])
        model = g.art(f"model-{i}", "model", run=train)
        g.run(f"eval-{i}", "eval", uses=[model])
    answer = answer_of(data, downstream=1)
    assert {m["label"] for m in marks(answer).values()} == {"+1 more"}
    grown = grow(data, answer, "train-1", downstream=1)
    bigger = answer_of(data, downstream=2)
    added = set(labels(grown).values()) - set(labels(answer).values())
    near = {t for s, t in edge_set(bigger) if s == "train-1"}
    assert added == near == {"model-1:v0"}
    assert levels(grown)["model-1:v0"] == levels(bigger)["model-1:v0"] == 2
    assert set(marks(grown)) == {
        ("train-0", "downstream"),
        ("train-2", "downstream"),
        ("model-1:v0", "downstream"),
    }


def test_a_cluster_grows_as_one_and_clusters_what_it_adds(g):
    data = sweep(g, 6)
    answer = answer_of(data, downstream=1)
    (marker,) = marks(answer).values()
    assert marker["label"] == "+6 more"  # the six runs' six models
    grown = grow(data, answer, "6 runs", downstream=1)
    assert set(labels(grown).values()) == set(labels(answer_of(data, downstream=2)).values())
    assert ("6 runs", "6 versions of zoo-model") in edge_set(grown)


def test_it_does_not_count_what_the_view_already_has(g):
    """eval uses data and model: beyond model (at 2) lies eval, drawn already at 1."""
    data = g.art("data")
    train = g.run("train", "train", uses=[data])
    model = g.art("model", "model", run=train)
    g.run("eval", "eval", uses=[model, data])
    assert answer_of(data, downstream=2)["markers"]["nodes"] == []


def test_it_marks_a_level_the_bound_cut(g, settings):
    settings.LINEAGE_MAX_NODES = 4
    data = sweep(g, 3)
    answer = answer_of(data, downstream=2)
    (marker,) = answer["markers"]["nodes"]
    assert marker["data"]["cut"] == "bound"
    assert (marker["data"]["label"], marker["data"]["level"]) == ("+3 more", 2)
    assert labels(answer)[marker["data"]["anchor"]].startswith("sweep-")
    assert answer["truncated"] is True
    grown = lineage_view(nid(data), View(downstream=2, grow={marker["data"]["id"]}))
    assert labels(answer).items() < labels(grown).items()
    assert {"zoo-model:v0", "zoo-model:v1", "zoo-model:v2"} <= set(labels(grown).values())
    assert grown["markers"]["nodes"] == [] and grown["truncated"] is False


def test_a_level_grows_by_the_bound_at_a_time(g, settings):
    settings.LINEAGE_MAX_NODES = 2
    data = g.art("data")
    for i in range(4):
        g.run(f"train-{i}", "train", uses=[data])
    answer = answer_of(data, downstream=1)
    (marker,) = answer["markers"]["nodes"]
    assert marker["data"]["label"] == "+3 more"
    once = lineage_view(nid(data), View(downstream=1, grow={marker["data"]["id"]}))
    assert len(labels(once)) == 4
    (rest,) = once["markers"]["nodes"]
    assert rest["data"]["label"] == "+1 more" and rest["data"]["id"] != marker["data"]["id"]
    ids = {marker["data"]["id"], rest["data"]["id"]}
    twice = lineage_view(nid(data), View(downstream=1, grow=ids))
    assert len(labels(twice)) == 5 and twice["markers"]["nodes"] == []


def test_it_ignores_a_marker_id_the_view_does_not_have(chain):
    plain = answer_of(chain, upstream=1, downstream=1)
    assert answer_of(chain, upstream=1, downstream=1, grow={"more:0123456789ab"}) == plain


def test_a_grown_cluster_is_searched_like_any_other(g):
    data = sweep(g, 6)
    answer = answer_of(data, downstream=1)
    grown = grow(data, answer, "6 runs", downstream=1)
    cluster = next(i for i, label in labels(grown).items() if label == "6 versions of zoo-model")
    view = View(downstream=1, grow={marks(answer)[("6 runs", "downstream")]["id"]})
    members, total = cluster_members(nid(data), view, cluster, "v3")
    assert total == 1 and members[0]["label"] == "zoo-model:v3"


# ---- with locked placeholders (tests/lineage/test_access.py's world) ---------------------


@pytest.fixture
def world(db):
    return make_world()


def test_a_placeholders_marker_tells_nothing_of_it(world):
    """nobody sees open-data's runs: five open ones, and seven locked (SECRETtrain, whose
    SECRETmodel lies beyond, and six SECRETsweep runs)."""
    answer = lineage_view(world.data.node_id, View(downstream=1), world.nobody)
    assert_nothing_private(json.dumps(answer), world)
    found = marks(answer)
    assert set(found) == {("7 without access", "downstream")}
    marker = found[("7 without access", "downstream")]
    assert marker["label"] == "+1 more"
    grown = lineage_view(world.data.node_id, View(downstream=1, grow={marker["id"]}), world.nobody)
    assert_nothing_private(json.dumps(grown), world)
    added = [n["data"] for n in grown["elements"]["nodes"] if n["data"]["id"] not in labels(answer)]
    assert [(d["kind"], d["label"], d["level"]) for d in added] == [("locked", "No access", 2)]
    # Beyond the locked model: public-eval, seen, with its own marker onward.
    assert ("No access", "downstream") in marks(grown)
    bigger = lineage_view(world.data.node_id, View(downstream=2), world.nobody)
    assert set(labels(grown).values()) == set(labels(bigger).values())


def test_a_placeholders_marker_has_another_id_than_the_nodes_would(world):
    """The same cut seen by alice (who sees SECRETtrain) and by nobody (a placeholder)
    gives different marker ids: a placeholder's marker cannot be matched to a node."""
    view = View(downstream=1, expand_clusters=True)
    alice = lineage_view(world.data.node_id, view, world.alice)
    nobody = lineage_view(world.data.node_id, view, world.nobody)
    ids = {m["data"]["id"] for m in alice["markers"]["nodes"]}
    locked = {m["data"]["id"] for m in nobody["markers"]["nodes"]}
    assert len(ids) == len(locked) == 1 and ids.isdisjoint(locked)
    assert_nothing_private(json.dumps(nobody), world)


def test_a_level_cut_among_placeholders_counts_them_and_tells_nothing_else(world, settings):
    settings.LINEAGE_MAX_NODES = 4
    view = View(downstream=1, expand_clusters=True)
    answer = lineage_view(world.data.node_id, view, world.nobody)
    assert_nothing_private(json.dumps(answer), world)
    (marker,) = [m for m in answer["markers"]["nodes"] if m["data"]["cut"] == "bound"]
    assert marker["data"]["label"] == "+9 more"  # 12 runs (7 locked) at level 1, 3 shown
    grown = lineage_view(
        world.data.node_id,
        View(downstream=1, expand_clusters=True, grow={marker["data"]["id"]}),
        world.nobody,
    )
    assert_nothing_private(json.dumps(grown), world)
    level_1 = [n["data"] for n in grown["elements"]["nodes"] if n["data"]["level"] == 1]
    assert len(level_1) == 3 + 4  # the bound's worth more
    assert labels(answer).items() < labels(grown).items()
    rest = [m["data"]["label"] for m in grown["markers"]["nodes"] if m["data"]["cut"] == "bound"]
    assert rest == ["+5 more"]


def test_it_counts_what_the_filters_keep_and_every_placeholder(db, django_user_model):
    """train logs a model and a generated code artifact (left out unless asked for),
    and a SECRET generated one nobody may see: a placeholder, which every filter keeps."""
    from registry.models import Project
    from tests.conftest import Builder

    nobody = django_user_model.objects.create_user("nobody")
    public, secret = Builder("pub", "open"), Builder("acme", "secret")
    Project.objects.filter(pk=public.project.pk).update(open=True)
    data = public.art("data")
    train = public.run("train", uses=[data])
    public.art("model", "model", run=train)
    public.art("source-train", "code", run=train, generated=True)
    secret.art("SECRETsource", "code", run=train, generated=True)

    def count(user, **view):
        answer = lineage_view(nid(data), View(downstream=1, **view), user)
        return [m["data"]["label"] for m in answer["markers"]["nodes"]]

    assert count(None) == ["+1 more"]
    assert count(None, generated=True) == ["+3 more"]
    assert count(nobody) == ["+2 more"]  # the model and the placeholder
    assert count(nobody, artifact_types=["dataset"]) == ["+1 more"]  # the placeholder
    grown = lineage_view(
        nid(data),
        View(
            downstream=1,
            grow={
                marks(lineage_view(nid(data), View(downstream=1), nobody))[("train", "downstream")][
                    "id"
                ]
            },
        ),
        nobody,
    )
    added = {n["data"]["label"] for n in grown["elements"]["nodes"]} - {"data:v0", "train"}
    assert added == {"model:v0", "No access"}
    assert "SECRET" not in json.dumps(grown)


def test_an_extended_view_grows_like_a_bigger_one(g):
    """With extended lineage the grown run's other inputs come with it, as in a view with
    one more hop."""
    data, holdout = g.art("data"), g.art("holdout")
    train = g.run("train", "train", uses=[data])
    model = g.art("model", "model", run=train)
    g.run("eval", "eval", uses=[model, holdout])
    answer = answer_of(data, downstream=2, extended=True)
    assert set(marks(answer)) == {("model:v0", "downstream")}
    grown = grow(data, answer, "model:v0", downstream=2, extended=True)
    bigger = answer_of(data, downstream=3, extended=True)
    assert labels(answer).items() < labels(grown).items()
    assert set(labels(grown).values()) == set(labels(bigger).values())
    assert levels(grown) == levels(bigger)
