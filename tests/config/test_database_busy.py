"""A database that refuses connections ("too many clients already": README "Database
connections") answers 503 with Retry-After, in JSON under /api/; other failures stay 500."""

from unittest import mock

import pytest
from django.db import OperationalError, ProgrammingError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import Client

REFUSED = OperationalError("FATAL:  sorry, too many clients already")


@pytest.fixture
def signed_in(alice):
    client = Client(raise_request_exception=False)
    client.force_login(alice)  # so that the request needs the database (its session)
    return client


@pytest.fixture
def refusing(db):
    with mock.patch.object(BaseDatabaseWrapper, "ensure_connection", side_effect=REFUSED):
        yield


@pytest.mark.parametrize("path", ["/", "/registry/model/", "/admin/"])
def test_a_page_says_try_again(signed_in, refusing, path):
    response = signed_in.get(path)
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert "try again in a few seconds" in response.content.decode()


def test_the_api_says_it_in_json(refusing):
    response = Client(raise_request_exception=False).get(
        "/api/v1/limits", HTTP_AUTHORIZATION="Bearer x"
    )
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert "try again" in response.json()["detail"]


def test_other_failures_stay_500(signed_in):
    with mock.patch.object(
        BaseDatabaseWrapper, "ensure_connection", side_effect=ProgrammingError("x")
    ):
        response = signed_in.get("/registry/model/")
    assert response.status_code == 500 and "Retry-After" not in response
