"""Every write path, from a key that may not write there: 404 when the user cannot see
the thing, 403 when they can (an open project, a version shared through a registry, a
restricted viewer's use), and nothing written: the same rows, the same audit trail."""

import base64
import json
import uuid

import pytest
from django.test import Client

from openlineage.models import ReceivedEvent
from registry.models import (
    Alias,
    ArtifactVersion,
    AuditEvent,
    LineageEdge,
    Membership,
    Project,
    Run,
    Team,
)
from tests.openlineage.conftest import dataset, run_event
from wandb_api import ids


def snapshot():
    """Everything a write could change."""
    return {
        "projects": sorted(Project.objects.values_list("entity", "name", "open")),
        "teams": sorted(Team.objects.values_list("name", "members__user__username")),
        "runs": sorted(Run.objects.values_list("pk", "state", "summary", "config", "name")),
        "versions": sorted(ArtifactVersion.objects.values_list("pk", "description")),
        "aliases": sorted(Alias.objects.values_list("collection", "name", "membership")),
        "memberships": Membership.objects.count(),
        "edges": LineageEdge.objects.count(),
        "audit": sorted(AuditEvent.objects.values_list("pk", "action", "alias")),
        "events": ReceivedEvent.objects.count(),
    }


def json_api(world, who):
    return Client(HTTP_AUTHORIZATION=f"Bearer {world.key(who)}")


def send(client, method, path, body=None):
    data = json.dumps(body) if body is not None else None
    response = getattr(client, method)(path, data, content_type="application/json")
    return response.status_code, response.content.decode()


def run_path(run):
    return f"/api/v1/runs/{run.project.entity}/{run.project.name}/{run.run_id}"


def new_version(entity, project):
    return {"entity": entity, "project": project, "name": "x", "type": "model", "files": {}}


# (who, what, request(world) -> (method, path, body), status)
JSON_ROWS = [
    (
        "other_team",
        "run in a team's project",
        lambda w: ("post", "/api/v1/runs", {"entity": "acme", "project": "SECRETproject"}),
        404,
    ),
    (
        "other_team",
        "new project in a team",
        lambda w: ("post", "/api/v1/runs", {"entity": "acme", "project": "fresh"}),
        404,
    ),
    (
        "other_team",
        "run in a user's entity",
        lambda w: ("post", "/api/v1/runs", {"entity": "nobody", "project": "p"}),
        404,
    ),
    (
        "other_team",
        "resume a run by id",
        lambda w: (
            "post",
            "/api/v1/runs",
            {"entity": "acme", "project": "SECRETproject", "run_id": w.run.run_id},
        ),
        404,
    ),
    (
        "other_team",
        "PATCH a run",
        lambda w: ("patch", run_path(w.run), {"summary": {"tampered": 1}}),
        404,
    ),
    (
        "other_team",
        "use from a run",
        lambda w: ("post", run_path(w.run) + "/use", {"version_id": w.open_version.pk}),
        404,
    ),
    (
        "other_team",
        "log a version",
        lambda w: ("post", "/api/v1/versions", new_version("acme", "SECRETproject")),
        404,
    ),
    (
        "other_team",
        "add an alias",
        lambda w: ("post", f"/api/v1/versions/{w.linked.pk}/aliases", {"alias": "mine"}),
        404,
    ),
    (
        "other_team",
        "remove an alias",
        lambda w: ("delete", f"/api/v1/versions/{w.linked.pk}/aliases/SECRETalias", None),
        404,
    ),
    (
        "other_team",
        "set the aliases",
        lambda w: ("put", f"/api/v1/versions/{w.linked.pk}/aliases", {"aliases": ["latest"]}),
        404,
    ),
    (
        "other_team",
        "delete a version",
        lambda w: ("delete", f"/api/v1/versions/{w.unlinked.pk}?delete_aliases=true", None),
        404,
    ),
    (
        "other_team",
        "link a version",
        lambda w: (
            "post",
            f"/api/v1/versions/{w.linked.pk}/links",
            {"target_path": "model/stolen"},
        ),
        404,
    ),
    (
        "registry_viewer",
        "alias on a shared version",
        lambda w: ("post", f"/api/v1/versions/{w.linked.pk}/aliases", {"alias": "mine"}),
        403,
    ),
    (
        "registry_viewer",
        "delete a shared version",
        lambda w: ("delete", f"/api/v1/versions/{w.linked.pk}", None),
        403,
    ),
    (
        "team_member",
        "run in an open project",
        lambda w: ("post", "/api/v1/runs", {"entity": "other", "project": "shared"}),
        403,
    ),
    (
        "team_member",
        "alias in an open project",
        lambda w: ("post", f"/api/v1/versions/{w.open_version.pk}/aliases", {"alias": "mine"}),
        403,
    ),
    (
        "team_member",
        "log into an open project",
        lambda w: ("post", "/api/v1/versions", new_version("other", "shared")),
        403,
    ),
    (
        "restricted_viewer",
        "use by id",
        lambda w: ("post", run_path(w.own_run) + "/use", {"version_id": w.linked.pk}),
        403,
    ),
    (
        "restricted_viewer",
        "use by registry path",
        lambda w: ("post", run_path(w.own_run) + "/use", {"name": "vault/SECRETvault-models:v0"}),
        403,
    ),
    (
        "restricted_viewer",
        "link elsewhere",
        lambda w: ("post", f"/api/v1/versions/{w.linked.pk}/links", {"target_path": "model/leak"}),
        403,
    ),
]


