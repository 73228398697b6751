"""One graph from both clients: `wandb` and `lineage_client` deduplicate against each
other (one digest formula) and use each other's versions."""

from registry.models import ArtifactVersion, Run


def test_it_deduplicates_across_clients_and_draws_one_graph(server, lineage, api):
    with lineage.init(entity="acme", project="zoo", job_type="train") as ours:
        model = lineage.Artifact("zoo-model", "model")
        model.add_file("model.pt")
        ours.log_artifact(model)
    made = server.run(
        """
import json, wandb
with wandb.init(entity="acme", project="zoo", job_type="train") as run:
    art = wandb.Artifact("zoo-model", type="model")
    art.add_file("model.pt")
    run.log_artifact(art, aliases=["best"])
print(json.dumps({"run": run.id, "digest": art.digest}))
"""
    )
    version = ArtifactVersion.objects.get(pk=model.id)
    assert made["digest"] == version.digest  # the same content, one version: v6
    assert [r.run_id for r in version.producers().order_by("edges__created_at")] == [
        ours.id,
        made["run"],
    ]
    assert version.aliases() == ["best", "latest"]

    with lineage.init(entity="acme", project="zoo", job_type="eval") as evaluation:
        evaluation.use_artifact("zoo-model:best")  # the alias wandb set
        report = lineage.Artifact("zoo-eval", "evaluation")
        report.add_file("model.pt", name="report.bin")
        evaluation.log_artifact(report)
    consumer = server.run(
        """
import json, wandb
with wandb.init(entity="acme", project="zoo", job_type="report") as run:
    report = run.use_artifact("zoo-eval:latest")
    producer = report.logged_by()
print(json.dumps({"run": run.id, "producer": producer.id}))
"""
    )
    assert consumer["producer"] == evaluation.id
    graph = api("/lineage", node=f"artifact:{version.pk}", upstream=1, downstream=3)
    nodes = {n["data"]["id"]: n["data"] for n in graph["elements"]["nodes"]}
    runs = {
        run_id: Run.objects.get(run_id=run_id).pk for run_id in (evaluation.id, consumer["run"])
    }
    assert {f"run:{pk}" for pk in runs.values()} <= set(nodes)
    assert nodes[f"run:{runs[consumer['run']]}"]["level"] == 3
