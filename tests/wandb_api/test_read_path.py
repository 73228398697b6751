"""The public read path of the stock client: `wandb.Api().artifact(...)`, the SDK walk
and `download()`, for versions logged by either client and through a registry."""

import hashlib
import io
import json
import subprocess
import sys
import time

from registry import blobs
from registry.models import ArtifactVersion, Collection

READ = """
import hashlib, json, os, sys
import wandb

def digest(root):
    paths = [os.path.join(d, f) for d, _, files in os.walk(root) for f in files]
    return {
        os.path.relpath(p, root): hashlib.sha256(open(p, "rb").read()).hexdigest() for p in paths
    }

api = wandb.Api()
found = {}
for name in sys.argv[1:]:
    artifact = api.artifact(name)
    producer = artifact.logged_by()
    found[name] = {
        "name": artifact.name,
        "source": artifact.source_name,
        "type": artifact.type,
        "aliases": sorted(artifact.aliases),
        "digest": artifact.digest,
        "metadata": artifact.metadata,
        "description": artifact.description,
        "producer": producer.name if producer else None,
        "consumers": [r.name for r in artifact.used_by()],
        "files": digest(artifact.download(root=os.path.join("out", name.replace("/", "_")))),
    }
print(json.dumps(found))
"""


DOWNLOAD = """
import hashlib, json, os, wandb
root = wandb.Api().artifact("acme/zoo/zoo-ylbchv20:best").download(root="damaged")
print(json.dumps({f: hashlib.sha256(open(os.path.join(root, f), "rb").read()).hexdigest()
                  for f in os.listdir(root)}))
"""


def read(server, *names):
    script = server.cwd / "read.py"
    script.write_text(READ)
    done = server.call([sys.executable, str(script), *names])
    return json.loads(done.stdout.splitlines()[-1])


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def test_it_reads_walks_and_downloads_a_version_by_its_full_name(server):
    version = ArtifactVersion.objects.get(sequence__name="zoo-ylbchv20")
    found = read(server, "acme/zoo/zoo-ylbchv20:best")["acme/zoo/zoo-ylbchv20:best"]
    assert (found["source"], found["type"]) == ("zoo-ylbchv20:v0", "model")
    assert found["aliases"] == ["best", "latest"]
    assert found["digest"] == version.digest
    assert (found["metadata"], found["description"]) == ({"accuracy": 0.94}, version.description)
    assert found["producer"] == "rural-feather-20"
    assert found["consumers"] == ["northern-lake-21"]
    assert found["files"] == {"model.pt": sha256(b"weights of ylbchv20")}


def test_it_reads_a_registry_collection_by_alias(server):
    staging = Collection.objects.get(name="zoo-classifier").version_by_alias("staging")
    name = "wandb-registry-model/zoo-classifier:staging"
    found = read(server, name)[name]
    assert found["source"] == staging.name == "zoo-model:v4"
    assert "staging" in found["aliases"]
    assert found["files"] == {"model.pt": sha256(b"weights lr=0.002")}


def test_it_downloads_what_either_client_logged(server, lineage):
    data = bytes(range(256)) * 40
    (server.cwd / "table.bin").write_bytes(data)
    with lineage.init(entity="acme", project="zoo", job_type="upload") as run:
        artifact = lineage.Artifact("zoo-table", "dataset")
        artifact.add_file("table.bin", name="tables/table.bin")
        run.log_artifact(artifact)
    server.run(
        """
import wandb
with wandb.init(entity="acme", project="zoo", job_type="train") as run:
    art = wandb.Artifact("zoo-weights", type="model")
    art.add_file("model.pt")
    run.log_artifact(art)
"""
    )
    found = read(server, "acme/zoo/zoo-table:latest", "acme/zoo/zoo-weights:v0")
    assert found["acme/zoo/zoo-table:latest"]["files"] == {"tables/table.bin": sha256(data)}
    weights = (server.cwd / "model.pt").read_bytes()
    assert found["acme/zoo/zoo-weights:v0"]["files"] == {"model.pt": sha256(weights)}


def test_a_download_of_a_damaged_copy_waits_for_its_repair(server, caplog):
    """A damaged stored copy is answered 503 (as on the JSON API), never served short;
    the client retries a 503, so its download completes once the copy is repaired."""
    entry = ArtifactVersion.objects.get(sequence__name="zoo-ylbchv20").entries.get()
    name, data = entry.blob.storage_name, b"weights of ylbchv20"
    blobs.storage().delete(name)
    blobs.storage().save(name, io.BytesIO(data[:7]))  # what a write killed mid-way leaves
    script = server.cwd / "download.py"
    script.write_text(DOWNLOAD)
    cold = server.env(extra={"WANDB_CACHE_DIR": str(server.cwd / "cold")})  # no cached copy
    client = subprocess.Popen([sys.executable, str(script)], cwd=server.cwd, env=cold, stdout=-1)
    try:
        refused = lambda: [r for r in caplog.records if r.getMessage().startswith("Service Un")]  # noqa: E731
        deadline = time.monotonic() + 60
        while not refused() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert all(r.status_code == 503 for r in refused()) and refused()
        blobs.storage().delete(name)
        blobs.storage().save(name, io.BytesIO(data))
        out, _ = client.communicate(timeout=120)
    finally:
        client.kill()
    assert json.loads(out.splitlines()[-1]) == {"model.pt": sha256(data)}
    caplog.clear()  # the 503s were the point
