"""The rest of the client: reading, downloading, the Api object, and errors as exceptions."""

import re

import lineage_client as wandb
import pytest
from lineage_client import LineageError

from registry.models import ApiKey, Collection, Registry, Run


def log(run, name="zoo-files", type="dataset", **files):
    artifact = wandb.Artifact(name, type, description="some files", metadata={"rows": 3})
    for path, text in files.items():
        with artifact.new_file(path) as stream:
            stream.write(text)
    return run.log_artifact(artifact, aliases=["candidate"])


def test_it_logs_folders_and_downloads_them_back(server, tmp_path):
    source = tmp_path / "data"
    (source / "nested").mkdir(parents=True)
    (source / "a.csv").write_text("a,b\n1,2\n")
    (source / "nested" / "b.txt").write_text("bee")
    with wandb.init(entity="acme", project="zoo", job_type="upload") as run:
        artifact = wandb.Artifact("zoo-folder", "dataset")
        artifact.add_dir(str(source), name="data")
        run.log_artifact(artifact)
    assert [f.path for f in artifact.files()] == ["data/a.csv", "data/nested/b.txt"]
    assert (artifact.file_count, artifact.size) == (2, 11)
    root = wandb.Api().artifact("acme/zoo/zoo-folder:v0").download(str(tmp_path / "out"))
    assert (tmp_path / "out" / "data" / "nested" / "b.txt").read_text() == "bee"
    assert root == str(tmp_path / "out")


def test_it_exposes_what_users_read(server):
    with wandb.init(entity="acme", project="zoo") as run:
        artifact = log(run, **{"rows.csv": "1\n2\n3\n"})
    assert artifact.name == "zoo-files:v0"
    assert artifact.qualified_name == "acme/zoo/zoo-files:v0"
    assert (artifact.type, artifact.version) == ("dataset", "v0")
    assert artifact.aliases == ["candidate", "latest"]
    assert len(artifact.digest) == 32 and artifact.size == 6 and artifact.file_count == 1
    assert artifact.description == "some files" and artifact.metadata == {"rows": 3}
    assert artifact.url.endswith("/acme/zoo/artifacts/dataset/zoo-files/v0/")
    assert artifact.created_at is not None
    assert artifact.wait() is artifact
    assert run.url.endswith(f"/acme/zoo/runs/{run.id}/")
    assert [a.name for a in run.logged_artifacts()] == ["zoo-files:v0"]


def test_it_reads_runs_and_artifacts_with_the_api(server):
    api = wandb.Api(overrides={"entity": "acme", "project": "zoo"})
    model = api.artifact("zoo-ylbchv20:v0", type="model")
    run = model.logged_by()
    assert run.name == "rural-feather-20"
    same = api.run(run.path)
    assert [a.name for a in same.used_artifacts()] == ["split_zoo_dataset:v4"]
    assert "zoo-ylbchv20:v0" in [a.name for a in same.logged_artifacts()]
    production = api.artifact("wandb-registry-model/zoo-classifier:production")
    assert production.id == model.id


def test_it_walks_the_lineage_graph(server):
    model = wandb.Api().artifact("acme/zoo/zoo-ylbchv20:v0")
    graph = wandb.Api().lineage(model, upstream=1, downstream=1)
    labels = {n["data"]["label"] for n in graph["elements"]["nodes"]}
    assert labels == {"zoo-ylbchv20:v0", "rural-feather-20", "northern-lake-21"}
    assert graph["base"] == f"artifact:{model.id}"
    narrow = wandb.Api().lineage(f"artifact:{model.id}", upstream=3, job_types=["train"])
    assert "5 runs" not in {n["data"]["label"] for n in narrow["elements"]["nodes"]}


def test_it_asks_for_any_view_the_browser_can_extract_included(server):
    from lineage.engine import lineage_view
    from lineage.view import View

    api = wandb.Api()
    model = api.artifact("acme/zoo/zoo-ylbchv20:v0")
    picked = api.run("acme/zoo/" + Run.objects.get(name="misty-river-6").run_id)
    view = {"upstream": 4, "extended": True, "generated": False, "artifact_types": ["dataset"]}
    graph = api.lineage(model, **view, extract=[picked])
    browser = View(**view, extract=frozenset({picked._data["node"]}))
    assert graph == lineage_view(model._data["node"], browser)
    labels = {n["data"]["label"] for n in graph["elements"]["nodes"]}
    assert "misty-river-6" in labels  # out of its cluster
    assert "misty-river-6" not in {
        n["data"]["label"] for n in api.lineage(model, **view)["elements"]["nodes"]
    }
    with pytest.raises(LineageError, match="unknown key 'upstreams'"):
        api.lineage(model, upstreams=2)


def test_it_marks_a_run_failed_when_the_block_raises(server):
    with pytest.raises(RuntimeError, match="boom"):
        with wandb.init(entity="acme", project="zoo") as run:
            raise RuntimeError("boom")
    assert wandb.Api().run(run.path).state == "failed"


def test_it_resumes_a_run_by_id(server):
    first = wandb.init(entity="acme", project="zoo", id="resume-me")
    again = wandb.init(entity="acme", project="zoo", id="resume-me")
    assert first.name == again.name


