from io import StringIO

from django.core.management import call_command

from registry.models import (
    ApiKey,
    ArtifactSequence,
    ArtifactVersion,
    AuditEvent,
    Collection,
    Run,
)


def seed(*args):
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def version(name):
    sequence_name, index = name.split(":v")
    return ArtifactSequence.objects.get(name=sequence_name).version_by_alias(f"v{index}")


def test_it_loads_the_reference_example(db):
    assert "demo / demo" in seed()
    split = ArtifactSequence.objects.get(name="split_zoo_dataset")
    assert [v.version for v in split.versions.order_by("created_at")] == [
        "v0",
        "v1",
        "v2",
        "v3",
        "v4",
    ]
    assert version("split_zoo_dataset:v4").producers().count() >= 3
    train = Run.objects.get(name="rural-feather-20")
    assert train.job_type == "train"
    assert [v.name for v in train.inputs()] == ["split_zoo_dataset:v4"]
    model = version("zoo-ylbchv20:v0")
    assert model.logged_by() == train
    evaluation = Run.objects.get(name="northern-lake-21")
    assert evaluation.job_type == "eval"
    assert list(model.used_by()) == [evaluation]
    assert any(v.type == "evaluation" for v in evaluation.outputs())


def test_it_has_a_sweep_and_generated_code(db):
    seed()
    sweep = ArtifactSequence.objects.get(name="zoo-model")
    assert sweep.versions.count() >= 6
    assert {v.logged_by().job_type for v in sweep.versions.all()} == {"train"}
    assert ArtifactVersion.objects.filter(generated=True, sequence__type="code").exists()


def test_it_builds_a_collection_with_history_by_named_users(db):
    seed()
    collection = Collection.objects.get(registry__name="model", name="zoo-classifier")
    assert Collection.objects.filter(registry__name="dataset").exists()
    events = AuditEvent.objects.filter(collection=collection)
    assert events.count() >= 6
    assert {"alice", "noah"} <= set(events.values_list("actor__username", flat=True))
    assert {"alias_removed", "version_unlinked"} <= set(events.values_list("action", flat=True))


def test_it_is_idempotent(db):
    seed()
    counts = (Run.objects.count(), ArtifactVersion.objects.count(), AuditEvent.objects.count())
    assert "already loaded" in seed()
    assert (
        Run.objects.count(),
        ArtifactVersion.objects.count(),
        AuditEvent.objects.count(),
    ) == counts


def test_it_skips_a_database_with_data_when_asked(db, project):
    assert "demo not loaded" in seed("--if-empty")
    assert not Run.objects.exists()


def test_it_prints_a_working_api_key_last(alice):
    out = StringIO()
    call_command("createapikey", "alice", stdout=out)
    raw = out.getvalue().strip().splitlines()[-1]
    assert raw.startswith("lr-") and len(raw) == 43
    assert ApiKey.objects.authenticate(raw) == alice


def test_it_refuses_an_unknown_user(db):
    import pytest
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="No user named 'nobody'"):
        call_command("createapikey", "nobody", stdout=StringIO())


def test_it_spreads_the_collections_history_over_the_week(db):
    from datetime import timedelta

    from django.utils import timezone

    call_command("seed_demo", stdout=StringIO())
    events = list(Collection.objects.get(name="zoo-classifier").audit_events.all())
    times = [event.created_at for event in events]
    assert times == sorted(times, reverse=True)  # newest first
    assert len(set(times)) >= 6  # the alias moves happened at different times
    assert timezone.now() - timedelta(days=8) < times[-1] < times[0] < timezone.now()
    assert times[0] - times[-1] > timedelta(days=1)
