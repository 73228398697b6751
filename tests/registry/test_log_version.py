import pytest

from registry.errors import InvalidName, ReservedAlias, TypeMismatch
from registry.models import ArtifactVersion, Blob, LineageEdge, ManifestEntry, manifest_digest


def test_it_numbers_versions_from_v0_without_gaps(log):
    names = [log("ds", {"a.txt": f"content {i}"})[0].name for i in range(3)]
    assert names == ["ds:v0", "ds:v1", "ds:v2"]


def test_it_moves_latest_to_the_newest_version(log):
    first, _ = log("ds", {"a.txt": "one"})
    second, _ = log("ds", {"a.txt": "two"})
    assert first.aliases() == []
    assert second.aliases() == ["latest"]


def test_it_uses_the_reference_digest_formula(log):
    version, _ = log("ds", {"b.txt": "bee", "a.txt": "ay"})
    entries = {e.path: e.blob.md5 for e in version.entries.select_related("blob")}
    assert version.digest == manifest_digest(entries)
    # The formula hashes "wandb-artifact-manifest-v1\n" then "path:md5\n" sorted by path.
    import hashlib

    text = "wandb-artifact-manifest-v1\n" + "".join(f"{p}:{entries[p]}\n" for p in sorted(entries))
    assert version.digest == hashlib.md5(text.encode()).hexdigest()


def test_it_records_a_second_producer_instead_of_a_new_version(log, make_run):
    first_run, second_run = make_run("first"), make_run("second")
    version, created = log("ds", {"a.txt": "same"}, run=first_run)
    again, created_again = log("ds", {"a.txt": "same"}, run=second_run)
    assert created and not created_again
    assert again.pk == version.pk
    assert ArtifactVersion.objects.count() == 1
    assert set(version.producers().values_list("name", flat=True)) == {"first", "second"}
    assert version.logged_by().name == "first"


def test_it_stores_a_files_bytes_once_across_versions(log):
    log("ds", {"shared.bin": "big shared bytes", "a.txt": "one"})
    log("ds", {"shared.bin": "big shared bytes", "a.txt": "two"})
    assert Blob.objects.count() == 3
    assert ManifestEntry.objects.count() == 4


def test_it_records_size_and_file_count(log):
    version, _ = log("ds", {"a.txt": "12345", "dir/b.txt": "123"})
    assert (version.size, version.file_count) == (8, 2)
    assert sorted(version.entries.values_list("path", flat=True)) == ["a.txt", "dir/b.txt"]


def test_it_refuses_another_type_for_an_existing_sequence(log):
    log("ds", {"a.txt": "one"})
    with pytest.raises(TypeMismatch, match="has type 'dataset', not 'model'"):
        log("ds", {"a.txt": "two"}, type="model")
    assert ArtifactVersion.objects.count() == 1


@pytest.mark.parametrize("name", ["", "a/b", "x" * 129, "sp ace", "..", "é", "ds\n"])
def test_it_refuses_invalid_names(log, name):
    with pytest.raises(InvalidName, match="Invalid artifact name"):
        log(name, {"a.txt": "one"})
    assert ArtifactVersion.objects.count() == 0


@pytest.mark.parametrize("path", ["../x", "/etc/passwd", "a/../../x", "C:/x", ""])
def test_it_refuses_paths_that_escape_the_artifact(log, path):
    with pytest.raises(InvalidName):
        log("ds", {path: "one"})
    assert ArtifactVersion.objects.count() == 0


def test_it_normalises_paths(log):
    version, _ = log("ds", {"./dir//a.txt": "one"})
    assert list(version.entries.values_list("path", flat=True)) == ["dir/a.txt"]


def test_it_refuses_two_names_of_one_path_instead_of_dropping_a_file(log):
    with pytest.raises(InvalidName, match="a second time"):
        log("ds", {"a.txt": "one", "./a.txt": "two"})
    assert ArtifactVersion.objects.count() == 0


@pytest.mark.parametrize("alias", ["latest", "v3"])
def test_it_refuses_reserved_aliases_and_writes_nothing(log, alias):
    with pytest.raises(ReservedAlias):
        log("ds", {"a.txt": "one"}, aliases=[alias])
    assert ArtifactVersion.objects.count() == 0


def test_it_sets_aliases_given_at_log_time(log):
    version, _ = log("ds", {"a.txt": "one"}, aliases=["best"])
    assert version.aliases() == ["best", "latest"]


def test_it_flags_generated_kinds(log):
    code, _ = log("source-train.py", {"t.py": "x"}, type="code")
    job, _ = log("my-job", {"j": "x"}, type="job")
    table, _ = log("run-abc-table", {"t": "x"}, type="run_table")
    history, _ = log("h", {"h": "x"}, type="wandb-history")
    ordinary, _ = log("code-snapshot", {"c": "x"}, type="code")
    flagged, _ = log("ds", {"a": "x"}, generated=True)
    assert [v.generated for v in (code, job, table, history, ordinary, flagged)] == [
        True,
        True,
        True,
        True,
        False,
        True,
    ]


def test_it_adds_no_edge_when_a_run_uses_what_it_logged(log, make_run):
    run = make_run()
    version, _ = log("ds", {"a.txt": "one"}, run=run)
    assert run.use_version(version) is None
    assert list(run.edges.values_list("direction", flat=True)) == ["logs"]


def test_it_records_an_input_once(log, make_run):
    version, _ = log("ds", {"a.txt": "one"})
    run = make_run()
    run.use_version(version)
    run.use_version(version)
    assert LineageEdge.objects.filter(run=run, direction="uses").count() == 1
    assert list(version.used_by()) == [run]
    assert list(run.inputs()) == [version]


def test_it_accepts_a_longer_cycle_as_data(log, make_run):
    """split -> train -> model -> relabel -> the same split: legal, and recorded once."""
    split, _ = log("split", {"a": "rows"})
    train, relabel = make_run("train"), make_run("relabel")
    train.use_version(split)
    model, _ = log("model", {"m": "w"}, type="model", run=train)
    relabel.use_version(model)
    again, created = log("split", {"a": "rows"}, run=relabel)
    assert again == split and not created
    assert set(split.producers()) == {relabel}
    assert set(split.used_by()) == {train}


@pytest.mark.parametrize("entity", ["admin", "registry", "api"])
def test_it_refuses_entities_whose_pages_would_clash(db, entity):
    from registry.models import Project

    with pytest.raises(InvalidName, match="reserved"):
        Project.get_or_create_path(entity, "zoo")
