"""Sign-in protection: repeated wrong passwords lock that username from that address for a
while (django-axes, configured in config/settings.py), with a message saying so."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt

LOGIN = "/accounts/login/"


def sign_in(client, password, username="alice", **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def signed_in_as(client):
    return client.get("/").wsgi_request.user.username


def test_thirty_wrong_passwords_then_the_right_one_does_not_sign_in(client, alice):
    for _ in range(30):
        sign_in(client, "wrong")
    response = sign_in(client, "alice-password")
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed sign-ins" in page
    assert "locked for 15 minutes" in page
    assert signed_in_as(client) == ""


def test_it_counts_up_to_the_limit_before_locking(client, alice, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = sign_in(client, "wrong")
        assert response.status_code == 200
        assert "didn't match" in response.content.decode()
    assert sign_in(client, "alice-password").status_code == 302
    assert signed_in_as(client) == "alice"


def test_the_lock_expires(client, alice, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "wrong")
    assert sign_in(client, "alice-password").status_code == 429
    # The cool-off passes: the attempts are as old as the lock lasts, and a little more.
    earlier = settings.AXES_COOLOFF_TIME + timedelta(seconds=1)
    for attempt in AccessAttempt.objects.all():
        AccessAttempt.objects.filter(pk=attempt.pk).update(
            attempt_time=attempt.attempt_time - earlier
        )
    assert sign_in(client, "alice-password").status_code == 302
    assert signed_in_as(client) == "alice"


def test_the_lock_is_per_username_and_address(client, alice, bob, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "wrong")
    assert sign_in(client, "bob-password", username="bob").status_code == 302
    client.logout()
    elsewhere = {"REMOTE_ADDR": "10.0.0.9"}
    assert sign_in(client, "alice-password", **elsewhere).status_code == 302


@pytest.mark.parametrize("count, expected", [(0, "127.0.0.1"), (1, "10.1.2.3")])
def test_behind_a_proxy_the_address_is_the_one_the_proxy_appended(
    client, alice, settings, count, expected
):
    settings.LINEAGE_LOGIN_PROXY_COUNT = count
    forged = {"HTTP_X_FORWARDED_FOR": "6.6.6.6, 10.1.2.3"}
    sign_in(client, "wrong", **forged)
    assert AccessAttempt.objects.get().ip_address == expected


def test_the_admin_sign_in_is_counted_too(client, alice, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "wrong")
    form = {"username": "alice", "password": "alice-password", "next": "/admin/"}
    assert client.post("/admin/login/", form).status_code == 429
