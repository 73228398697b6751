import json
import types

import pytest

from registry.models import Run


@pytest.fixture
def world(build, alice):
    """split:v0, logged by five runs (brisk-0..3, misty-river-6) and in collection
    dataset/splits (production); used by train-1 (alice's, finished), which logs
    model:v0 (in model/classifier) and generated code, and by sweep-0 and sweep-1, each
    logging a sweep-model version; eval-1 reads model:v0 and logs an evaluation."""
    producers = [build.run(f"brisk-{i}", "preprocess") for i in range(4)]
    producers.append(build.run("misty-river-6", "preprocess"))
    for run in producers:
        split = build.art("split", content="the same split", run=run)
    build.link("dataset", "splits", split, ["production"])
    train = build.run("train-1", uses=[split], author=alice, state=Run.State.FINISHED)
    model = build.art("model", "model", run=train)
    build.art("source-train.py", "code", run=train, generated=True)
    build.link("model", "classifier", model)
    for i in range(2):
        build.art("sweep-model", "model", run=build.run(f"sweep-{i}", uses=[split]))
    evaluation = build.run("eval-1", "eval", uses=[model])
    build.art("eval-report", "evaluation", run=evaluation)
    return types.SimpleNamespace(split=split, train=train, model=model, evaluation=evaluation)


@pytest.fixture
def viewer(client, alice, world):
    client.force_login(alice)
    return client


def test_it_previews_a_run(viewer, world):
    run = world.train
    body = viewer.get(f"/lineage/preview/run:{run.pk}/").content.decode()
    for text in (run.run_id, "train-1", "finished", "train", "acme/zoo", "alice"):
        assert text in body
    assert "split:v0" in body and "model:v0" in body
    assert f'data-recenter="run:{run.pk}"' in body


def test_it_previews_an_artifact_with_its_impact(viewer, world):
    split = world.split
    body = viewer.get(f"/lineage/preview/artifact:{split.pk}/").content.decode()
    for text in (
        "acme/<wbr>zoo/<wbr>split:<wbr>v0",  # the full name, free to wrap after its separators
        "dataset",
        "latest",
        split.digest,
        '<a href="/registry/dataset/splits/v0/">dataset/splits v0</a>: '
        '<span class="badge alias">latest</span><span class="badge alias">production</span>',
    ):
        assert text in body
    assert "misty-river-6" in body and "brisk-3" in body  # every producer
    # train-1, the two sweeps and eval-1; model and two sweep-models; splits and classifier.
    assert "4 downstream runs, 3 models, 2 registry collections" in body


def test_it_refuses_unknown_nodes(viewer):
    assert viewer.get("/lineage/preview/artifact:99999/").status_code == 404
    assert viewer.get("/lineage/preview/dataset:1/").status_code == 404
    assert viewer.get("/lineage/run:99999/").status_code == 404


def test_it_has_a_page_per_node(viewer, world):
    response = viewer.get(f"/lineage/run:{world.evaluation.pk}/")
    assert response.status_code == 200
    assert f'data-node="run:{world.evaluation.pk}"' in response.content.decode()


def test_it_offers_filter_choices_present_in_the_data(viewer, world):
    body = viewer.get(f"{world.split.get_absolute_url()}?tab=lineage").content.decode()
    for choice in ('value="evaluation"', 'value="code"', 'value="preprocess"', 'value="eval"'):
        assert choice in body
    assert 'value="table"' not in body  # no such type in the data
    # both lists are checkboxes (no Ctrl-click), and say that none ticked keeps every value
    assert 'type="checkbox" name="artifact_types" value="evaluation"' in body
    assert 'type="checkbox" name="job_types" value="eval"' in body
    assert "<select" not in body
    assert body.count('aria-describedby="custom-multi-hint"') == 2
    assert 'id="custom-multi-hint"' in body and "none ticked keeps every value" in body


def test_it_searches_a_cluster_on_the_server(viewer, world):
    from lineage.engine import View, lineage_view

    node = world.model.node_id
    answer = lineage_view(node, View())
    cluster = next(n["data"] for n in answer["elements"]["nodes"] if n["data"]["kind"] == "cluster")
    assert cluster["label"] == "5 runs"  # split's producers, three hops up
    params = {"node": node, "cluster": cluster["id"], "label": "<b>5 runs</b>"}
    body = viewer.get("/lineage/cluster/", {**params, "q": "BRISK"}).content.decode()
    assert body.count("data-extract=") == 4
    assert "misty-river-6" not in body
    assert "&lt;b&gt;5 runs&lt;/b&gt;" in body
    assert "&amp;q=" not in body  # the search box sends its own q
    gone = viewer.get("/lineage/cluster/", {**params, "cluster": "cluster:nothing"})
    assert gone.status_code == 404
    assert viewer.get("/lineage/cluster/", {**params, "upstream": "99"}).status_code == 404


def test_it_shows_the_view_of_the_url_in_the_custom_form(client, alice, g):
    from lineage.view import View

    client.force_login(alice)
    data = g.art("data")
    g.art("model", "model", run=g.run("train", "train", uses=[data]))
    query = "artifact_types=dataset,model&extended=1&upstream=2&extract=run:1"
    body = client.get(f"/lineage/{data.node_id}/?{query}").content.decode()
    assert 'name="artifact_types" value="dataset" id="id_artifact_types_0" checked>' in body
    assert 'name="artifact_types" value="model" id="id_artifact_types_1" checked>' in body
    assert 'name="extended" id="id_extended" checked' in body
    assert 'name="generated" id="id_generated">' in body
    assert 'name="upstream" value="2"' in body and 'name="downstream" value="3"' in body
    spec = json.loads(
        body.split('id="lineage-view-spec" type="application/json">', 1)[1].split("</script>", 1)[0]
    )
    assert spec == View.spec()


def test_it_says_what_is_wrong_with_a_view_in_the_url(client, alice, g):
    client.force_login(alice)
    data = g.art("data")
    body = client.get(f"/lineage/{data.node_id}/?upstream=99").content.decode()
    assert 'role="alert">The view is not valid: upstream must be between 0 and 10.' in body
    assert 'name="upstream" value="3"' in body  # the default view is drawn instead
