"""`artifact.save()` of a committed version: the client's alias edits (AddAliases,
DeleteAliases, then UpdateArtifact) change aliases through the same model methods as
the JSON API, with the same audit events and the protected-alias rule."""

from registry.models import AuditEvent, Collection, Registry, RegistryMember
from tests.conftest import in_team

from .conftest import key_for

# Each edit is tried in turn; what the client says (or raises) is printed as JSON.
EDIT = """
import json, wandb

api = wandb.Api()
said = {}

def edit(name, change, then):
    try:
        artifact = api.artifact(name)
        change(artifact)
        artifact.save()
        said[name] = sorted(api.artifact(then).aliases)  # read back afresh
    except Exception as error:
        said[name] = f"{type(error).__name__}: {error}"

def swap(artifact):
    artifact.aliases.append("candidate")
    artifact.aliases.remove("best")

def describe(artifact):
    artifact.description = "rewritten"

edit("acme/zoo/zoo-ylbchv20:best", swap, "acme/zoo/zoo-ylbchv20:candidate")
edit("acme/zoo/zoo-ylbchv20:candidate", describe, "acme/zoo/zoo-ylbchv20:candidate")
promote = lambda artifact: artifact.aliases.append("production")
classifier = "wandb-registry-model/zoo-classifier"
edit(classifier + ":staging", promote, classifier + ":production")
print(json.dumps(said))
"""

STAGING = "wandb-registry-model/zoo-classifier:staging"


def protect_production():
    model = Registry.objects.get(name="model")
    model.protected_aliases = ["production"]
    model.save()
    return model


def events_of(collection):
    return AuditEvent.objects.filter(collection=collection)


def test_it_edits_aliases_with_audit_events_as_the_json_api_does(server):
    protect_production()  # alice is an admin of the model registry
    classifier = Collection.objects.get(name="zoo-classifier")
    staging = classifier.membership_by_alias("staging")
    was = classifier.membership_by_alias("production")
    before = events_of(classifier).count()
    said = server.run(EDIT)
    assert said["acme/zoo/zoo-ylbchv20:best"] == ["candidate", "latest"]
    version = staging.version
    assert said[STAGING] == ["candidate", "latest", "production", "staging"]
    assert classifier.version_by_alias("production") == version
    moved = events_of(classifier).order_by("pk")[before:]
    assert [(e.action, e.alias, e.version_index, e.actor.username) for e in moved] == [
        ("alias_removed", "production", was.index, "alice"),
        ("alias_added", "production", staging.index, "alice"),
    ]
    ylb = AuditEvent.objects.filter(collection__name="zoo-ylbchv20").order_by("-pk")[:2]
    assert sorted((e.action, e.alias) for e in ylb) == [
        ("alias_added", "candidate"),
        ("alias_removed", "best"),
    ]
    # The description is fixed when a version is logged: refused, saying why.
    assert "description of zoo-ylbchv20:v0 cannot change" in said["acme/zoo/zoo-ylbchv20:candidate"]


def test_it_keeps_a_protected_alias_to_the_admins(server, django_user_model):
    model = protect_production()
    mia = in_team(django_user_model.objects.create_user("mia"))
    model.members.create(user=mia, role=RegistryMember.Role.MEMBER)
    classifier = Collection.objects.get(name="zoo-classifier")
    holder, events = classifier.version_by_alias("production"), events_of(classifier).count()
    said = server.run(EDIT, key=key_for(mia))
    assert "You need the admin role in registry 'model'" in said[STAGING]
    assert classifier.version_by_alias("production") == holder
    assert events_of(classifier).count() == events
