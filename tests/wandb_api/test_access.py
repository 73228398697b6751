"""Keys and roles as on the JSON API: a wrong key fails `wandb.init` cleanly, a
restricted viewer cannot use a registry's versions, a viewer cannot link."""

from registry.models import AuditEvent, Collection, Membership, Registry, RegistryMember, Run
from tests.conftest import in_team

from .conftest import key_for

INIT = """
import wandb
wandb.init(entity="acme", project="zoo").finish()
"""

USE_STAGING = """
import json, wandb
with wandb.init(entity="acme", project="zoo", job_type="eval") as run:
    model = run.use_artifact("wandb-registry-model/zoo-classifier:staging")
print(json.dumps({"run": run.id, "model": model.source_name}))
"""

LINK = """
import wandb
with wandb.init(entity="acme", project="zoo", job_type="train") as run:
    art = wandb.Artifact("zoo-model", type="model")
    art.add_file("model.pt")
    run.log_artifact(art)
    run.link_artifact(art, "wandb-registry-model/zoo-classifier", aliases=["challenger"])
"""


def test_it_fails_init_with_the_message_for_a_wrong_key(server):
    runs = Run.objects.count()
    done = server.run(INIT, key="lr-" + "x" * 40, check=False)
    assert done.returncode != 0
    assert "The API key is not valid" in done.stderr
    assert Run.objects.count() == runs


def test_it_uses_a_registry_version_as_an_input(server):
    made = server.run(USE_STAGING)
    assert made["model"] == "zoo-model:v4"
    staging = Collection.objects.get(name="zoo-classifier").version_by_alias("staging")
    assert list(Run.objects.get(run_id=made["run"]).inputs()) == [staging]


def test_it_refuses_a_restricted_viewer_the_use_of_a_registry_version(server, django_user_model):
    rita = in_team(django_user_model.objects.create_user("rita"))
    model = Registry.objects.get(name="model")
    model.members.create(user=rita, role=RegistryMember.Role.RESTRICTED_VIEWER)
    done = server.run(USE_STAGING, key=key_for(rita), check=False)
    assert done.returncode != 0
    assert "You need the viewer role in registry 'model'" in done.stderr
    assert not Run.objects.filter(author=rita, edges__isnull=False).exists()


def test_it_refuses_a_viewer_a_link(server, django_user_model):
    victor = in_team(django_user_model.objects.create_user("victor"))  # organisation-wide: a viewer
    registry_events = AuditEvent.objects.filter(collection__registry__isnull=False)
    links, events = Membership.objects.count(), registry_events.count()
    done = server.run(LINK, key=key_for(victor), check=False)
    assert done.returncode != 0
    assert "You need the member role in registry 'model'" in done.stderr
    assert Membership.objects.count() == links + 1  # its own version v6, not a link
    assert registry_events.count() == events


def test_it_links_with_aliases_for_a_member(server):
    server.run(LINK)
    classifier = Collection.objects.get(name="zoo-classifier")
    version = classifier.version_by_alias("challenger")
    assert version.name == "zoo-model:v6"
    actions = AuditEvent.objects.filter(collection=classifier, version=version)
    assert sorted(actions.values_list("action", "alias")) == [
        ("alias_added", "challenger"),
        ("alias_added", "latest"),
        ("version_linked", ""),
    ]
