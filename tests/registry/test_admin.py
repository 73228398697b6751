import pytest

from registry import demo


@pytest.fixture
def loaded(db):
    demo.load()


@pytest.mark.parametrize(
    "model",
    [
        "project",
        "run",
        "artifactsequence",
        "artifactversion",
        "registry",
        "registrymember",
        "collection",
        "membership",
        "alias",
        "blob",
        "lineageedge",
        "auditevent",
        "apikey",
    ],
)
def test_it_lists_and_searches_every_model(loaded, admin_client, model):
    assert admin_client.get(f"/admin/registry/{model}/").status_code == 200
    assert admin_client.get(f"/admin/registry/{model}/?q=zoo").status_code == 200


def test_it_shows_a_runs_inputs_and_outputs(loaded, admin_client):
    from registry.models import Run

    run = Run.objects.get(name="rural-feather-20")
    page = admin_client.get(f"/admin/registry/run/{run.pk}/change/").content.decode()
    assert "acme/zoo/split_zoo_dataset:v4" in page
    assert "acme/zoo/zoo-ylbchv20:v0" in page


def test_it_shows_a_versions_producers_and_consumers(loaded, admin_client):
    from registry.models import ArtifactVersion

    model = next(v for v in ArtifactVersion.objects.all() if v.name == "zoo-ylbchv20:v0")
    page = admin_client.get(f"/admin/registry/artifactversion/{model.pk}/change/")
    assert "rural-feather-20" in page.content.decode()
    assert "northern-lake-21" in page.content.decode()