@pytest.fixture
def writer_world(world):
    """The restricted viewer's own run to use versions from, and the OpenLineage team."""
    own = Project.for_writing(world.users["restricted_viewer"], "restricted_viewer", "own")
    world.own_run = Run.objects.create(project=own, name="own-run")
    Team.create("openlineage", world.users["team_admin"])
    return world


@pytest.mark.parametrize("who,what,request_of,status", JSON_ROWS, ids=[r[1] for r in JSON_ROWS])
def test_the_json_api_refuses_and_writes_nothing(writer_world, who, what, request_of, status):
    before = snapshot()
    got, body = send(json_api(writer_world, who), *request_of(writer_world))
    assert got == status, body
    assert "SECRET-DESCRIPTION" not in body and "SECRET-METADATA" not in body
    assert snapshot() == before


def test_openlineage_events_need_the_openlineage_team(writer_world):
    event = run_event(
        "COMPLETE",
        uuid.uuid4(),
        ("pipelines", "nightly"),
        "2026-01-01T00:00:00Z",
        outputs=[dataset("postgres://db", "public.orders")],
    )
    before = snapshot()
    got, body = send(json_api(writer_world, "other_team"), "post", "/api/v1/lineage", event)
    assert got == 404, body
    assert snapshot() == before
    got, body = send(json_api(writer_world, "team_admin"), "post", "/api/v1/lineage", event)
    assert got == 201, body  # the team's admin may: the refusal was the rule's


def graphql(world, who, query, variables):
    key = base64.b64encode(f"api:{world.key(who)}".encode()).decode()
    client = Client(HTTP_AUTHORIZATION=f"Basic {key}")
    body = json.dumps({"query": query, "variables": variables})
    response = client.post("/graphql", body, content_type="application/json")
    return response.json()


UPSERT = "mutation($input: UpsertBucketInput!) { upsertBucket(input: $input) { inserted } }"
CREATE = (
    "mutation($input: CreateArtifactInput!) { createArtifact(input: $input) { artifact { id } } }"
)
USE = "mutation($input: UseArtifactInput!) { useArtifact(input: $input) { artifact { id } } }"
ADD = "mutation($input: AddAliasesInput!) { addAliases(input: $input) { success } }"
LINK = "mutation($input: LinkArtifactInput!) { linkArtifact(input: $input) { versionIndex } }"
FILES = "query($id: ID!) { artifact(id: $id) { files { edges { node { directUrl } } } } }"


def _alias_input(w):
    alias = {"alias": "mine", "artifactCollectionName": "SECRETmodel"}
    return {**alias, "entityName": "acme", "projectName": "SECRETproject"}


