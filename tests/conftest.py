"""Shared fixtures: every test keeps artifact files in its own temporary folder."""

import os

import pytest
from django.contrib.auth import get_user_model
from django.db import connection


@pytest.fixture(autouse=True)
def blob_dir(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "blobs": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "files"},
        },
    }
    return tmp_path / "files"


@pytest.fixture
def require_postgres():
    """Tests that need real concurrent writers. Skipped with the reason on SQLite;
    CI sets REQUIRE_POSTGRES=1 so a missing PostgreSQL fails instead."""
    if connection.vendor != "postgresql":
        message = "needs PostgreSQL: run with DATABASE_URL=postgres://postgres@127.0.0.1:5432/test"
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(f"REQUIRE_POSTGRES=1 but the database is {connection.vendor}: {message}")
        pytest.skip(message)


@pytest.fixture
def alice(db):
    return get_user_model().objects.create_user("alice", password="alice-password")


@pytest.fixture
def bob(db):
    return get_user_model().objects.create_user("bob", password="bob-password")
