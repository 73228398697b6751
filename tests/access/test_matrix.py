"""Who gets what, over one dataset (conftest.py): every page, htmx partial, API endpoint
and download URL of a project that holds a version linked into a restricted registry.
One row per request: (name, how to ask, {status: who}); anyone not named gets 404. A
new endpoint is one more row. Every answer is also searched for private words the user
may not read (beyond what their own request said)."""

import pytest
from django.test import Client

from .conftest import PRIVATE, VAULT_SECRETS, WHO

ROOT = {"root"}
TEAM = {"root", "team_admin", "team_member"}
VAULT_VIEWERS = {"root", "registry_admin", "registry_member", "registry_viewer"}
VAULT = VAULT_VIEWERS | {"restricted_viewer"}
LINKED = TEAM | VAULT
EVERYONE = set(WHO)


def page(path, **headers):
    return ("page", "get", path, headers)


def api(path):
    return ("api", "get", path, {})


def _seq(w, version):
    project, sequence = version.sequence.project, version.sequence
    return f"/{project.entity}/{project.name}/artifacts/{sequence.type}/{sequence.name}"


ROWS = [
    # The pages and their partials.
    ("home", lambda w: page("/"), {200: EVERYONE}),
    ("project artifacts", lambda w: page("/acme/SECRETproject/artifacts/"), {200: TEAM}),
    ("project runs", lambda w: page("/acme/SECRETproject/runs/"), {200: TEAM}),
    ("run page", lambda w: page(f"/acme/SECRETproject/runs/{w.run.run_id}/"), {200: TEAM}),
    ("sequence page", lambda w: page(_seq(w, w.linked) + "/"), {200: TEAM}),
    ("version page", lambda w: page(_seq(w, w.linked) + "/v0/"), {200: TEAM}),
    ("version files tab", lambda w: page(_seq(w, w.linked) + "/v0/?tab=files"), {200: TEAM}),
    (
        "page file link",
        lambda w: page(_seq(w, w.linked) + "/v0/files/weights.bin"),
        {200: TEAM | VAULT_VIEWERS, 403: {"restricted_viewer"}},
    ),
    (
        "page file link, unlinked",
        lambda w: page(_seq(w, w.unlinked) + "/v0/files/other.bin"),
        {200: TEAM},
    ),
    ("registry page", lambda w: page("/registry/vault/"), {200: VAULT}),
    (
        "registry partial",
        lambda w: page("/registry/vault/?q=S", HTTP_HX_REQUEST="true"),
        {200: VAULT},
    ),
    ("collection page", lambda w: page("/registry/vault/SECRETvault-models/"), {200: VAULT}),
    ("collection version", lambda w: page("/registry/vault/SECRETvault-models/v0/"), {200: VAULT}),
    (
        "collection files tab",
        lambda w: page("/registry/vault/SECRETvault-models/v0/?tab=files"),
        {200: VAULT},
    ),
    (
        "collection history",
        lambda w: page("/registry/vault/SECRETvault-models/history/"),
        {200: VAULT},
    ),
    (
        "collection history partial",
        lambda w: page("/registry/vault/SECRETvault-models/history/", HTTP_HX_REQUEST="true"),
        {200: VAULT},
    ),
    ("open project", lambda w: page("/other/shared/artifacts/"), {200: EVERYONE}),
    ("team page", lambda w: page("/teams/acme/"), {200: TEAM}),
    ("teams page", lambda w: page("/teams/"), {200: EVERYONE}),
    # The JSON API.
    ("read linked version", lambda w: api(f"/api/v1/versions/{w.linked.pk}"), {200: LINKED}),
    ("read unlinked version", lambda w: api(f"/api/v1/versions/{w.unlinked.pk}"), {200: TEAM}),
    (
        "download linked",
        lambda w: api(f"/api/v1/versions/{w.linked.pk}/files/weights.bin"),
        {200: TEAM | VAULT_VIEWERS, 403: {"restricted_viewer"}},
    ),
    (
        "download unlinked",
        lambda w: api(f"/api/v1/versions/{w.unlinked.pk}/files/other.bin"),
        {200: TEAM},
    ),
    ("producers", lambda w: api(f"/api/v1/versions/{w.linked.pk}/producers"), {200: LINKED}),
    ("consumers", lambda w: api(f"/api/v1/versions/{w.linked.pk}/consumers"), {200: LINKED}),
    ("read run", lambda w: api(f"/api/v1/runs/acme/SECRETproject/{w.run.run_id}"), {200: TEAM}),
    (
        "run inputs",
        lambda w: api(f"/api/v1/runs/acme/SECRETproject/{w.run.run_id}/inputs"),
        {200: TEAM},
    ),
    (
        "run outputs",
        lambda w: api(f"/api/v1/runs/acme/SECRETproject/{w.run.run_id}/outputs"),
        {200: TEAM},
    ),
    (
        "resolve by project path",
        lambda w: api("/api/v1/versions/resolve?name=acme/SECRETproject/SECRETmodel:v0"),
        {200: TEAM},
    ),
    (
        "resolve in a default project",
        lambda w: api(
            "/api/v1/versions/resolve?name=SECRETmodel:v0&entity=acme&project=SECRETproject"
        ),
        {200: TEAM},
    ),
    (
        "resolve by registry path",
        lambda w: api("/api/v1/versions/resolve?name=vault/SECRETvault-models:v0"),
        {200: VAULT_VIEWERS, 403: {"restricted_viewer"}},
    ),
    (
        "resolve sequence",
        lambda w: api("/api/v1/collections/resolve?name=acme/SECRETproject/SECRETmodel"),
        {200: TEAM},
    ),
    (
        "sequence versions",
        lambda w: api(f"/api/v1/collections/{w.linked.sequence.pk}/versions"),
        {200: TEAM},
    ),
    (
        "collection versions",
        lambda w: api(f"/api/v1/collections/{w.collection.pk}/versions"),
        {200: VAULT_VIEWERS, 403: {"restricted_viewer"}},
    ),
    # The lineage graph: what a user may not see there is a locked placeholder.
    ("lineage of linked", lambda w: api(f"/api/v1/lineage?node={w.linked.node_id}"), {200: LINKED}),
    (
        "lineage of unlinked",
        lambda w: api(f"/api/v1/lineage?node={w.unlinked.node_id}"),
        {200: TEAM},
    ),
    ("lineage of run", lambda w: api(f"/api/v1/lineage?node={w.run.node_id}"), {200: TEAM}),
    ("lineage page", lambda w: page(f"/lineage/{w.linked.node_id}/"), {200: LINKED}),
    ("preview linked", lambda w: page(f"/lineage/preview/{w.linked.node_id}/"), {200: LINKED}),
    ("preview run", lambda w: page(f"/lineage/preview/{w.run.node_id}/"), {200: TEAM}),
    (
        "preview open",
        lambda w: page(f"/lineage/preview/{w.open_version.node_id}/"),
        {200: EVERYONE},
    ),
]


