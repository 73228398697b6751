"""Every operation wandb 0.31 sends (the documents measured from it, in operations/, with
server features on and off) and the read-path queries of its Python package validate
against our schema (and those of `artifact.save()`'s edits): no field the client asks
for is missing."""

import re
from pathlib import Path

import pytest
from graphql import parse, validate
from wandb.apis._generated import IS_PROJECT_READ_ONLY_GQL
from wandb.sdk.artifacts._generated import operations

from wandb_api.schema import schema

MEASURED = sorted((Path(__file__).parent / "operations").glob("*.graphql"))
READ_PATH = [
    "ADD_ALIASES_GQL",
    "ARTIFACT_BY_ID_GQL",
    "ARTIFACT_CREATED_BY_GQL",
    "ARTIFACT_MEMBERSHIP_BY_NAME_GQL",
    "ARTIFACT_TYPE_GQL",
    "ARTIFACT_USED_BY_GQL",
    "DELETE_ALIASES_GQL",
    "FETCH_ARTIFACT_MANIFEST_GQL",
    "FETCH_LINKED_ARTIFACTS_GQL",
    "FETCH_ORG_INFO_FROM_ENTITY_GQL",
    "GET_ARTIFACT_MEMBERSHIP_FILE_URLS_GQL",
    "LINK_ARTIFACT_GQL",
    "RUN_INPUT_ARTIFACTS_GQL",
    "RUN_OUTPUT_ARTIFACTS_GQL",
    "UPDATE_ARTIFACT_GQL",
]


def measured_operations():
    for path in MEASURED:
        chunks = re.split(r"^# ---- ", path.read_text(), flags=re.M)[1:]
        for number, chunk in enumerate(chunks):
            name, _, body = chunk.partition("\n")
            yield pytest.param(body, id=f"{path.stem[-11:]}-{number}-{name.split()[0]}")


@pytest.mark.parametrize("document", list(measured_operations()))
def test_it_answers_every_measured_operation(document):
    assert validate(schema, parse(document)) == []


@pytest.mark.parametrize("name", READ_PATH)
def test_it_answers_the_read_path_of_the_python_package(name):
    assert validate(schema, parse(getattr(operations, name))) == []


def test_it_answers_whether_a_project_is_read_only():
    assert validate(schema, parse(IS_PROJECT_READ_ONLY_GQL)) == []
