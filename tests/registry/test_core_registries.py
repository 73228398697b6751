"""The core registries `model` and `dataset`: made by the migrations, organisation-wide
for good, never deleted, their preset types kept (admins may add types)."""

import pytest
from django.contrib.auth import get_user_model

from registry.errors import Conflict, Forbidden
from registry.models import Collection, Registry, RegistryMember


@pytest.fixture
def root(db):
    return get_user_model().objects.create_superuser("root", password="root-password")


def settings_of(registry, **change):
    current = {
        "description": registry.description,
        "accepted_types": registry.accepted_types,
        "protected_aliases": registry.protected_aliases,
        "visibility": registry.visibility,
    }
    return {**current, **change}


def test_the_migrations_make_both_core_registries(db):
    model, dataset = Registry.objects.get(name="model"), Registry.objects.get(name="dataset")
    assert (model.accepted_types, dataset.accepted_types) == (["model"], ["dataset"])
    assert {model.visibility, dataset.visibility} == {Registry.Visibility.ORGANIZATION}
    assert model.is_core and dataset.is_core


def test_a_core_registry_cannot_be_deleted(db):
    with pytest.raises(Conflict, match="cannot be deleted"):
        Registry.objects.get(name="model").delete()
    with pytest.raises(Conflict, match="cannot be deleted"):
        Registry.objects.all().delete()
    assert Registry.objects.count() == 2


def test_a_core_registry_stays_organisation_wide(root):
    model = Registry.objects.get(name="model")
    with pytest.raises(Conflict, match="always organisation-wide") as refused:
        model.change_settings(root, **settings_of(model, visibility="restricted"))
    assert refused.value.field == "visibility"
    model.refresh_from_db()
    assert model.visibility == Registry.Visibility.ORGANIZATION


def test_a_core_registry_keeps_its_preset_type_and_admins_add_types(root):
    model = Registry.objects.get(name="model")
    with pytest.raises(Conflict, match="always accepts model") as refused:
        model.change_settings(root, **settings_of(model, accepted_types=["checkpoint"]))
    assert refused.value.field == "accepted_types"
    model.change_settings(root, **settings_of(model, accepted_types=["model", "checkpoint"]))
    model.refresh_from_db()
    assert model.accepted_types == ["model", "checkpoint"]


def test_only_admins_change_settings(root, alice):
    model = Registry.objects.get(name="model")
    model.members.create(user=alice, role=RegistryMember.Role.MEMBER)
    with pytest.raises(Forbidden, match="admin role"):
        model.change_settings(alice, **settings_of(model, description="mine"))
    model.refresh_from_db()
    assert model.description != "mine"


def test_a_custom_registry_may_become_restricted_but_never_organisation_wide_again(root):
    custom = Registry.create("zoo", ["model"], admin=root)
    custom.change_settings(root, **settings_of(custom, visibility="restricted"))
    with pytest.raises(Conflict, match="cannot become organisation-wide again"):
        custom.change_settings(root, **settings_of(custom, visibility="organization"))
    custom.refresh_from_db()
    assert custom.visibility == Registry.Visibility.RESTRICTED


def test_a_type_a_collection_holds_stays_accepted(root):
    custom = Registry.create("zoo", ["model", "dataset"], admin=root)
    Collection.create(custom, "splits", "dataset")
    with pytest.raises(Conflict, match="hold dataset artifacts"):
        custom.change_settings(root, **settings_of(custom, accepted_types=["model"]))
    custom.refresh_from_db()
    assert custom.accepted_types == ["model", "dataset"]


def test_the_seed_demo_uses_the_core_registries(db):
    from registry import demo

    demo.load()
    assert Registry.objects.count() == 2
    model = Registry.objects.get(name="model")
    assert model.members.get(role=RegistryMember.Role.ADMIN).user.username == "alice"
    assert model.collections.filter(name="zoo-classifier").exists()