GRAPHQL_ROWS = [
    (
        "other_team",
        "upsertBucket into a team",
        UPSERT,
        lambda w: {"entityName": "acme", "modelName": "SECRETproject"},
        "No project",
    ),
    (
        "other_team",
        "upsertBucket a run by id",
        UPSERT,
        lambda w: {"id": ids.encode("Run", w.run.pk), "summaryMetrics": '{"x": 1}'},
        "No run",
    ),
    (
        "team_member",
        "upsertBucket into an open project",
        UPSERT,
        lambda w: {"entityName": "other", "modelName": "shared"},
        "Only the members",
    ),
    (
        "other_team",
        "createArtifact in a team",
        CREATE,
        lambda w: {
            "entityName": "acme",
            "projectName": "SECRETproject",
            "artifactTypeName": "model",
            "artifactCollectionName": "x",
            "digest": "d",
        },
        "No project",
    ),
    (
        "restricted_viewer",
        "useArtifact",
        USE,
        lambda w: {
            "entityName": "restricted_viewer",
            "projectName": "own",
            "runName": w.own_run.run_id,
            "artifactID": ids.encode("Artifact", w.linked.pk),
        },
        "not download or use",
    ),
    (
        "other_team",
        "useArtifact unseen",
        USE,
        lambda w: {
            "entityName": "restricted_viewer",
            "projectName": "own",
            "runName": w.own_run.run_id,
            "artifactID": ids.encode("Artifact", w.linked.pk),
        },
        "No ",
    ),
    (
        "other_team",
        "addAliases",
        ADD,
        lambda w: {"artifactID": ids.encode("Artifact", w.linked.pk), "aliases": [_alias_input(w)]},
        "No ",
    ),
    (
        "registry_viewer",
        "addAliases on a shared version",
        ADD,
        lambda w: {"artifactID": ids.encode("Artifact", w.linked.pk), "aliases": [_alias_input(w)]},
        "No project",
    ),
    (
        "restricted_viewer",
        "linkArtifact elsewhere",
        LINK,
        lambda w: {
            "artifactID": ids.encode("Artifact", w.linked.pk),
            "projectName": "wandb-registry-model",
            "artifactPortfolioName": "leak",
        },
        "not download or use",
    ),
]


@pytest.mark.parametrize(
    "who,what,query,input_of,message", GRAPHQL_ROWS, ids=[r[1] for r in GRAPHQL_ROWS]
)
def test_the_wandb_api_refuses_and_writes_nothing(
    writer_world, who, what, query, input_of, message
):
    before = snapshot()
    answer = graphql(writer_world, who, query, {"input": input_of(writer_world)})
    assert message in answer["errors"][0]["message"], answer
    assert snapshot() == before


def test_the_wandb_api_gives_no_download_urls_to_a_restricted_viewer(writer_world):
    artifact = ids.encode("Artifact", writer_world.linked.pk)
    answer = graphql(writer_world, "restricted_viewer", FILES, {"id": artifact})
    assert "not download or use" in answer["errors"][0]["message"]
    answer = graphql(writer_world, "registry_viewer", FILES, {"id": artifact})
    assert answer["data"]["artifact"]["files"]["edges"][0]["node"]["directUrl"]
    assert graphql(writer_world, "other_team", FILES, {"id": artifact})["data"]["artifact"] is None


def test_the_file_stream_refuses_another_teams_run(writer_world):
    key = base64.b64encode(f"api:{writer_world.key('other_team')}".encode()).decode()
    path = f"/files/acme/SECRETproject/{writer_world.run.run_id}/file_stream"
    before = snapshot()
    response = Client().post(
        path,
        json.dumps({"files": {}}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Basic {key}",
    )
    assert response.status_code == 404
    assert snapshot() == before


RUN_INPUTS = """query($entity: String!, $project: String!, $run: String!) {
  project(entityName: $entity, name: $project) { run(name: $run) {
    inputArtifacts { edges { node { id } } } } } }"""


def test_the_wandb_api_lists_only_the_inputs_a_user_may_see(writer_world):
    """A run of an open project that used a private version: its inputs are the
    team's to see, not every reader's."""
    public_run = Run.objects.get(name="public-run")
    public_run.use_version(writer_world.unlinked)
    names = {"entity": "other", "project": "shared", "run": public_run.run_id}
    seen = {}
    for who in ("team_member", "nobody"):
        answer = graphql(writer_world, who, RUN_INPUTS, names)
        seen[who] = answer["data"]["project"]["run"]["inputArtifacts"]["edges"]
    assert seen["team_member"] == [
        {"node": {"id": ids.encode("Artifact", writer_world.unlinked.pk)}}
    ]
    assert seen["nobody"] == []


COLLECTION = "query($id: ID!) { artifactCollection(id: $id) { name } }"


def test_the_wandb_api_finds_a_hidden_projects_sequence_by_id_for_nobody(writer_world):
    sequence = ids.encode("ArtifactCollection", writer_world.linked.sequence.pk)
    mine = graphql(writer_world, "team_member", COLLECTION, {"id": sequence})
    assert mine["data"]["artifactCollection"] == {"name": "SECRETmodel"}
    theirs = graphql(writer_world, "other_team", COLLECTION, {"id": sequence})
    assert theirs["data"]["artifactCollection"] is None
    assert "SECRETmodel" not in json.dumps(theirs)
