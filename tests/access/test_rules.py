"""The access rules as querysets (registry/models.py): who sees, downloads and writes."""

import pytest

from registry.errors import AlreadyExists, Conflict, Forbidden, NotFound
from registry.models import ArtifactVersion, Project, Run, Team, TeamMember, require_entity_write

SEE_PROJECT = {"root", "team_admin", "team_member"}
SEE_LINKED = SEE_PROJECT | {
    "registry_admin",
    "registry_member",
    "registry_viewer",
    "restricted_viewer",
}
DOWNLOAD_LINKED = SEE_LINKED - {"restricted_viewer"}


def who_sees(world, queryset_of, obj):
    return {who for who, user in world.users.items() if queryset_of(user).filter(pk=obj.pk)}


def test_a_teams_project_is_seen_by_its_members_only(world):
    assert who_sees(world, Project.objects.visible_to, world.project) == SEE_PROJECT
    assert who_sees(world, Run.objects.visible_to, world.run) == SEE_PROJECT


def test_an_open_project_is_seen_by_everybody_and_written_by_its_team(world):
    assert who_sees(world, Project.objects.visible_to, world.open_project) == set(world.users)
    assert who_sees(world, Project.objects.writable_by, world.open_project) == {
        "root",
        "other_team",
    }


def test_a_version_linked_into_a_registry_is_seen_through_it(world):
    assert who_sees(world, ArtifactVersion.objects.visible_to, world.linked) == SEE_LINKED
    assert who_sees(world, ArtifactVersion.objects.visible_to, world.unlinked) == SEE_PROJECT


def test_restricted_viewers_never_download(world):
    downloaders = who_sees(world, ArtifactVersion.objects.downloadable_by, world.linked)
    assert downloaders == DOWNLOAD_LINKED
    with pytest.raises(Forbidden):
        world.linked.require_download(world.users["restricted_viewer"])
    with pytest.raises(NotFound):
        world.linked.require_download(world.users["other_team"])
    assert world.linked.require_download(world.users["registry_viewer"]) == world.linked


def test_writing_needs_the_entity_404_when_unseen_403_when_seen(world):
    writers = who_sees(world, ArtifactVersion.objects.writable_by, world.linked)
    assert writers == SEE_PROJECT
    with pytest.raises(NotFound):
        world.project.require_write(world.users["other_team"])
    with pytest.raises(Forbidden):
        world.linked.require_write(world.users["registry_viewer"])  # seen through the vault
    with pytest.raises(NotFound):
        world.unlinked.require_write(world.users["registry_viewer"])
    with pytest.raises(Forbidden):
        world.open_project.require_write(world.users["team_member"])


def test_a_new_project_needs_its_entity(world):
    users = world.users
    assert Project.for_writing(users["team_member"], "acme", "new").entity == "acme"
    assert Project.for_writing(users["nobody"], "nobody", "mine").entity == "nobody"
    for who, entity in [("nobody", "acme"), ("team_member", "other"), ("nobody", "team_admin")]:
        with pytest.raises(NotFound):
            Project.for_writing(users[who], entity, "refused")
    assert not Project.objects.filter(name="refused").exists()


def test_the_first_writer_into_an_unheld_entity_founds_its_team(world):
    require_entity_write(world.users["nobody"], "fresh")
    team = Team.objects.get(name="fresh")
    assert team.role_of(world.users["nobody"]) == TeamMember.Role.ADMIN
    with pytest.raises(NotFound):
        require_entity_write(world.users["other_team"], "fresh")


def test_team_admins_manage_members(world):
    team = Team.objects.get(name="acme")
    admin, member = world.users["team_admin"], world.users["team_member"]
    with pytest.raises(Forbidden):
        team.set_member(member, "nobody", "member")
    with pytest.raises(NotFound):
        team.set_member(world.users["other_team"], "nobody", "member")
    team.set_member(admin, "nobody", "member")
    assert Project.objects.visible_to(world.users["nobody"]).filter(pk=world.project.pk)
    team.remove_member(admin, "nobody")
    assert not Project.objects.visible_to(world.users["nobody"]).filter(pk=world.project.pk)
    with pytest.raises(Conflict):
        team.remove_member(admin, "team_admin")  # the last admin
    with pytest.raises(AlreadyExists):
        Team.create("nobody", admin)  # a user's personal entity


@pytest.mark.parametrize("who, linked", [("team_member", True), ("registry_viewer", False)])
def test_a_collection_version_links_its_source_page_only_for_who_sees_it(
    world, client, who, linked
):
    world.vault.members.get_or_create(user=world.users[who])  # a viewer at least
    client.force_login(world.users[who])
    page = client.get("/registry/vault/SECRETvault-models/v0/").content.decode()
    assert (f'href="{world.linked.get_absolute_url()}"' in page) == linked
