"""`wandb sync` of an offline run uploads the run and the artifacts it logged."""

import os
import sys

from registry.models import Run


def test_it_syncs_an_offline_run_with_its_outputs(server):
    made = server.run(
        """
import json, wandb
with wandb.init(entity="acme", project="zoo", job_type="train", mode="offline",
                config={"lr": 0.1, "epochs": 3}) as run:
    art = wandb.Artifact("zoo-offline", type="model")
    art.add_file("model.pt")
    run.log_artifact(art, aliases=["candidate"])
    run.log({"loss": 0.5})
    run.summary["accuracy"] = 0.9
print(json.dumps({"run": run.id, "dir": run.dir.rsplit("/", 1)[0]}))
"""
    )
    assert not Run.objects.filter(run_id=made["run"]).exists()  # offline: nothing sent yet
    server.call(["wandb", "sync", made["dir"]], env={"PATH": _venv_path()})
    run = Run.objects.get(run_id=made["run"])
    assert (run.state, run.job_type, run.config) == ("finished", "train", {"lr": 0.1, "epochs": 3})
    assert run.summary == {"loss": 0.5, "accuracy": 0.9}
    [version] = run.outputs()
    assert (version.name, version.aliases()) == ("zoo-offline:v0", ["candidate", "latest"])
    entry = version.entries.get()
    assert (entry.path, entry.blob.size) == ("model.pt", (server.cwd / "model.pt").stat().st_size)


def _venv_path():
    return os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
