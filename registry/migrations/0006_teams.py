"""Teams, and the open flag of projects. Existing entities map as follows: an entity
named as a user stays that user's personal entity; every other entity becomes a team
whose members are the users who wrote into its projects (authored runs, logged versions,
linked or moved aliases there), the earliest of them its admin. A team nobody wrote into
has no members until a superuser adds some (in the admin or on its page)."""

import django.db.models.deletion
import registry.models
from django.conf import settings
from django.db import migrations, models


def entities_become_teams(apps, schema_editor):
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    Project = apps.get_model("registry", "Project")
    Team = apps.get_model("registry", "Team")
    users = set(User.objects.values_list("username", flat=True))
    for entity in sorted(set(Project.objects.values_list("entity", flat=True)) - users):
        team = Team.objects.create(name=entity)
        for rank, user_id in enumerate(_writers(apps, entity)):
            team.members.create(user_id=user_id, role="admin" if rank == 0 else "member")


def _writers(apps, entity):
    """The users who wrote into `entity`'s projects, the earliest first."""
    first = {}
    sources = [
        ("Run", "author", "project__entity", "started_at"),
        ("ArtifactVersion", "created_by", "sequence__project__entity", "created_at"),
        ("Membership", "created_by", "collection__project__entity", "created_at"),
    ]
    for model, user_field, entity_field, time_field in sources:
        rows = apps.get_model("registry", model)._base_manager.filter(
            **{entity_field: entity, f"{user_field}__isnull": False}
        )
        for user_id, at in rows.values_list(f"{user_field}_id", time_field):
            first[user_id] = min(first.get(user_id, at), at)
    return sorted(first, key=lambda user_id: (first[user_id], user_id))


class Migration(migrations.Migration):

    dependencies = [
        ('registry', '0005_core_registries'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Team',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=128, unique=True)),
                ('created_at', models.DateTimeField(default=registry.models.now)),
            ],
            options={
                'ordering': ['name'],
            },
        ),
        migrations.AddField(
            model_name='project',
            name='open',
            field=models.BooleanField(default=False, help_text="Seen by every signed-in user; written only by its entity's members."),
        ),
        migrations.CreateModel(
            name='TeamMember',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('role', models.CharField(choices=[('member', 'member'), ('admin', 'admin')], default='member', max_length=8)),
                ('team', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='members', to='registry.team')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='team_memberships', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['team', 'user__username'],
                'constraints': [models.UniqueConstraint(fields=('team', 'user'), name='unique_team_member')],
            },
        ),
        migrations.RunPython(entities_become_teams, migrations.RunPython.noop),
    ]
