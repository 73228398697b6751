"""`Api().artifact_collection(type, name)` and `Api().artifact_versions(type, name)`, for
a project's artifact sequence and for a registry collection."""

import lineage_client as wandb
import pytest
from lineage_client import LineageError

from registry.models import Registry


def test_it_reads_an_artifact_sequence(server):
    api = wandb.Api(overrides={"entity": "acme", "project": "zoo"})
    sequence = api.artifact_collection("dataset", "split_zoo_dataset")
    assert (sequence.name, sequence.type, sequence.is_sequence()) == (
        "split_zoo_dataset",
        "dataset",
        True,
    )
    assert (sequence.entity, sequence.project, sequence.registry) == ("acme", "zoo", None)
    assert sequence.aliases == ["latest"] and len(sequence) == 5
    names = [a.name for a in api.artifact_versions("dataset", "acme/zoo/split_zoo_dataset")]
    assert names == [f"split_zoo_dataset:v{i}" for i in (4, 3, 2, 1, 0)]
    assert [a.name for a in sequence.versions(per_page=2)] == names  # three pages
    assert sequence.url.endswith("/acme/zoo/artifacts/dataset/split_zoo_dataset/")


def test_it_reads_a_registry_collection(server):
    api = wandb.Api()
    collection = api.artifact_collection("model", "wandb-registry-model/zoo-classifier")
    assert not collection.is_sequence() and collection.registry == "model"
    assert collection.aliases == ["candidate", "latest", "production", "staging"]
    versions = api.artifacts("model", "model/zoo-classifier")
    assert [(a.name, a.source_name) for a in versions] == [
        ("zoo-classifier:v2", "zoo-model:v4"),
        ("zoo-classifier:v1", "zoo-ylbchv20:v0"),
    ]
    assert versions[1].aliases == ["production"]


@pytest.mark.parametrize(
    "type, name, message",
    [
        ("model", "acme/zoo/split_zoo_dataset", "holds 'dataset' artifacts, not 'model'"),
        ("model", "acme/zoo/nothing", "No artifact 'nothing' in project acme/zoo"),
        ("model", "model/zoo-classifier:v1", "leave out the ':alias'"),
        ("model", "secret/models", "No registry named 'secret'"),
        ("model", "zoo-model", "Say which project 'zoo-model' is in"),
    ],
)
def test_it_says_what_is_wrong(server, type, name, message):
    Registry.create("secret", ["model"], visibility=Registry.Visibility.RESTRICTED)
    with pytest.raises(LineageError, match=message):
        wandb.Api().artifact_collection(type, name)
    assert not wandb.Api().artifact_collection_exists(name="acme/zoo/nothing", type="model")
    assert wandb.Api().artifact_exists("acme/zoo/zoo-model:v0")
