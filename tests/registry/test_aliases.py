import pytest

from registry.errors import NotFound, ReservedAlias
from registry.models import Alias, ArtifactSequence, AuditEvent


def test_it_moves_an_alias_and_audits_removal_and_addition(log, alice):
    first, _ = log("ds", {"a": "1"})
    second, _ = log("ds", {"a": "2"})
    sequence = ArtifactSequence.objects.get(name="ds")
    sequence.add_alias(first, "best", alice)
    sequence.add_alias(second, "best", alice)
    assert first.aliases() == []
    assert second.aliases() == ["best", "latest"]
    events = AuditEvent.objects.filter(collection=sequence, alias="best").order_by("id")
    assert [(e.action, e.version_index) for e in events] == [
        ("alias_added", 0),
        ("alias_removed", 0),
        ("alias_added", 1),
    ]
    assert {e.actor for e in events} == {alice}


def test_it_keeps_one_alias_name_per_collection(log):
    first, _ = log("ds", {"a": "1"})
    second, _ = log("ds", {"a": "2"})
    sequence = ArtifactSequence.objects.get(name="ds")
    sequence.add_alias(first, "best")
    sequence.add_alias(second, "best")
    assert Alias.objects.filter(collection=sequence, name="best").count() == 1


@pytest.mark.parametrize("alias", ["latest", "v0", "v12"])
def test_it_refuses_to_set_reserved_aliases_by_hand(log, alias):
    version, _ = log("ds", {"a": "1"})
    sequence = ArtifactSequence.objects.get(name="ds")
    with pytest.raises(ReservedAlias, match="reserved"):
        sequence.add_alias(version, alias)
    with pytest.raises(ReservedAlias):
        sequence.remove_alias(alias)
    assert version.aliases() == ["latest"]


def test_it_removes_an_alias_with_an_audit_event(log, alice):
    version, _ = log("ds", {"a": "1"}, aliases=["best"])
    sequence = ArtifactSequence.objects.get(name="ds")
    sequence.remove_alias("best", alice)
    assert version.aliases() == ["latest"]
    event = AuditEvent.objects.filter(collection=sequence).first()
    assert (event.action, event.alias, event.actor) == ("alias_removed", "best", alice)


def test_it_refuses_to_remove_an_unknown_alias(log):
    log("ds", {"a": "1"})
    sequence = ArtifactSequence.objects.get(name="ds")
    with pytest.raises(NotFound, match="no alias 'gone'"):
        sequence.remove_alias("gone")


def test_it_finds_versions_by_alias_and_number(log):
    first, _ = log("ds", {"a": "1"}, aliases=["best"])
    second, _ = log("ds", {"a": "2"})
    sequence = ArtifactSequence.objects.get(name="ds")
    assert sequence.version_by_alias("best") == first
    assert sequence.version_by_alias("v1") == second
    assert sequence.version_by_alias("latest") == second
    with pytest.raises(NotFound, match="no version 'v7'"):
        sequence.version_by_alias("v7")


def test_it_removes_an_alias_only_while_it_names_the_version_given(log):
    first, _ = log("ds", {"a.txt": "one"})
    second, _ = log("ds", {"a.txt": "two"})
    sequence = first.sequence
    sequence.add_alias(second, "best")
    with pytest.raises(NotFound, match="has no alias 'best' on ds:v0"):
        sequence.remove_alias("best", version=first)
    assert second.aliases() == ["best", "latest"]
    sequence.remove_alias("best", version=second)
    assert second.aliases() == ["latest"]
