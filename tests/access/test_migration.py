"""Migration 0006 maps existing entities: one named as a user stays theirs, every other
becomes a team of the users who wrote into it, the earliest writer its admin."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("registry", "0005_core_registries")]
AFTER = [("registry", "0006_teams")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_entities_become_teams_of_their_writers():
    apps = migrate(BEFORE)
    try:
        User = apps.get_model("auth", "User")
        Project = apps.get_model("registry", "Project")
        Run = apps.get_model("registry", "Run")
        ann, ben, cat = (User.objects.create(username=name) for name in ("ann", "ben", "cat"))
        lab = Project.objects.create(entity="lab", name="p")
        Project.objects.create(entity="ann", name="mine")
        Project.objects.create(entity="quiet", name="p")
        start = timezone.now() - timedelta(days=1)
        Run.objects.create(project=lab, run_id="r1", author=ben, started_at=start)
        Run.objects.create(project=lab, run_id="r2", author=ann, started_at=start + timedelta(1))
        Run.objects.create(project=lab, run_id="r3", author=ben, started_at=start + timedelta(2))

        apps = migrate(AFTER)
        Team = apps.get_model("registry", "Team")
        assert sorted(Team.objects.values_list("name", flat=True)) == ["lab", "quiet"]
        members = Team.objects.get(name="lab").members.values_list("user__username", "role")
        assert sorted(members) == [("ann", "member"), ("ben", "admin")]
        assert not Team.objects.get(name="quiet").members.exists()
        assert cat.pk  # wrote nowhere: in no team
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
