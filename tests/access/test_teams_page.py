"""Teams in the browser: create one, its admins add and remove members."""

import pytest
from django.test import Client

from registry.errors import NotFound
from registry.models import Team, TeamMember, require_entity_write


def signed_in(world, who):
    client = Client()
    client.force_login(world.users[who])
    return client


def test_a_user_creates_a_team_and_becomes_its_admin(world):
    client = signed_in(world, "nobody")
    response = client.post("/teams/", {"name": "newteam"})
    assert response.status_code == 302 and response["Location"] == "/teams/newteam/"
    team = Team.objects.get(name="newteam")
    assert team.role_of(world.users["nobody"]) == TeamMember.Role.ADMIN
    assert "newteam" in client.get("/teams/").content.decode()


def test_a_taken_or_invalid_name_is_refused_with_nothing_created(world):
    client = signed_in(world, "nobody")
    for name, text in [("acme", "is taken"), ("team_admin", "is taken"), ("bad/name", "Invalid")]:
        response = client.post("/teams/", {"name": name})
        assert response.status_code in (400, 409) and text in response.content.decode()
    assert Team.objects.count() == 2


def test_team_admins_add_and_remove_members(world):
    client = signed_in(world, "team_admin")
    response = client.post("/teams/acme/", {"username": "nobody", "role": "admin"})
    assert response.status_code == 302
    team = Team.objects.get(name="acme")
    assert team.role_of(world.users["nobody"]) == TeamMember.Role.ADMIN
    assert signed_in(world, "nobody").get("/acme/SECRETproject/artifacts/").status_code == 200
    assert client.post("/teams/acme/", {"remove": "nobody"}).status_code == 302
    assert team.role_of(world.users["nobody"]) is None


def test_members_may_not_manage_and_outsiders_get_404(world):
    team = Team.objects.get(name="acme")
    before = list(team.members.values_list("user__username", "role"))
    member = signed_in(world, "team_member")
    response = member.post("/teams/acme/", {"username": "nobody", "role": "member"})
    assert response.status_code == 403 and "Only the admins" in response.content.decode()
    outsider = signed_in(world, "other_team")
    assert outsider.get("/teams/acme/").status_code == 404
    assert outsider.post("/teams/acme/", {"remove": "team_member"}).status_code == 404
    assert list(team.members.values_list("user__username", "role")) == before


def test_an_unknown_user_or_role_is_refused(world):
    client = signed_in(world, "team_admin")
    response = client.post("/teams/acme/", {"username": "ghost", "role": "member"})
    assert response.status_code == 404 and "No user named" in response.content.decode()
    response = client.post("/teams/acme/", {"username": "nobody", "role": "owner"})
    assert response.status_code == 400 and "Invalid role" in response.content.decode()
    assert Team.objects.get(name="acme").role_of(world.users["nobody"]) is None


def test_team_admins_open_and_close_a_project(world):
    nobody = signed_in(world, "nobody")
    path = "/acme/SECRETproject/artifacts/"
    member = signed_in(world, "team_member")
    assert member.post("/teams/acme/", {"project": "SECRETproject", "open": "1"}).status_code == 403
    assert nobody.get(path).status_code == 404
    admin = signed_in(world, "team_admin")
    assert admin.post("/teams/acme/", {"project": "SECRETproject", "open": "1"}).status_code == 302
    assert nobody.get(path).status_code == 200
    assert admin.post("/teams/acme/", {"project": "SECRETproject", "open": "0"}).status_code == 302
    assert nobody.get(path).status_code == 404


def test_a_user_named_as_a_team_gets_no_way_into_it(world, django_user_model):
    """Usernames and team names share one namespace; a user created later with a team's
    name (by an operator) does not become its member."""
    acme = django_user_model.objects.create_user("acme")
    client = Client()
    client.force_login(acme)
    assert client.get("/acme/SECRETproject/artifacts/").status_code == 404
    with pytest.raises(NotFound):
        require_entity_write(acme, "acme")
