"""The teams pages: a user's teams, creating one, and a team's members (its admins
manage them). A team the user is not in is 404, as if it did not exist."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render

from .errors import DomainError
from .models import Project, Team, TeamMember


def _team(request, name):
    team = Team.objects.filter(name=name).first()
    if team is None or team.role_of(request.user) is None:
        raise Http404(f"No team named {name!r}.")
    return team


def _mine(user):
    teams = Team.objects.all() if user.is_superuser else Team.objects.filter(members__user=user)
    return teams.prefetch_related("members")


@login_required
def teams(request):
    """GET: the user's teams; POST: create one, the user its first admin."""
    context = {"teams": _mine(request.user), "name": ""}
    if request.method == "POST":
        name = request.POST.get("name", "").strip()
        try:
            team = Team.create(name, request.user)
        except DomainError as error:
            context.update(name=name, error=error.message)
            return render(request, "registry/teams.html", context, status=error.status)
        messages.success(request, f"Team {team.name} created: you are its admin.")
        return redirect(team)
    return render(request, "registry/teams.html", context)


@login_required
def team(request, name):
    """GET: the members and the team's projects; POST (admins): add a member or change
    a role (`username`, `role`), remove one (`remove`), or open or close a project
    (`project`, `open` 1 or 0)."""
    team = _team(request, name)
    if request.method == "POST":
        try:
            _change_members(request, team)
        except DomainError as error:
            return _render_team(request, team, error=error.message, status=error.status)
        return redirect(team)
    return _render_team(request, team)


def _change_members(request, team):
    if "project" in request.POST:
        project = Project.objects.filter(entity=team.name, name=request.POST["project"]).first()
        if project is None:
            raise Http404("No such project in this team.")
        project.set_open(request.user, request.POST.get("open") == "1")
        state = "open to every signed-in user" if project.open else "seen by the team only"
        messages.success(request, f"{project} is now {state}.")
        return
    removed = request.POST.get("remove", "").strip()
    if removed:
        team.remove_member(request.user, removed)
        messages.success(request, f"{removed} removed from {team.name}.")
        return
    username = request.POST.get("username", "").strip()
    role = request.POST.get("role", TeamMember.Role.MEMBER)
    team.set_member(request.user, username, role)
    messages.success(request, f"{username} is now a {role} of {team.name}.")


def _render_team(request, team, error="", status=200):
    context = {
        "team": team,
        "members": team.members.select_related("user"),
        "projects": Project.objects.filter(entity=team.name),
        "is_admin": team.role_of(request.user) == TeamMember.Role.ADMIN,
        "roles": TeamMember.Role.choices,
        "error": error,
    }
    return render(request, "registry/team.html", context, status=status)
