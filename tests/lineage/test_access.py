"""The graph never leaks (the README's "Teams and who sees what"): a node the user may
not see is a locked placeholder in the engine's answer, the lineage API, previews,
cluster panels and impact counts; its edges are kept; no filter tells its type by what
it keeps."""

import itertools
import json
import re

import pytest
from django.utils import timezone

from lineage import access
from lineage.engine import View, cluster_members, lineage_view
from lineage.impact import impact
from registry.errors import NotFound
from registry.models import Registry

from .private_world import make_world

PLACEHOLDER_KEYS = {"id", "kind", "label", "level", "base"}


@pytest.fixture
def world(db):
    return make_world()


def view_of(world, user, **view):
    return lineage_view(world.data.node_id, View(**{"downstream": 4, **view}), user)


def nodes(answer):
    return {node["data"]["id"]: node["data"] for node in answer["elements"]["nodes"]}


def by_label(answer):
    return {data["label"]: data for data in nodes(answer).values()}


def locked(answer):
    return {i: d for i, d in nodes(answer).items() if "locked" in (d["kind"], d.get("clusterKind"))}


def private_ids(world):
    runs = [world.train, *world.secret_sweep]
    return [f"artifact:{world.model.pk}", *(f"run:{run.pk}" for run in runs)]


def assert_nothing_private(text, world):
    assert "SECRET" not in text
    for node_id in private_ids(world):
        assert not re.search(rf"\b{node_id}\b", text), node_id


def edges(answer):
    return {(e["data"]["source"], e["data"]["target"]) for e in answer["elements"]["edges"]}


def test_a_user_in_nothing_sees_placeholders_with_their_edges(world):
    answer = view_of(world, world.nobody)
    assert_nothing_private(json.dumps(answer), world)
    shown = by_label(answer)
    data, evaluation = shown["open-data:v0"]["id"], shown["public-eval"]["id"]
    runs = shown["7 without access"]["id"]  # SECRETtrain and the private sweep
    (model,) = [i for i, d in locked(answer).items() if d["kind"] == "locked"]
    assert set(nodes(answer)[model]) == PLACEHOLDER_KEYS
    assert nodes(answer)[model]["label"] == "No access"
    # open-data -> [runs] -> [model] -> public-eval -> public-report: the shape stays whole.
    assert {(data, runs), (runs, model), (model, evaluation)} <= edges(answer)
    assert "public-report:v0" in shown


def test_placeholders_of_one_place_cluster_among_themselves(world):
    """The six private sweep runs (and SECRETtrain beside them) are one locked cluster,
    the five open ones a cluster of their own: no count mixes the two."""
    answer = view_of(world, world.nobody, downstream=1)
    clusters = {d["label"]: d for d in nodes(answer).values() if d["kind"] == "cluster"}
    assert set(clusters) == {"7 without access", "5 runs"}
    hidden = clusters["7 without access"]
    assert hidden["clusterKind"] == "locked" and hidden["count"] == 7
    assert {m["label"] for m in hidden["members"]} == {"No access"}
    assert set(hidden) == {
        "id",
        "kind",
        "clusterKind",
        "count",
        "level",
        "base",
        "label",
        "members",
    }
    assert {m["label"] for m in clusters["5 runs"]["members"]} == {f"sweep-{i}" for i in range(5)}


def test_cluster_search_lists_placeholders_never_names(world):
    view = View(downstream=1)
    answer = lineage_view(world.data.node_id, view, world.nobody)
    hidden = next(i for i, d in locked(answer).items() if d["kind"] == "cluster")
    found, total = cluster_members(world.data.node_id, view, hidden, "", user=world.nobody)
    assert total == 7 and {m["label"] for m in found} == {"No access"}
    assert all(access.is_locked_id(m["id"]) for m in found)
    assert cluster_members(world.data.node_id, view, hidden, "SECRET", user=world.nobody)[1] == 0


def test_a_restricted_viewer_sees_the_linked_version_but_not_its_run(world):
    answer = view_of(world, world.rita)
    shown = by_label(answer)
    assert shown["SECRETmodel:v0"]["type"] == "SECRETtype"  # seen through the registry
    assert "SECRETtrain" not in json.dumps(answer) and "SECRETsweep" not in json.dumps(answer)
    assert [d["count"] for d in locked(answer).values()] == [7]  # the runs of data


def test_a_team_member_and_a_superuser_see_everything(world, django_user_model):
    root = django_user_model.objects.create_superuser("root")
    for user in (world.alice, root, None):
        answer = view_of(world, user)
        assert not locked(answer)
        assert "SECRETtrain" in json.dumps(answer)


def test_a_private_base_is_not_found_as_if_it_did_not_exist(world):
    with pytest.raises(NotFound) as hidden:
        lineage_view(world.train.node_id, View(), world.nobody)
    with pytest.raises(NotFound) as missing:
        lineage_view("run:999999", View(), world.nobody)
    assert hidden.value.message == missing.value.message.replace("999999", str(world.train.pk))


