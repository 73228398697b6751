"""Every code snippet of the reference product's artifact and registry guides, with
`import lineage_client as wandb` and the placeholders filled in, run against a live
server; then the graph they made is checked."""

from registry import blobs
from registry.models import ArtifactSequence, ArtifactVersion, AuditEvent, Collection, Run

from .conftest import run_snippet


def split_v4():
    return ArtifactSequence.objects.get(name="split_zoo_dataset").version_by_alias("v4")


def test_it_tracks_the_input_of_a_run(server):
    # 000 and 002, "Track the input of a run"
    names = run_snippet(
        """
        import lineage_client as wandb

        # Initialize a run
        run = wandb.init(project="zoo", entity="acme")

        # Get artifact, mark it as a dependency
        artifact = run.use_artifact(artifact_or_name="split_zoo_dataset", aliases="v4")
        """
    )
    run = Run.objects.get(run_id=names["run"].id)
    assert list(run.inputs()) == [split_v4()]
    assert names["artifact"].name == "split_zoo_dataset:v4"
    assert run.id in {r.pk for r in split_v4().used_by()}


def test_it_tracks_the_output_of_a_run(server):
    # 000, "Track the output of a run" (its `entity  "<entity>"` typo fixed to `entity=`)
    names = run_snippet(
        """
        import lineage_client as wandb

        # Initialize a run
        run = wandb.init(entity = "acme", project = "zoo",)
        artifact = wandb.Artifact(name = "zoo-model", type = "model")
        artifact.add_file(local_path = "model.pt", name="model.pt")

        # Log the artifact as an output of the run
        run.log_artifact(artifact_or_path = artifact)
        """
    )
    artifact = names["artifact"]
    assert artifact.name == "zoo-model:v6"  # the demo's sweep logged v0..v5
    assert artifact.logged_by().name == names["run"].name
    version = ArtifactVersion.objects.get(pk=artifact.id)
    assert version.logged_by().run_id == names["run"].id
    assert [e.path for e in version.entries.all()] == ["model.pt"]


def test_it_tracks_input_and_output_in_with_blocks(server):
    # 001, "Track the input of a run" and "Track the output of a run"
    names = run_snippet(
        """
        import lineage_client as wandb

        # Initialize a run
        with wandb.init(entity="acme", project="zoo") as run:
          # Get artifact, mark it as a dependency
          artifact = run.use_artifact(artifact_or_name="split_zoo_dataset", aliases="v4")
        """
    )
    assert Run.objects.get(run_id=names["run"].id).state == "finished"
    names = run_snippet(
        """
        import lineage_client as wandb

        # Initialize a run
        with wandb.init(entity="acme", project="zoo") as run:

          # Create an artifact
          artifact = wandb.Artifact(name = "zoo-eval-table", type = "evaluation")
          artifact.add_file(local_path = "model.pt", name="metrics.bin")

          # Log the artifact as an output of the run
          run.log_artifact(artifact_or_path = artifact)
        """
    )
    run = Run.objects.get(run_id=names["run"].id)
    assert run.state == "finished" and run.finished_at is not None
    assert [v.name for v in run.outputs()] == ["zoo-eval-table:v0"]


def test_it_walks_the_graph_with_logged_by_and_used_by(server, monkeypatch):
    # 001, the SDK tab of "Navigate lineage graphs"
    monkeypatch.setenv("LINEAGE_ENTITY", "acme")
    monkeypatch.setenv("LINEAGE_PROJECT", "zoo")
    names = run_snippet(
        """
        import lineage_client as wandb

        with wandb.init() as run:
            artifact = run.use_artifact("zoo-ylbchv20:latest")

            # Walk up and down the graph from an artifact:
            producer_run = artifact.logged_by()
            consumer_runs = artifact.used_by()
        """
    )
    assert names["producer_run"].name == "rural-feather-20"
    assert names["producer_run"].id == Run.objects.get(name="rural-feather-20").run_id
    assert [r.name for r in names["consumer_runs"]] == ["northern-lake-21", names["run"].name]


def test_it_runs_the_product_example_and_links_into_the_registry(server):
    # the README's example ("Log lineage from a script")
    names = run_snippet(
        """
        import lineage_client as wandb          # the only change to the reference snippets

        with wandb.init(entity="acme", project="zoo", job_type="train") as run:
            dataset = run.use_artifact(artifact_or_name="split_zoo_dataset", aliases="v4")
            model = wandb.Artifact(name="zoo-model", type="model")
            model.add_file(local_path="model.pt", name="model.pt")
            run.log_artifact(artifact_or_path=model, aliases=["best"])
            run.link_artifact(model, target_path="model/zoo-classifier", aliases=["staging"])

        producer = dataset.logged_by()     # a Run
        consumers = dataset.used_by()      # list of Run
        """
    )
    assert names["producer"].name == "misty-river-6"
    assert names["run"].name in [r.name for r in names["consumers"]]
    assert names["model"].aliases == ["best", "latest"]
    collection = Collection.objects.get(registry__name="model", name="zoo-classifier")
    version = ArtifactVersion.objects.get(pk=names["model"].id)
    membership = collection.membership_of(version)
    assert sorted(membership.aliases.values_list("name", flat=True)) == ["latest", "staging"]
    event = AuditEvent.objects.filter(collection=collection, action="version_linked").first()
    assert (event.version_id, event.actor.username) == (version.pk, "alice")


def test_it_uploads_nothing_when_content_is_logged_again(server):
    code = """
        import lineage_client as wandb
        with wandb.init(entity="acme", project="zoo", job_type="train") as run:
            artifact = wandb.Artifact(name="zoo-weights", type="model")
            artifact.add_file(local_path="model.pt")
            run.log_artifact(artifact)
        """
    first = run_snippet(code)
    received, versions = blobs.received["bytes"], ArtifactVersion.objects.count()
    second = run_snippet(code)
    assert blobs.received["bytes"] == received  # zero file bytes sent
    assert ArtifactVersion.objects.count() == versions
    assert second["artifact"].name == first["artifact"].name == "zoo-weights:v0"
    producers = ArtifactVersion.objects.get(pk=first["artifact"].id).producers()
    assert {r.run_id for r in producers} == {first["run"].id, second["run"].id}


def test_it_makes_the_next_version_when_a_file_changes(server, tmp_path):
    code = """
        import lineage_client as wandb
        with wandb.init(entity="acme", project="zoo") as run:
            artifact = wandb.Artifact(name="zoo-weights", type="model")
            artifact.add_file(local_path="model.pt")
            run.log_artifact(artifact)
        """
    assert run_snippet(code)["artifact"].version == "v0"
    (tmp_path / "work" / "model.pt").write_bytes(b"retrained weights")
    before = blobs.received["bytes"]
    assert run_snippet(code)["artifact"].version == "v1"
    assert blobs.received["bytes"] - before == len(b"retrained weights")
