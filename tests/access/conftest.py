"""One dataset for every access test: a private project of team `acme` whose model is
linked into the restricted registry `vault`, another private version linked nowhere, an
open project of team `other`, and a user in each role. Private words (names,
descriptions, metadata, bytes) start with `SECRET` so a test can look for any of them."""

from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model

from registry.blobs import store_bytes
from registry.models import (
    ApiKey,
    ArtifactSequence,
    Collection,
    Project,
    Registry,
    RegistryMember,
    Run,
    Team,
    TeamMember,
)

PRIVATE = (
    "SECRETmodel",
    "SECRETunlinked",
    "SECRET-DESCRIPTION",
    "SECRET-METADATA",
    "SECRET-BYTES",
    "SECRETrun",
    "SECRETjob",
    "SECRETproject",
)
# Who sees the vault's collection name (members of the restricted registry).
VAULT_SECRETS = ("SECRETvault-models",)

WHO = (
    "root",
    "team_admin",
    "team_member",
    "other_team",
    "registry_admin",
    "registry_member",
    "registry_viewer",
    "restricted_viewer",
    "nobody",
)


@dataclass
class World:
    users: dict
    project: Project
    open_project: Project
    run: Run
    linked: object  # the version linked into the vault
    unlinked: object  # a version of the private project linked nowhere
    open_version: object
    vault: Registry
    collection: Collection

    def key(self, who):
        return ApiKey.create_for(self.users[who])[1]


def _log(project, name, files, run, **kw):
    blobs = {path: store_bytes(data) for path, data in files.items()}
    return ArtifactSequence.log_version(project, name, "model", blobs, run=run, **kw)[0]


@pytest.fixture
def world(db):
    User = get_user_model()
    users = {who: User.objects.create_user(who, password=f"{who}-password") for who in WHO}
    users["root"].is_superuser = users["root"].is_staff = True
    users["root"].save()
    acme = Team.create("acme", users["team_admin"])
    acme.members.create(user=users["team_member"], role=TeamMember.Role.MEMBER)
    other = Team.create("other", users["other_team"])
    project = Project.get_or_create_path("acme", "SECRETproject")
    open_project = Project.objects.create(entity="other", name="shared", open=True)
    run = Run.objects.create(project=project, name="SECRETrun", job_type="SECRETjob")
    linked = _log(
        project,
        "SECRETmodel",
        {"weights.bin": b"SECRET-BYTES"},
        run,
        user=users["team_admin"],
        description="SECRET-DESCRIPTION",
        metadata={"note": "SECRET-METADATA"},
        aliases=["SECRETalias"],
    )
    unlinked = _log(project, "SECRETunlinked", {"other.bin": b"SECRET-BYTES-2"}, run)
    open_run = Run.objects.create(project=open_project, name="public-run", job_type="eval")
    open_version = _log(open_project, "public-model", {"public.bin": b"public bytes"}, open_run)
    vault = Registry.create("vault", ["model"], Registry.Visibility.RESTRICTED)
    for who, role in [
        ("registry_admin", RegistryMember.Role.ADMIN),
        ("registry_member", RegistryMember.Role.MEMBER),
        ("registry_viewer", RegistryMember.Role.VIEWER),
        ("restricted_viewer", RegistryMember.Role.RESTRICTED_VIEWER),
    ]:
        vault.members.create(user=users[who], role=role)
    membership = Collection.link(vault, "SECRETvault-models", linked, users["registry_admin"])
    assert other.pk and membership.pk
    return World(
        users=users,
        project=project,
        open_project=open_project,
        run=run,
        linked=linked,
        unlinked=unlinked,
        open_version=open_version,
        vault=vault,
        collection=membership.collection,
    )