@pytest.mark.parametrize(
    "name, type, message",
    [
        ("no-such-artifact", None, "No artifact 'no-such-artifact' in project acme/zoo"),
        ("split_zoo_dataset:v99", None, "has no version 'v99'"),
        ("split_zoo_dataset:nope", None, "has no version 'nope'"),
        ("split_zoo_dataset:v4", "model", "is a 'dataset', not a 'model'"),
        ("model/no-collection:latest", None, "No collection 'no-collection'"),
        ("nowhere/zoo-classifier", None, "No registry named 'nowhere'"),
        ("a/b/c/d", None, "Invalid artifact name"),
    ],
)
def test_it_raises_the_servers_message(server, name, type, message):
    run = wandb.init(entity="acme", project="zoo")
    with pytest.raises(LineageError, match=message):
        run.use_artifact(name, type=type)
    assert run.used_artifacts() == []


def test_it_refuses_bad_names_and_keeps_nothing(server):
    with wandb.init(entity="acme", project="zoo") as run:
        with pytest.raises(LineageError, match="Invalid artifact name"):
            run.use_artifact("acme/zoo/bad/name")
        with pytest.raises(LineageError, match="reserved"):
            run.log_artifact(wandb.Artifact("x", "dataset"), aliases=["latest"])
    assert run.logged_artifacts() == []


def test_it_refuses_links_without_permission(server, django_user_model):
    secret = Registry.create("secret", ["model"], visibility=Registry.Visibility.RESTRICTED)
    model = wandb.Api().artifact("acme/zoo/zoo-ylbchv20:v0")
    with wandb.init(entity="acme", project="zoo") as run:
        with pytest.raises(LineageError, match="No registry named 'secret'"):
            run.link_artifact(model, "secret/models")
        with pytest.raises(LineageError, match="does not accept artifacts of type 'model'"):
            run.link_artifact(model, "dataset/models")
        with pytest.raises(LineageError, match="Invalid target path"):
            run.link_artifact(model, "just-a-name")
    assert not Collection.objects.filter(registry=secret).exists()


def test_it_says_when_the_server_is_unreachable(server, monkeypatch):
    monkeypatch.setenv("LINEAGE_BASE_URL", "http://127.0.0.1:9")
    with pytest.raises(LineageError, match="Cannot reach the server at http://127.0.0.1:9"):
        wandb.init(entity="acme", project="zoo")


def test_it_refuses_a_missing_or_revoked_key(server, monkeypatch):
    monkeypatch.delenv("LINEAGE_API_KEY")
    with pytest.raises(LineageError, match="No API key"):
        wandb.init(entity="acme", project="zoo")
    key, raw = ApiKey.create_for(ApiKey.objects.first().user)
    key.revoke()
    with pytest.raises(LineageError, match="A valid API key is required"):
        wandb.login(key=raw)


def test_it_never_imports_django():
    import subprocess
    import sys

    code = "import lineage_client, sys; print('django' in sys.modules)"
    assert subprocess.check_output([sys.executable, "-c", code], text=True).strip() == "False"


def test_it_uses_an_artifact_object(server):
    model = wandb.Api().artifact("acme/zoo/zoo-ylbchv20:v0")
    with wandb.init(entity="acme", project="zoo", job_type="eval") as run:
        used = run.use_artifact(model)
        with pytest.raises(ValueError, match="not logged yet"):
            run.use_artifact(wandb.Artifact("draft", "model"))
        with pytest.raises(LineageError, match="is a 'model', not a 'dataset'"):
            run.use_artifact(model, type="dataset")
    assert used.id == model.id
    assert [a.name for a in run.used_artifacts()] == ["zoo-ylbchv20:v0"]


def test_it_downloads_files_whose_names_need_quoting(server, tmp_path):
    names = ["what?.txt", "#1.txt", "100%.txt", "with space/a b.txt", "%41.txt"]
    with wandb.init(entity="acme", project="zoo") as run:
        artifact = log(run, **{name: f"contents of {name}" for name in names})
    root = artifact.download(str(tmp_path / "out"))
    for name in names:
        assert (tmp_path / "out" / name).read_text() == f"contents of {name}"
    assert root == str(tmp_path / "out")


def test_it_keeps_each_new_file_apart(server, tmp_path):
    artifact = wandb.Artifact("zoo-notes", "dataset")
    for name, text in [("a.txt", "first"), ("a.txt", "second"), ("b.txt", "bee")]:
        with artifact.new_file(name) as stream:
            stream.write(text)
    with wandb.init(entity="acme", project="zoo") as run:
        run.log_artifact(artifact)
    artifact.download(str(tmp_path / "out"))
    assert (tmp_path / "out" / "a.txt").read_text() == "second"
    assert (tmp_path / "out" / "b.txt").read_text() == "bee"


@pytest.mark.parametrize("name", ["../escape", "a/../../x", "/etc/passwd", "C:\\x", "\\x"])
def test_it_refuses_names_that_escape_the_artifact_before_sending(tmp_path, name):
    (tmp_path / "x.txt").write_text("x")
    artifact = wandb.Artifact("zoo-files", "dataset")
    with pytest.raises(ValueError, match=re.escape(f"File path {name!r} must stay")):
        artifact.add_file(str(tmp_path / "x.txt"), name=name)
    with pytest.raises(ValueError, match="must stay inside the artifact"):
        artifact.add_dir(str(tmp_path), name=name)
    with pytest.raises(ValueError, match="must stay inside the artifact"):
        with artifact.new_file(name) as stream:
            stream.write("x")
    with pytest.raises(ValueError, match="Invalid file path ''"):
        artifact.new_file("").__enter__()
    assert artifact.file_count == 0


def test_it_normalises_names_as_the_server_does(tmp_path):
    (tmp_path / "x.txt").write_text("x")
    artifact = wandb.Artifact("zoo-files", "dataset")
    assert artifact.add_file(str(tmp_path / "x.txt"), name="./data//x.txt") == "data/x.txt"
