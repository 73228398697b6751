"""Every code snippet of the reference product's artifact and registry guides, unchanged
but for the angle-bracket values, run by the stock `wandb` package against the demo
registry."""

from registry.models import ArtifactSequence, Run

REPORT = "\nimport json; print(json.dumps({names}))\n"


def split_v4():
    return ArtifactSequence.objects.get(name="split_zoo_dataset").version_by_alias("v4")


def test_it_tracks_the_input_of_a_run(server):
    # 000 and 002, "Track the input of a run"
    code = """
import wandb

# Initialize a run
run = wandb.init(project="zoo", entity="acme")

# Get artifact, mark it as a dependency
artifact = run.use_artifact(artifact_or_name="split_zoo_dataset", aliases="v4")
"""
    made = server.run(code + REPORT.format(names='{"run": run.id, "artifact": artifact.name}'))
    assert made["artifact"] == "split_zoo_dataset:v4"
    run = Run.objects.get(run_id=made["run"])
    assert list(run.inputs()) == [split_v4()]
    assert run.state == "finished"  # the script ended without run.finish(): wandb finishes it


def test_it_tracks_the_output_of_a_run(server):
    # 000, "Track the output of a run" (its `entity  "<entity>"` typo fixed to `entity=`)
    code = """
import wandb

# Initialize a run
run = wandb.init(entity = "acme", project = "zoo",)
artifact = wandb.Artifact(name = "zoo-model", type = "model")
artifact.add_file(local_path = "model.pt", name="model.pt")

# Log the artifact as an output of the run
run.log_artifact(artifact_or_path = artifact)
"""
    made = server.run(code + REPORT.format(names='{"run": run.id}'))
    run = Run.objects.get(run_id=made["run"])
    [version] = run.outputs()
    assert version.name == "zoo-model:v6"
    assert [e.path for e in version.entries.all()] == ["model.pt"]
    assert version.logged_by() == run


def test_it_tracks_input_and_output_in_with_blocks(server):
    # 001, "Track the input of a run" and "Track the output of a run"
    code = """
import wandb

# Initialize a run
with wandb.init(entity="acme", project="zoo") as run:
  # Get artifact, mark it as a dependency
  artifact = run.use_artifact(artifact_or_name="split_zoo_dataset", aliases="v4")
"""
    made = server.run(code + REPORT.format(names='{"run": run.id}'))
    assert list(Run.objects.get(run_id=made["run"]).inputs()) == [split_v4()]
    code = """
import wandb

# Initialize a run
with wandb.init(entity="acme", project="zoo") as run:

  # Create an artifact
  artifact = wandb.Artifact(name = "zoo-eval-table", type = "evaluation")
  artifact.add_file(local_path = "model.pt", name="metrics.bin")

  # Log the artifact as an output of the run
  run.log_artifact(artifact_or_path = artifact)
"""
    made = server.run(code + REPORT.format(names='{"run": run.id}'))
    run = Run.objects.get(run_id=made["run"])
    assert run.state == "finished" and run.finished_at is not None
    assert [v.name for v in run.outputs()] == ["zoo-eval-table:v0"]


def test_it_walks_the_graph_with_logged_by_and_used_by(server):
    # 001, the SDK tab of "Navigate lineage graphs" (a run in acme/zoo, as its
    # `wandb.init()` would be with the default entity and project set)
    code = """
import wandb

with wandb.init() as run:
    artifact = run.use_artifact("zoo-ylbchv20:latest")

    # Walk up and down the graph from an artifact:
    producer_run = artifact.logged_by()
    consumer_runs = artifact.used_by()
"""
    report = (
        '{"run": run.name, "producer": producer_run.name,'
        ' "consumers": [r.name for r in consumer_runs]}'
    )
    made = server.run(
        code + REPORT.format(names=report), env={"WANDB_ENTITY": "acme", "WANDB_PROJECT": "zoo"}
    )
    assert made["producer"] == "rural-feather-20"  # the public Run's name is its display name
    assert made["consumers"] == ["northern-lake-21", made["run"]]
