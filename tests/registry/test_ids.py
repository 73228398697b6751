"""Ids and version numbers people write go through one strict parser (registry.names):
ASCII digits only, bounded length. `int()` takes '²'-free Unicode digits ('١' is 1) and
refuses thousands of digits with a ValueError: both used to answer 500."""

import pytest
from django.test import Client

from registry import names
from registry.blobs import store_bytes
from registry.errors import InvalidName
from registry.models import ApiKey, ArtifactSequence, Collection, Project, Registry

HUGE = "9" * 5000
BAD_NUMBERS = ["²", "١", "1²", HUGE, "9" * 19, "", "-1", "1 ", " 1", "0x1", "1_0"]


@pytest.mark.parametrize("text", BAD_NUMBERS)
def test_the_parser_takes_ascii_digits_of_bounded_length_only(text):
    with pytest.raises(InvalidName, match="Invalid id"):
        names.parse_id(text)
    with pytest.raises(InvalidName, match="Invalid node id"):
        names.parse_node_id(f"artifact:{text}")
    with pytest.raises(InvalidName, match="Invalid version"):
        names.parse_version(f"v{text}")


def test_the_parser_reads_what_is_right():
    assert names.parse_id("007") == 7
    assert names.parse_id("9" * 18) == 10**18 - 1
    assert names.parse_node_id("run:12") == ("run", 12)
    assert names.parse_version("v3") == 3


def test_a_refusal_does_not_echo_thousands_of_digits():
    with pytest.raises(InvalidName) as caught:
        names.parse_node_id(f"artifact:{HUGE}")
    assert len(caught.value.message) < 200


@pytest.fixture
def version(db):
    project = Project.get_or_create_path("acme", "zoo")
    version, _ = ArtifactSequence.log_version(project, "ds", "model", {"f": store_bytes(b"x")})
    Collection.link(Registry.objects.get(name="model"), "zoo", version)
    return version


@pytest.fixture
def page(alice):
    client = Client(raise_request_exception=False)
    client.force_login(alice)
    return client


@pytest.fixture
def api(alice):
    _, key = ApiKey.create_for(alice)
    return Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {key}")


BAD_IDS = ["%C2%B2", "%D9%A1", HUGE]  # '²', '١' (Arabic-Indic one), thousands of digits


@pytest.mark.parametrize("pk", BAD_IDS)
def test_the_lineage_api_refuses_bad_node_ids(api, version, pk):
    for query in [f"node=artifact:{pk}", f"node={version.node_id}&extract=artifact:{pk}"]:
        response = api.get(f"/api/v1/lineage?{query}")
        assert response.status_code in (200, 400), (query, response.status_code)
        assert response["Content-Type"].startswith("application/json")
    response = api.get(f"/api/v1/lineage?node=artifact:{pk}")
    assert response.status_code == 400
    assert "Invalid node id" in response.json()["detail"]


@pytest.mark.parametrize("pk", BAD_IDS)
def test_the_lineage_pages_answer_404_for_bad_node_ids(page, version, pk):
    for path in [
        f"/lineage/artifact:{pk}/",
        f"/lineage/preview/artifact:{pk}/",
        f"/lineage/preview/run:{pk}/",
        f"/lineage/?node=artifact:{pk}",
        f"/lineage/cluster/?node=artifact:{pk}&cluster=x",
    ]:
        assert page.get(path).status_code == 404, path


@pytest.mark.parametrize("pk", BAD_IDS)
def test_version_segments_answer_404_for_bad_numbers(page, version, pk):
    for path in [
        f"/acme/zoo/artifacts/model/ds/v{pk}/",
        f"/acme/zoo/artifacts/model/ds/v{pk}/files/f",
        f"/registry/model/zoo/v{pk}/",
    ]:
        assert page.get(path).status_code == 404, path


@pytest.mark.parametrize("text", ["a/b", "v%C2%B2", f"v{HUGE}", "latest"])
def test_the_version_dropdown_of_a_collection_page_takes_version_numbers_only(page, version, text):
    assert page.get(f"/registry/model/zoo/?version={text}").status_code == 404
    response = page.get("/registry/model/zoo/?version=v0")
    assert response.status_code == 302 and "/registry/model/zoo/v0/" in response["Location"]


@pytest.mark.parametrize("pk", BAD_IDS)
def test_the_api_refuses_bad_version_numbers_in_names(api, version, pk):
    response = api.get(f"/api/v1/collections/resolve?name=model/zoo:v{pk}")
    assert response.status_code in (400, 404), response.content
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("pk", ["١", "²", HUGE])
def test_wandb_ids_take_the_same_numbers(pk):
    """'Artifact:١' was read as Artifact 1."""
    from registry.errors import NotFound
    from wandb_api import ids

    assert ids.decode(ids.encode("Artifact", 1), "Artifact") == ("Artifact", 1)
    with pytest.raises(NotFound):
        ids.decode(ids.encode("Artifact", pk), "Artifact")
