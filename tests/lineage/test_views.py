import json

import pytest

from registry import demo
from registry.models import ArtifactSequence, Run


@pytest.fixture
def viewer(client, alice):
    demo.load()
    client.force_login(alice)
    return client


def test_it_previews_a_run(viewer):
    run = Run.objects.get(name="rural-feather-20")
    body = viewer.get(f"/lineage/preview/run:{run.pk}/").content.decode()
    for text in (run.run_id, "rural-feather-20", "finished", "train", "acme/zoo", "alice"):
        assert text in body
    assert "split_zoo_dataset:v4" in body and "zoo-ylbchv20:v0" in body
    assert f'data-recenter="run:{run.pk}"' in body


def test_it_previews_an_artifact_with_its_impact(viewer):
    split = ArtifactSequence.objects.get(name="split_zoo_dataset").version_by_alias("v4")
    body = viewer.get(f"/lineage/preview/artifact:{split.pk}/").content.decode()
    for text in (
        "acme/zoo/split_zoo_dataset:v4",
        "dataset",
        "latest",
        split.digest,
        '<a href="/registry/dataset/zoo-splits/v0/">dataset/zoo-splits v0</a>: '
        '<span class="badge alias">latest</span><span class="badge alias">production</span>',
    ):
        assert text in body
    assert "misty-river-6" in body and "brisk-leaf-10" in body  # every producer
    # 7 train runs + the eval run; zoo-ylbchv20 and 6 zoo-model versions; 2 collections.
    assert "8 downstream runs, 7 models, 2 registry collections" in body


def test_it_refuses_unknown_nodes(viewer):
    assert viewer.get("/lineage/preview/artifact:99999/").status_code == 404
    assert viewer.get("/lineage/preview/dataset:1/").status_code == 404
    assert viewer.get("/lineage/run:99999/").status_code == 404


def test_it_has_a_page_per_node(viewer):
    run = Run.objects.get(name="northern-lake-21")
    response = viewer.get(f"/lineage/run:{run.pk}/")
    assert response.status_code == 200
    assert 'data-node="run:' in response.content.decode()


def test_it_offers_filter_choices_present_in_the_data(viewer):
    split = ArtifactSequence.objects.get(name="split_zoo_dataset").version_by_alias("v4")
    body = viewer.get(f"{split.get_absolute_url()}?tab=lineage").content.decode()
    for choice in ('value="evaluation"', 'value="code"', 'value="preprocess"', 'value="eval"'):
        assert choice in body
    # both lists say how to choose several values
    assert body.count('aria-describedby="custom-multi-hint"') == 2
    assert 'id="custom-multi-hint"' in body and "Choose several" in body


def test_it_searches_a_cluster_on_the_server(viewer):
    from lineage.engine import View, lineage_view

    model = ArtifactSequence.objects.get(name="zoo-ylbchv20").version_by_alias("v0")
    answer = lineage_view(f"artifact:{model.pk}", View())
    cluster = next(n["data"] for n in answer["elements"]["nodes"] if n["data"]["kind"] == "cluster")
    params = {"node": f"artifact:{model.pk}", "cluster": cluster["id"], "label": "<b>5 runs</b>"}
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
    assert '<option value="dataset" selected>' in body
    assert '<option value="model" selected>' in body
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
