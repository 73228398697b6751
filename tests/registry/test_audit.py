import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory

from registry.errors import Forbidden
from registry.models import AuditEvent, Collection, RegistryEvent


@pytest.fixture
def event(log, model_registry, alice):
    model, _ = log("m", {"m": "1"}, type="model")
    Collection.link(model_registry, "c", model, alice)
    return AuditEvent.objects.filter(collection__name="c").first()


def test_it_refuses_to_change_an_event(event):
    event.alias = "rewritten"
    with pytest.raises(Forbidden, match="append-only"):
        event.save()


def test_it_refuses_to_delete_events(event):
    with pytest.raises(Forbidden):
        event.delete()
    with pytest.raises(Forbidden):
        AuditEvent.objects.all().delete()
    with pytest.raises(Forbidden):
        AuditEvent.objects.update(alias="x")
    assert AuditEvent.objects.filter(collection__name="c").count() == 2


def test_a_registry_event_is_append_only_too(model_registry, alice):
    event = RegistryEvent.record(model_registry, RegistryEvent.Action.SETTINGS_CHANGED, alice)
    event.changes = {"description": ["a", "b"]}
    with pytest.raises(Forbidden, match="append-only"):
        event.save()
    with pytest.raises(Forbidden):
        event.delete()
    assert RegistryEvent.objects.get(pk=event.pk).changes == {}


def test_it_is_read_only_in_the_admin_even_for_superusers(event, django_user_model):
    admin = django_user_model.objects.create_superuser("root", password="pw")
    request = RequestFactory().get("/admin/")
    request.user = admin
    model_admin = site._registry[AuditEvent]
    assert model_admin.has_view_permission(request, event)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, event)
    assert not model_admin.has_delete_permission(request, event)


def test_it_lists_events_filtered_in_the_admin(event, admin_client):
    response = admin_client.get("/admin/registry/auditevent/?action__exact=version_linked")
    assert response.status_code == 200
    assert response.context["cl"].result_count == 1
    response = admin_client.get(f"/admin/registry/auditevent/{event.pk}/change/")
    assert response.status_code == 200
    assert b"Save" not in response.content


def test_it_stamps_a_replayed_history_as_it_happened(log, model_registry, alice):
    from datetime import UTC, datetime

    from registry.models import replaying

    then = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    model, _ = log("m", {"m": "1"}, type="model")
    with replaying(lambda: then):
        Collection.link(model_registry, "c", model, alice, aliases=["staging"])
    events = AuditEvent.objects.filter(collection__name="c")
    assert {event.created_at for event in events} == {then}
    Collection.objects.get(name="c").add_alias(model, "best", alice)  # back to real time
    assert AuditEvent.objects.get(alias="best").created_at > then