@pytest.mark.parametrize(
    "view",
    [
        {"artifact_types": ["SECRETtype"]},
        {"artifact_types": ["dataset"]},
        {"job_types": ["SECRETjob"]},
        {"job_types": ["eval"]},
        {"generated": True},
        {"expand_clusters": True},
    ],
)
def test_filters_keep_placeholders_whatever_their_type(world, view):
    """What a filter keeps never tells a hidden node's type or job type: placeholders are
    kept by every filter (the same ones, however the filter names their real type)."""
    expanded = {**view, "expand_clusters": True}
    plain = locked(view_of(world, world.nobody, expand_clusters=True))
    assert set(locked(view_of(world, world.nobody, **expanded))) == set(plain)
    assert_nothing_private(json.dumps(view_of(world, world.nobody, **view)), world)


def test_extract_takes_a_placeholders_locked_id_never_its_real_id(world):
    base = world.data.node_id
    answer = lineage_view(base, View(downstream=1), world.nobody)
    cluster = next(d for d in locked(answer).values() if d["kind"] == "cluster")
    first = cluster["members"][0]["id"]
    real = View(downstream=1, extract=[world.secret_sweep[0].node_id, world.train.node_id])
    assert nodes(lineage_view(base, real, world.nobody)) == nodes(answer)
    out = nodes(lineage_view(base, View(downstream=1, extract=[first]), world.nobody))
    assert out[first]["kind"] == "locked"
    assert next(d for d in out.values() if d.get("clusterKind") == "locked")["count"] == 6


def test_impact_counts_only_what_the_user_sees(world):
    registries = Registry.objects.visible_to(world.nobody)
    counts = impact(world.data.pk, registries, world.nobody)
    # public-eval and the five open sweep runs; the model and 7 private runs are locked.
    assert counts == {"runs": 6, "models": 0, "collections": 0, "locked": 8, "bounded": False}
    everything = impact(world.data.pk, Registry.objects.all(), world.alice)
    assert everything["runs"] == 13 and everything["locked"] == 0


# ---- through HTTP: the lineage API, previews, the cluster panel, the page ----------------


@pytest.fixture
def nobody(client, world):
    client.force_login(world.nobody)
    return client


def test_the_api_answers_the_same_placeholders(world, nobody):
    response = nobody.get("/api/v1/lineage", {"node": world.data.node_id, "downstream": 4})
    assert response.status_code == 200
    assert_nothing_private(response.content.decode(), world)
    assert response.json() == view_of(world, world.nobody)
    hidden = nobody.get("/api/v1/lineage", {"node": world.train.node_id})
    missing = nobody.get("/api/v1/lineage", {"node": "run:999999"})
    assert hidden.status_code == missing.status_code == 404


def test_a_placeholders_preview_says_no_access(world, nobody):
    answer = view_of(world, world.nobody)
    placeholder = next(i for i, d in locked(answer).items() if d["kind"] == "locked")
    body = nobody.get(f"/lineage/preview/{placeholder}/").content.decode()
    assert "You have no access to this node" in body
    assert nobody.get(f"/lineage/preview/{world.train.node_id}/").status_code == 404
    assert nobody.get(f"/lineage/preview/{world.model.node_id}/").status_code == 404
    assert nobody.get(f"/lineage/{world.train.node_id}/").status_code == 404


def test_previews_of_seen_nodes_count_their_hidden_neighbours(world, nobody):
    run = nobody.get(f"/lineage/preview/{world.evaluation.node_id}/").content.decode()
    assert "public-report:v0" in run and "1 version you have no access to" in run
    data = nobody.get(f"/lineage/preview/{world.data.node_id}/").content.decode()
    assert "6 downstream runs" in data and "8 runs or versions you have no access to" in data
    for body in (run, data):
        assert_nothing_private(body, world)


def test_the_cluster_panel_lists_placeholders(world, nobody):
    answer = view_of(world, world.nobody, downstream=1)
    hidden = next(i for i, d in locked(answer).items() if d["kind"] == "cluster")
    query = {"node": world.data.node_id, "downstream": 1, "cluster": hidden, "label": "x"}
    body = nobody.get("/lineage/cluster/", query).content.decode()
    assert "7 members" in body and body.count("No access") >= 7
    assert_nothing_private(body, world)


def test_the_page_offers_only_the_types_and_job_types_the_user_sees(world, nobody):
    body = nobody.get(f"/lineage/{world.data.node_id}/").content.decode()
    assert 'value="report"' in body and 'value="eval"' in body
    assert_nothing_private(body, world)