def expected_status(expected, who):
    return next((status for status, whom in expected.items() if who in whom), 404)


def private_words(who):
    """The private words `who` may not read anywhere."""
    if who == "root":
        return set()
    words = set(PRIVATE) | set(VAULT_SECRETS)
    if who in TEAM:
        words -= set(PRIVATE)
    elif who in VAULT:  # the linked version is theirs to see, not its project's runs
        words -= {"SECRETmodel", "SECRET-DESCRIPTION", "SECRET-METADATA", "SECRETalias"}
        words -= {"SECRETproject"}  # its full name says where it came from
        if who in VAULT_VIEWERS:
            words -= {"SECRET-BYTES"}
    if who in VAULT:
        words -= set(VAULT_SECRETS)
    return words


def ask(world, who, request):
    kind, method, path, headers = request
    client = Client()
    if kind == "page":
        client.force_login(world.users[who])
    else:
        headers = {**headers, "HTTP_AUTHORIZATION": f"Bearer {world.key(who)}"}
    response = getattr(client, method)(path, **headers)
    body = b"".join(response) if response.streaming else response.content
    return response.status_code, body.decode(errors="replace")


@pytest.mark.parametrize("who", WHO)
def test_the_matrix(world, who):
    """One user over every row: a parameter per user keeps the dataset built 9 times,
    not once per cell."""
    failures = []
    for name, build, expected in ROWS:
        request = build(world)
        status, body = ask(world, who, request)
        want = expected_status(expected, who)
        if status != want:
            failures.append(f"{name}: {status}, expected {want}")
        asked = request[2]
        leaked = sorted(w for w in private_words(who) if w in body and w not in asked)
        if "SECRET-BYTES-2" in body and "SECRETunlinked" not in asked and who not in TEAM:
            leaked.append("SECRET-BYTES-2")
        if leaked:
            failures.append(f"{name}: leaked {leaked}")
    assert not failures, f"{who}:\n" + "\n".join(failures)
