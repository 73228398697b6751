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


@pytest.mark.parametrize("model", ["alias", "membership", "lineageedge"])
def test_it_keeps_rows_of_domain_operations_read_only(loaded, admin_client, model):
    """Aliases, links and edges change only through operations that write the audit."""
    page = admin_client.get(f"/admin/registry/{model}/").content.decode()
    assert f"/admin/registry/{model}/add/" not in page
    assert admin_client.get(f"/admin/registry/{model}/add/").status_code == 403


def test_it_keeps_a_versions_content_read_only(loaded, admin_client):
    from registry.models import ArtifactVersion

    model = next(v for v in ArtifactVersion.objects.all() if v.name == "zoo-ylbchv20:v0")
    url = f"/admin/registry/artifactversion/{model.pk}/change/"
    form = admin_client.get(url).context["adminform"].form
    assert set(form.fields) == {"description", "metadata"}


def test_it_refuses_a_collection_of_a_type_its_registry_does_not_accept(loaded, admin_client):
    from registry.models import Collection, Registry

    registry = Registry.objects.get(name="model")
    response = admin_client.post(
        "/admin/registry/collection/add/",
        {"registry": registry.pk, "name": "zoo-data", "type": "dataset", "description": ""},
    )
    assert "does not accept artifacts of type" in response.content.decode()
    assert not Collection.objects.filter(name="zoo-data").exists()


def test_it_filters_audit_events_by_collection_actor_and_date(loaded, admin_client):
    from django.contrib.auth import get_user_model

    from registry.models import AuditEvent, Collection

    classifier = Collection.objects.get(name="zoo-classifier")
    noah = get_user_model().objects.get(username="noah")
    url = "/admin/registry/auditevent/"
    url += f"?collection__id__exact={classifier.pk}&actor__id__exact={noah.pk}"
    expected = AuditEvent.objects.filter(collection=classifier, actor=noah).count()
    assert 0 < expected < AuditEvent.objects.count()
    assert admin_client.get(url).context["cl"].result_count == expected
    today = AuditEvent.objects.first().created_at.date()
    url = f"/admin/registry/auditevent/?created_at__year={today.year}"
    assert admin_client.get(url).context["cl"].result_count == AuditEvent.objects.count()
