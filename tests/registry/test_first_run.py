"""A fresh installation explains itself: how to make the first admin, then what to do."""

import pytest

from registry import demo


@pytest.mark.django_db
def test_the_login_page_says_how_to_create_the_first_admin_while_no_user_exists(
    client, django_user_model
):
    body = client.get("/accounts/login/").content.decode()
    assert "No user exists yet" in body
    assert "manage.py createsuperuser" in body
    django_user_model.objects.create_user("alice", password="alice-password")
    body = client.get("/accounts/login/").content.decode()
    assert "createsuperuser" not in body


def test_an_empty_home_says_where_to_get_a_key_and_what_to_run(client, alice):
    client.force_login(alice)
    body = client.get("/").content.decode()
    assert "Get started" in body
    assert 'href="/settings/"' in body and "Create API key" in body
    assert "export LINEAGE_BASE_URL=http://testserver\n" in body
    assert 'id="first-run-snippet"' in body
    assert 'run.link_artifact(model, target_path="model/my-models"' in body


def test_a_home_with_projects_leaves_the_guide_out(client, django_user_model):
    demo.load()
    client.force_login(django_user_model.objects.get(username="demo"))
    assert "Get started" not in client.get("/").content.decode()
