"""Shared fixtures: static files collected once, every test keeps artifact files in its
own temporary folder, `s3_blobs` moves them into a bucket of a real S3-compatible
server (moto's, one process for the session), and `build` makes a test's own data."""

import itertools
import os
import threading
import uuid

import boto3
import pytest
from django.contrib.auth import get_user_model
from django.contrib.staticfiles import handlers as staticfiles_handlers
from django.core.management import call_command
from django.db import connection

from bench.server import s3_server
from registry.blobs import store_bytes
from registry.models import (
    ArtifactSequence,
    Collection,
    Project,
    Registry,
    Run,
    Team,
    TeamMember,
)


def pytest_configure(config):
    """Real password hashing costs a large part of a second per user the tests create;
    no test is about its strength. Servers started as subprocesses keep the defaults."""
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item):
    """Stop the heartbeats of runs a test left unfinished (lineage_client's daemon
    threads), before its fixtures' teardown: left beating, they reach the session's live
    server in later tests, and one that came during a transactional test's flush
    deadlocked with its TRUNCATE on PostgreSQL."""
    for thread in threading.enumerate():
        if thread.name == "lineage-heartbeat":
            thread.stop()
            thread.join(timeout=10)  # a beat under way ends before the database is flushed


@pytest.fixture(autouse=True, scope="session")
def collected_static():
    """Pages name static files by their hashed names and whitenoise serves them, as under
    `make serve`. live_server would put Django's test handler in front, which looks files
    up by their source names and answers 404 for hashed ones: it steps aside here."""
    call_command("collectstatic", "--noinput", verbosity=0)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(staticfiles_handlers, "StaticFilesHandler", lambda application: application)
        yield


@pytest.fixture(autouse=True)
def blob_dir(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "blobs": {
            "BACKEND": "registry.storage.LocalBlobStorage",
            "OPTIONS": {"location": tmp_path / "files"},
        },
    }
    return tmp_path / "files"


@pytest.fixture(scope="session")
def s3_endpoint():
    with s3_server() as url:
        yield url


S3_CREDENTIALS = {"access_key": "test", "secret_key": "test", "region_name": "us-east-1"}


@pytest.fixture
def s3_blobs(settings, s3_endpoint):
    """File contents in a fresh bucket, through django-storages over HTTP; yields the
    bucket (a boto3 resource) to look into."""
    name = f"test-{uuid.uuid4().hex[:12]}"
    options = {"bucket_name": name, "endpoint_url": s3_endpoint, **S3_CREDENTIALS}
    bucket = boto3.resource(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="us-east-1",
    ).Bucket(name)
    bucket.create()
    settings.STORAGES = {
        **settings.STORAGES,
        "blobs": {"BACKEND": "registry.storage.S3BlobStorage", "OPTIONS": options},
    }
    yield bucket
    bucket.objects.all().delete()
    bucket.delete()


@pytest.fixture
def require_postgres():
    """Tests that need real concurrent writers. Skipped with the reason on SQLite;
    CI sets REQUIRE_POSTGRES=1 so a missing PostgreSQL fails instead."""
    if connection.vendor != "postgresql":
        message = "needs PostgreSQL: run with DATABASE_URL=postgres://postgres@127.0.0.1:5432/test"
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(f"REQUIRE_POSTGRES=1 but the database is {connection.vendor}: {message}")
        pytest.skip(message)


def in_team(user, name="acme", role=TeamMember.Role.MEMBER):
    """`user`, made a member of team `name` (the entity the tests write into)."""
    team, _ = Team.objects.get_or_create(name=name)
    team.members.update_or_create(user=user, defaults={"role": role})
    return user


@pytest.fixture
def alice(db):
    """An admin of team `acme`."""
    user = get_user_model().objects.create_user("alice", password="alice-password")
    return in_team(user, role=TeamMember.Role.ADMIN)


@pytest.fixture
def bob(db):
    """A member of team `acme`."""
    return in_team(get_user_model().objects.create_user("bob", password="bob-password"))


class Builder:
    """A test's own small world, made with the domain operations, in project acme/zoo:
    `art` logs a version (of new content unless `files` says), `run` records a run and
    the versions it used, `link` puts a version in a registry's collection."""

    def __init__(self, entity="acme", project="zoo"):
        self.project = Project.get_or_create_path(entity, project)
        self.counter = itertools.count()

    def art(self, name, type="dataset", run=None, generated=False, content=None, files=None, **kw):
        files = files or {"f": content or f"content {next(self.counter)}"}
        blobs = {path: store_bytes(text.encode()) for path, text in files.items()}
        version, _ = ArtifactSequence.log_version(
            self.project, name, type, blobs, run=run, generated=generated, **kw
        )
        return version

    def run(self, name, job_type="train", uses=(), **kw):
        run = Run.objects.create(project=self.project, name=name, job_type=job_type, **kw)
        for version in uses:
            run.use_version(version)
        return run

    def link(self, registry, collection, version, aliases=(), user=None):
        """`registry` by name (the core ones, `model` and `dataset`, always exist)."""
        if isinstance(registry, str):
            registry = Registry.objects.get(name=registry)
        return Collection.link(registry, collection, version, user, aliases)


@pytest.fixture
def build(db):
    return Builder()


@pytest.fixture(autouse=True)
def fresh_cache():
    """The engine keeps drawn clusters in Django's cache (lineage.engine._keep_members);
    ids repeat between tests, so none may find another's."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def no_lineage_index(settings):
    """No test finds the edges in memory that another left (lineage.index), and none
    builds them unasked: tests/lineage/test_index.py builds them where it means to."""
    from lineage import index

    settings.LINEAGE_INDEX_NODES = 0
    index.forget()
    yield
    index.forget()


@pytest.fixture(autouse=True, scope="session")
def no_connections_left(django_db_setup, django_db_blocker):
    """Servers the tests started (live_server threads, gunicorn) keep their connections
    for LINEAGE_DB_CONN_MAX_AGE; PostgreSQL then refuses to drop the test database at the
    end ("being accessed by other users"): they are ended first."""
    yield
    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
