"""The compatibility script (README "Already using wandb?"), run by the stock client, and
what it leaves here."""

from django.test import Client

from registry.models import ArtifactVersion, AuditEvent, Collection, Run

# The script as a wandb user writes it, unchanged; the last line reports what the run made.
SCRIPT = """
import wandb
with wandb.init(entity="acme", project="zoo", job_type="train") as run:
    ds = run.use_artifact("split_zoo_dataset:latest")
    art = wandb.Artifact("zoo-model", type="model")
    art.add_file("model.pt")
    run.log_artifact(art, aliases=["best"])
    run.link_artifact(art, "wandb-registry-model/zoo-classifier")

import json; print(json.dumps({"run": run.id, "name": run.name, "model": art.id, "ds": ds.version}))
"""


def test_it_records_the_run_its_input_its_output_and_the_link(server, api):
    made = server.run(SCRIPT)
    run = api(f"/runs/acme/zoo/{made['run']}")
    assert (run["name"], run["state"], run["job_type"]) == (made["name"], "finished", "train")
    assert run["finished_at"] is not None
    assert [v["name"] for v in api(f"/runs/acme/zoo/{made['run']}/inputs")] == [
        "split_zoo_dataset:v4"
    ]
    [output] = api(f"/runs/acme/zoo/{made['run']}/outputs")
    assert output["name"] == "zoo-model:v6"  # the demo's sweep logged v0..v5
    assert output["aliases"] == ["best", "latest"]
    version = api(f"/versions/{output['id']}")
    assert list(version["manifest"]) == ["model.pt"]
    assert version["manifest"]["model.pt"]["size"] == (server.cwd / "model.pt").stat().st_size
    assert [r["run_id"] for r in api(f"/versions/{output['id']}/producers")] == [made["run"]]

    classifier = Collection.objects.get(registry__name="model", name="zoo-classifier")
    link = classifier.membership_of(ArtifactVersion.objects.get(pk=output["id"]))
    events = AuditEvent.objects.filter(collection=classifier, version_id=output["id"])
    assert {(e.action, e.alias, e.actor.username) for e in events} == {
        ("version_linked", "", "alice"),
        ("alias_added", "latest", "alice"),
    }
    graph = api("/lineage", node=f"run:{run['id']}", upstream=1, downstream=1)
    labels = {n["data"]["label"] for n in graph["elements"]["nodes"]}
    assert {"split_zoo_dataset:v4", "zoo-model:v6", made["name"]} <= labels

    page = Client()
    page.force_login(Run.objects.get(run_id=made["run"]).author)
    history = page.get("/registry/model/zoo-classifier/history/").content.decode()
    assert "zoo-model:v6" in history or f"v{link.index}" in history
    run_page = page.get(f"/acme/zoo/runs/{made['run']}/").content.decode()
    assert made["name"] in run_page and "zoo-model:v6" in run_page


def test_it_deduplicates_equal_content_and_keeps_every_producer(server, api):
    first = server.run(SCRIPT)
    second = server.run(SCRIPT)
    [output] = api(f"/runs/acme/zoo/{second['run']}/outputs")
    assert output["name"] == "zoo-model:v6"  # no v7: the upload was answered COMMITTED
    assert ArtifactVersion.objects.filter(sequence__name="zoo-model").count() == 7
    producers = api(f"/versions/{output['id']}/producers")
    assert [r["run_id"] for r in producers] == [first["run"], second["run"]]
