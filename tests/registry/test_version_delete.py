"""ArtifactVersion.delete_by and DELETE /versions/{id}: the rule, the tombstone, the API."""

import pytest

from registry.errors import Conflict
from registry.models import ApiKey, ArtifactVersion, Membership


def test_it_keeps_the_number_and_gives_latest_back(log, make_run):
    run = make_run()
    first, _ = log("zoo", {"a.txt": "one"}, run=run)
    second, _ = log("zoo", {"a.txt": "two"}, run=run)
    second.delete_by()
    sequence = first.sequence
    assert first.aliases() == ["latest"]
    assert list(sequence.versions.all()) == [first]
    assert [m.index for m in sequence.memberships.all()] == [0]
    assert Membership._base_manager.filter(collection=sequence).count() == 2
    assert list(run.outputs()) == [first]
    third, created = log("zoo", {"a.txt": "two"})
    assert created and third.version == "v2"


def test_it_refuses_while_used_or_aliased(log, make_run):
    version, _ = log("zoo", {"a.txt": "one"}, aliases=["best"])
    with pytest.raises(Conflict, match="holds the aliases best"):
        version.delete_by()
    make_run().use_version(version)
    with pytest.raises(Conflict, match="is an input of 1 run"):
        version.delete_by(delete_aliases=True)
    assert ArtifactVersion.objects.get(pk=version.pk).aliases() == ["best", "latest"]


def test_it_answers_json_through_the_api(client, log, alice):
    version, _ = log("zoo", {"a.txt": "one"}, aliases=["best"])
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {ApiKey.create_for(alice)[1]}"
    refused = client.delete(f"/api/v1/versions/{version.pk}")
    assert refused.status_code == 409 and "holds the aliases best" in refused.json()["detail"]
    deleted = client.delete(f"/api/v1/versions/{version.pk}?delete_aliases=true")
    assert deleted.json() == {"detail": "zoo:v0 deleted."}
    again = client.delete(f"/api/v1/versions/{version.pk}")
    assert again.status_code == 404
