"""The stock `wandb` client's read path: a private project, and its runs, are not found
by a user who may not see them (null, as for a project that does not exist)."""

import base64
import json

from django.test import Client

from .conftest import PRIVATE

RUN_ARTIFACTS = """
query($entity: String!, $project: String!, $run: String!) {
  project(name: $project, entityName: $entity) {
    run(name: $run) {
      inputArtifacts { edges { node { id } } }
      outputArtifacts { edges { node { id } } }
    }
  }
}
"""


def test_a_private_project_and_its_run_are_not_found(world):
    key = base64.b64encode(f"api:{world.key('nobody')}".encode()).decode()
    variables = {"entity": "acme", "project": "SECRETproject", "run": world.run.run_id}
    body = json.dumps({"query": RUN_ARTIFACTS, "variables": variables})
    response = Client(HTTP_AUTHORIZATION=f"Basic {key}").post(
        "/graphql", body, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["data"]["project"] is None
    assert not [word for word in PRIVATE if word in response.content.decode()]