def test_cluster_search_from_the_cluster_itself_answers_as_the_whole_view(world, monkeypatch):
    """The search box's two fast paths (the members its view drew, kept by lineage_view;
    a hub's first-hop runs, from the cluster's definition) find exactly what searching
    the computed view finds, and never a hidden run, even one of the same job type as
    the open sweep."""
    from django.core.cache import cache

    from lineage import engine
    from registry.models import Run

    hidden = Run.objects.create(project=world.train.project, name="SECRETsame", job_type="sweep")
    hidden.use_version(world.data)
    base, key = world.data.node_id, world.data.pk << 1
    views = [
        View(downstream=1),
        View(upstream=3, downstream=4),
        View(downstream=2, extract=[world.open_sweep[0].node_id]),
    ]
    fast_answers = 0
    for user, view in [(u, v) for u in (world.nobody, world.alice, None) for v in views]:
        clusters = [i for i, d in nodes(lineage_view(base, view, user)).items() if "count" in d]
        for ident in clusters:
            fast_answers += engine._first_hop_runs(key, view, ident, user) is not None
            for term in ("", "sweep", "SWEEP-3", "secret", "no access", "zzz"):
                answers = []
                for path in ("definition", "drawn", "computed"):
                    with monkeypatch.context() as patch:
                        if path != "definition":
                            patch.setattr(engine, "_first_hop_runs", lambda *args: None)
                        if path == "drawn":
                            lineage_view(base, view, user)  # keeps the clusters it drew
                        else:
                            cache.clear()
                        answers.append(cluster_members(base, view, ident, term, user=user))
                assert answers[0] == answers[1] == answers[2], (path, term)
                if user is world.nobody:
                    assert "SECRET" not in json.dumps(answers)
    # nobody: the open sweep in the first two views (extracting one leaves four runs);
    # alice and the trusted caller: both sweeps in every view.
    assert fast_answers == 2 + 6 + 6


def test_a_drawn_cluster_searched_after_access_is_taken_away_shows_placeholders(world):
    """Members are kept as keys only: their labels are read at each search, through the
    visibility querysets, so a run the user may no longer see is never named."""
    from registry.models import TeamMember

    view = View(downstream=1)
    answer = lineage_view(world.data.node_id, view, world.alice)
    (ident,) = [i for i, d in nodes(answer).items() if d.get("jobType") == "SECRETsweepjob"]
    assert cluster_members(world.data.node_id, view, ident, "secret", user=world.alice)[1] == 6
    TeamMember.objects.filter(team__name="acme", user=world.alice).delete()
    found, total = cluster_members(world.data.node_id, view, ident, "", user=world.alice)
    assert total == 6 and {member["label"] for member in found} == {"No access"}
    assert all(access.is_locked_id(member["id"]) for member in found)
    assert "SECRET" not in json.dumps(found)


def test_access_given_after_a_view_shows_in_the_next_one(world):
    """Who may see what is compiled to SQL once per user (access._visible_sql) and
    asked of the database on every view: joining a team, or a registry, counts at once."""
    from registry.models import RegistryMember, Team, TeamMember

    assert len(locked(view_of(world, world.nobody))) > 0
    vault = Registry.objects.get(name="vault")
    vault.members.create(user=world.nobody, role=RegistryMember.Role.VIEWER)
    answer = view_of(world, world.nobody)
    assert f"artifact:{world.model.pk}" in nodes(answer)  # through the registry
    assert f"run:{world.train.pk}" not in nodes(answer)
    TeamMember.objects.create(team=Team.objects.get(name="acme"), user=world.nobody)
    answer = view_of(world, world.nobody)
    assert not locked(answer)
    assert f"run:{world.train.pk}" in nodes(answer)


def test_who_sees_what_from_the_walk_agrees_with_the_visibility_querysets(world, monkeypatch):
    """access.hidden_in decides most nodes from their projects; every answer (views,
    cluster panels, impact counts) is the same as when each node is asked of the
    querysets, including a deleted version still reached by an edge (a tombstone)."""
    from registry.models import ArtifactVersion

    ArtifactVersion._base_manager.filter(pk=world.report.pk).update(deleted_at=timezone.now())
    views = [View(downstream=4), View(downstream=4, expand_clusters=True), View(upstream=2)]
    bases = [world.data.node_id, f"artifact:{world.model.pk}", f"run:{world.evaluation.pk}"]
    for user in (world.alice, world.rita, world.nobody, None):
        answers = []
        for shortcut in (True, False):
            monkeypatch.setattr(access, "SHORTCUT", shortcut)
            found = []
            for base, view in itertools.product(bases, views):
                try:
                    found.append(json.dumps(lineage_view(base, view, user)))
                except NotFound as error:
                    found.append(str(error))
            found.append(impact(world.data.pk, user=user))
            answers.append(found)
        assert answers[0] == answers[1], user
    nobody = json.dumps(lineage_view(world.data.node_id, View(downstream=4), world.nobody))
    assert "public-report" not in nobody  # the tombstone is a placeholder
