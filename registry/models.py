"""The domain: projects, runs, artifacts, registries and their audit trail.

A version's home artifact sequence and the registry collections it is linked into are
the same kind of thing, an ArtifactCollection, and a version belongs to each through a
Membership that carries that collection's own version number (v0, v1, ...) and aliases.
"""

import base64
import contextlib
import contextvars
import hashlib
import json
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, models, transaction
from django.db.models import F, Func, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property

from . import names
from .errors import (
    AlreadyExists,
    Conflict,
    Forbidden,
    InvalidName,
    InvalidText,
    NotFound,
    ReservedAlias,
    TooLarge,
    TypeMismatch,
    on_field,
)
from .names import (
    LATEST,
    VERSION_ALIAS_RE,
    normalized_files,
    parse_version,
    validate_alias,
    validate_json,
    validate_name,
    validate_text,
)


def check_text(instance):
    """Every text and JSON field of `instance` as each database stores it alike (no NUL,
    no lone surrogate) and no longer than its column, the field named; run before each
    save of this app's models (apps.py), so every way in (API, pages, the W&B and
    OpenLineage endpoints) gets a 400 instead of PostgreSQL's 500."""
    for field in instance._meta.concrete_fields:
        value = getattr(instance, field.attname)
        if isinstance(field, models.JSONField):
            _check_json_size(field.name, validate_json(field.name, value))
        elif isinstance(field, models.CharField | models.TextField) and isinstance(value, str):
            validate_text(field.name, value, field.max_length or settings.LINEAGE_MAX_TEXT_CHARS)


def _check_json_size(field, value):
    if value is None or isinstance(value, bool | int | float):
        return
    size = len(json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str).encode())
    if size > settings.LINEAGE_MAX_JSON_BYTES:
        raise InvalidText(
            f"{field} is too large: {size:,} bytes as JSON, at most "
            f"{settings.LINEAGE_MAX_JSON_BYTES:,} (LINEAGE_MAX_JSON_BYTES).",
            field=field,
        )


def is_generated(artifact_type, name):
    """The reference SDK's reserved kinds of artifact, made by a library, not a person."""
    return (
        artifact_type == "job"
        or artifact_type.startswith("wandb-")
        or (artifact_type == "run_table" and name.startswith("run-"))
        or (artifact_type == "code" and name.startswith("source-"))
    )


def manifest_digest(entries):
    """The reference formula: hex MD5 over `path:entry_digest` lines sorted by path.

    `entries` maps each path to its base64 MD5, so versions logged by this client and
    by the reference one deduplicate against each other.
    """
    md5 = hashlib.md5(b"wandb-artifact-manifest-v1\n")
    for path in sorted(entries):
        md5.update(f"{path}:{entries[path]}\n".encode())
    return md5.hexdigest()


def identity_digest(identity):
    """The digest of a described version (see ArtifactSequence.described_version)."""
    return hashlib.md5(json.dumps(identity, sort_keys=True).encode()).hexdigest()


_replay_clock = contextvars.ContextVar("replay_clock", default=None)


def now():
    """The time new rows are stamped with: the current time, unless a replay of past
    work (the demo registry's week) is under way; see `replaying`."""
    clock = _replay_clock.get()
    return clock() if clock else timezone.now()


@contextlib.contextmanager
def replaying(clock):
    """Stamp the rows written inside with `clock()` instead of the current time, so a
    replayed history (audit events included, which are never rewritten) reads as it
    happened."""
    token = _replay_clock.set(clock)
    try:
        yield
    finally:
        _replay_clock.reset(token)


def _person(user):
    """The user to record as actor, or None for anonymous and system changes."""
    return user if user is not None and user.is_authenticated else None


def created_or_existing(create, existing):
    """`create()` in a savepoint; when a concurrent writer made the row first, theirs
    (`existing` is the queryset that finds it). create() may find it itself, after the
    caller looked (AlreadyExists: Team.create checks the name first)."""
    try:
        with transaction.atomic():
            return create()
    except (IntegrityError, AlreadyExists):
        found = existing.first()
        if found is None:
            raise
        return found


class Team(models.Model):
    """An entity whose projects its members see and write into. Every user also has a
    personal entity, named as the user, that only they write into. Team names and
    usernames share one namespace: the entity in a project's path is one or the other."""

    name = models.CharField(max_length=128, unique=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("registry-team", args=[self.name])

    @classmethod
    def create(cls, name, admin):
        """A new team named `name` with `admin` as its first admin."""
        with on_field("name"):
            names.validate_entity(name)
        taken = get_user_model().objects.filter(username=name).exists()
        if taken or cls.objects.filter(name=name).exists():
            raise AlreadyExists(f"The entity name {name!r} is taken; choose another.", "name")
        with transaction.atomic():
            team = cls.objects.create(name=name)
            team.members.create(user=admin, role=TeamMember.Role.ADMIN)
        return team

    def role_of(self, user):
        """The user's role in the team, or None (superusers count as admins)."""
        if user.is_superuser:
            return TeamMember.Role.ADMIN
        member = self.members.filter(user=user).first() if user.is_authenticated else None
        return TeamMember.Role(member.role) if member else None

    def require_admin(self, user):
        role = self.role_of(user)
        if role is None:
            raise NotFound(f"No team named {self.name!r}.")
        if role != TeamMember.Role.ADMIN:
            raise Forbidden(f"Only the admins of team {self.name!r} manage its members.")

    def set_member(self, actor, username, role):
        """Add `username` to the team with `role`, or change their role (admins only)."""
        self.require_admin(actor)
        if role not in TeamMember.Role.values:
            choices = ", ".join(TeamMember.Role.values)
            raise InvalidName(f"Invalid role {role!r}: use one of {choices}.", "role")
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise NotFound(f"No user named {username!r}.", "username")
        with transaction.atomic():
            self.members.update_or_create(user=user, defaults={"role": role})
            self._keep_an_admin()
        return user

    def remove_member(self, actor, username):
        self.require_admin(actor)
        member = self.members.filter(user__username=username).first()
        if member is None:
            raise NotFound(f"{username!r} is not a member of team {self.name!r}.", "username")
        with transaction.atomic():
            member.delete()
            self._keep_an_admin()

    def _keep_an_admin(self):
        if not self.members.filter(role=TeamMember.Role.ADMIN).exists():
            raise Conflict(f"Team {self.name!r} needs at least one admin.", "role")


class TeamMember(models.Model):
    class Role(models.TextChoices):
        MEMBER = "member", "member"
        ADMIN = "admin", "admin"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="team_memberships"
    )
    role = models.CharField(max_length=8, choices=Role.choices, default=Role.MEMBER)

    class Meta:
        ordering = ["team", "user__username"]
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="unique_team_member")]

    def __str__(self):
        return f"{self.user} ({self.role}) in {self.team}"


def _entities_q(user, field="entity"):
    """The entities `user` writes into: their teams' and their own (unless a team holds
    their username: a user created after a team of that name gets no way into it)."""
    mine = Team.objects.filter(members__user=user).values("name")
    own = Q(**{field: user.username}) & ~Q(**{f"{field}__in": Team.objects.values("name")})
    return own | Q(**{f"{field}__in": mine})


def require_entity_write(user, entity):
    """Writing a new project into `entity` needs its user or a member of its team. An
    entity nobody holds yet (neither a user nor a team) becomes a team with `user` as its
    admin: the first writer founds it."""
    names.validate_entity(entity)
    team = Team.objects.filter(name=entity).first()
    if team is None and entity == user.username:
        return
    if team is None and not get_user_model().objects.filter(username=entity).exists():
        team = created_or_existing(
            lambda: Team.create(entity, user), Team.objects.filter(name=entity)
        )
    if user.is_superuser:
        return
    if team is None or team.role_of(user) is None:
        raise NotFound(f"No entity named {entity!r} that you may write into.")


def count_of(rows, field):
    """The number of `rows` whose `field` is the outer row, as a correlated subquery:
    one index range per row listed, where `annotate(Count(...))` over two relations
    joins them against each other (a project's runs times its sequences)."""
    count = Func(template="COUNT(*)", output_field=models.IntegerField())  # no GROUP BY
    counted = rows.filter(**{field: OuterRef("pk")}).order_by().annotate(n=count)
    return Subquery(counted.values("n"))


COUNTED_UP_TO = 10_000  # past it a count reads "10,000+" (templatetags.display.counted)


def capped_count_of(rows, field):
    """`count_of`, stopping at COUNTED_UP_TO + 1: a project's runs grow without bound, and
    counting 388,714 of them cost more than the page that shows the number."""
    first = rows.filter(**{field: OuterRef("pk")}).order_by().values("pk")[: COUNTED_UP_TO + 1]
    template = "(SELECT COUNT(*) FROM %(expressions)s capped)"
    return Func(Subquery(first), template=template, output_field=models.IntegerField())


class ProjectQuerySet(models.QuerySet):
    def visible_to(self, user):
        """What `user` sees: their entities' projects and the open ones (all: superusers)."""
        if user.is_superuser:
            return self
        if not user.is_authenticated:
            return self.none()
        return self.filter(Q(open=True) | _entities_q(user))

    def writable_by(self, user):
        """Projects `user` may write runs, versions and aliases into."""
        if user.is_superuser:
            return self
        if not user.is_authenticated:
            return self.none()
        return self.filter(_entities_q(user))

    def with_counts(self):
        """Each project's `run_count` (up to COUNTED_UP_TO + 1) and `sequence_count`."""
        return self.annotate(
            run_count=capped_count_of(Run.objects.all(), "project"),
            # Only sequences have a project: no `kind` to read, the count is index-only.
            sequence_count=count_of(ArtifactCollection.objects.all(), "project"),
        )

    def find(self, entity, name):
        project = self.filter(entity=entity, name=name).first()
        if project is None:
            raise NotFound(f"No project {entity}/{name}.")
        return project


class Project(models.Model):
    entity = models.CharField(max_length=128, help_text="User or team namespace.")
    name = models.CharField(max_length=128)
    openlineage_namespace = models.CharField(
        max_length=1024,
        blank=True,
        help_text="The OpenLineage namespace this project holds, exactly as sent (its name is "
        "a readable form of it); blank for the projects of our clients.",
    )
    open = models.BooleanField(
        default=False,
        help_text="Seen by every signed-in user; written only by its entity's members.",
    )
    created_at = models.DateTimeField(default=now)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = ["entity", "name"]
        constraints = [
            models.UniqueConstraint(fields=["entity", "name"], name="unique_project_path"),
            models.UniqueConstraint(
                fields=["entity", "openlineage_namespace"],
                condition=~Q(openlineage_namespace=""),
                name="unique_project_namespace",
            ),
        ]

    def __str__(self):
        return f"{self.entity}/{self.name}"

    def get_absolute_url(self):
        return reverse("registry-project-artifacts", args=[self.entity, self.name])

    @classmethod
    def get_or_create_path(cls, entity, name):
        names.validate_entity(entity)
        validate_name(name, "project name")
        return cls.objects.get_or_create(entity=entity, name=name)[0]

    @classmethod
    def for_writing(cls, user, entity, name):
        """The project `entity/name` for `user` to write into, created when missing."""
        project = cls.objects.filter(entity=entity, name=name).first()
        if project is not None:
            return project.require_write(user)
        require_entity_write(user, entity)
        return cls.get_or_create_path(entity, name)

    def is_writable_by(self, user):
        return Project.objects.writable_by(user).filter(pk=self.pk).exists()

    def set_open(self, user, is_open):
        """Open (every signed-in user sees it) or closed (its entity's members only): a
        team's admins decide, or the user whose own project it is."""
        self.require_write(user)
        team = Team.objects.filter(name=self.entity).first()
        if team is not None:
            team.require_admin(user)
        self.open = bool(is_open)
        self.save(update_fields=["open"])

    def require_write(self, user, visible=None):
        """This project, if `user` may write into it: else 403 when they can see it
        (`visible`: they see what is written to by other means), 404 when not."""
        if self.is_writable_by(user):
            return self
        if visible is None:
            visible = Project.objects.visible_to(user).filter(pk=self.pk).exists()
        if visible:
            raise Forbidden(f"Only the members of {self.entity!r} write into {self}.")
        raise NotFound(f"No project {self}.")

    @classmethod
    def for_namespace(cls, entity, namespace):
        """The project of `entity` holding OpenLineage namespace `namespace`, created when
        missing under a readable name (`postgres://db:5432` -> `postgres-db-5432`)."""
        existing = cls.objects.filter(entity=entity, openlineage_namespace=namespace)
        project = existing.first()
        if project is not None:
            return project
        names.validate_entity(entity)
        taken = cls.objects.filter(entity=entity)
        name = names.readable_name(namespace, lambda name: taken.filter(name=name).exists())
        return created_or_existing(
            lambda: cls.objects.create(entity=entity, name=name, openlineage_namespace=namespace),
            existing,
        )


ADJECTIVES = (
    "rural northern zesty glamorous quiet bright misty brisk golden silent "
    "wild gentle ancient lively proud lucky sunny vivid"
).split()
NOUNS = (
    "feather lake snowball planet river forest meadow cloud sea mountain "
    "wave field dawn leaf breeze star stone fire"
).split()


def new_run_id():
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(8))


class RunQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A run is seen exactly when its project is (lineage.access.hidden_in relies on
        it, and its tests compare it with this)."""
        return self.filter(project__in=Project.objects.visible_to(user).values("pk"))

    def writable_by(self, user):
        return self.filter(project__in=Project.objects.writable_by(user).values("pk"))

    def find(self, entity, project, run_id):
        """The run `entity/project/run_id` with its project and author, or NotFound."""
        run = (
            self.select_related("project", "author")
            .filter(project__entity=entity, project__name=project, run_id=run_id)
            .first()
        )
        if run is None:
            raise NotFound(f"No run {run_id!r} in project {entity}/{project}.")
        return run

    def silent(self):
        """Running runs whose client has sent no heartbeat for LINEAGE_RUN_CRASH_AFTER
        seconds. Runs that never had one (OpenLineage's, which end by their events) are
        never silent."""
        cutoff = now() - timedelta(seconds=settings.LINEAGE_RUN_CRASH_AFTER)
        return self.filter(state=Run.State.RUNNING, heartbeat_at__lt=cutoff)

    def crash_silent(self):
        """Mark the silent runs crashed, ended at their last heartbeat (as the reference
        product does when a client dies without finishing). Returns how many."""
        return self.silent().update(state=Run.State.CRASHED, finished_at=F("heartbeat_at"))


class Run(models.Model):
    class State(models.TextChoices):
        RUNNING = "running"
        FINISHED = "finished"
        FAILED = "failed"
        CRASHED = "crashed"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="runs")
    run_id = models.CharField("id", max_length=128, default=new_run_id)
    name = models.CharField("display name", max_length=256, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.RUNNING)
    job_type = models.CharField(max_length=64, blank=True, db_index=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    started_at = models.DateTimeField(default=now)
    finished_at = models.DateTimeField(null=True, blank=True)
    config = models.JSONField(default=dict, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    tags = models.JSONField(default=list, blank=True)
    notes = models.TextField(blank=True)
    host = models.CharField(max_length=256, blank=True)
    # When the run's client last said it is alive (see RunQuerySet.silent).
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    objects = RunQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]
        # A project's runs page lists them newest first, a page at a time.
        constraints = [models.UniqueConstraint(fields=["project", "run_id"], name="unique_run_id")]
        indexes = [
            models.Index(fields=["project", "-started_at"], name="runs_newest_first"),
            models.Index(fields=["state", "heartbeat_at"], name="run_state_heartbeat"),
        ]

    def __str__(self):
        return self.name or self.run_id

    def save(self, *args, **kwargs):
        if not self.name:
            number = Run.objects.filter(project_id=self.project_id).count() + 1
            self.name = f"{secrets.choice(ADJECTIVES)}-{secrets.choice(NOUNS)}-{number}"
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        p = self.project
        return reverse("registry-run", args=[p.entity, p.name, self.run_id])

    @property
    def node_id(self):
        return names.node_id("run", self.pk)

    @classmethod
    def start(cls, project, user, run_id=None, **fields):
        """A new run of `project`, or with `run_id` the one already there (a client
        resuming it). Returns (run, created)."""
        if run_id:
            validate_name(run_id, "run id")
            runs = cls.objects.filter(project=project, run_id=run_id)
            existing = runs.first()
            if existing is None:
                try:
                    with transaction.atomic():  # a savepoint: a concurrent start may win
                        return cls._new(project, user, run_id=run_id, **fields), True
                except IntegrityError:  # it did: this is a resume of its run
                    existing = runs.get()
            existing.beat()
            return existing, False
        return cls._new(project, user, **fields), True

    @classmethod
    def _new(cls, project, user, **fields):
        author = _person(user)
        return cls.objects.create(project=project, author=author, heartbeat_at=now(), **fields)

    def beat(self):
        """The run's client is alive. A run marked crashed while its client was only out
        of reach runs again."""
        runs = Run.objects.filter(pk=self.pk)
        runs.update(heartbeat_at=now())
        runs.filter(state=self.State.CRASHED).update(state=self.State.RUNNING, finished_at=None)
        self.refresh_from_db(fields=["state", "finished_at", "heartbeat_at"])

    def update(self, **fields):
        """Set `fields` and save. A run that stopped running gets a finish time if it has
        none."""
        for field, value in fields.items():
            setattr(self, field, value)
        if self.state != self.State.RUNNING and self.finished_at is None:
            self.finished_at = now()
        self.save()

    @property
    def duration(self):
        end = self.finished_at or (timezone.now() if self.state == self.State.RUNNING else None)
        return end - self.started_at if end else None

    def use_version(self, version, use_as=""):
        """Record `version` as an input. A version this run logged itself adds no edge.
        The run's row lock keeps a concurrent log of the same version from slipping in
        between the check and the insert."""
        with transaction.atomic():
            Run.objects.select_for_update().filter(pk=self.pk).first()
            if self.edges.filter(version=version, direction=LineageEdge.Direction.LOGS).exists():
                return None
            edge, _ = LineageEdge.objects.get_or_create(
                run=self,
                version=version,
                direction=LineageEdge.Direction.USES,
                defaults={"use_as": use_as},
            )
        return edge

    def log_version(self, version):
        """Record `version` as an output (logged again: still one edge)."""
        return LineageEdge.objects.get_or_create(
            run=self, version=version, direction=LineageEdge.Direction.LOGS
        )[0]

    def forget_versions(self, direction, versions, replacement=None):
        """Drop this run's edges to `versions` in `direction`: for a run that said which
        version it read or wrote only later (an OpenLineage run's COMPLETE naming the
        version its START could not know yet). What the run said of them (its facets)
        moves to `replacement`, unless it keeps another edge to them."""
        self.edges.filter(direction=direction, version__in=versions).delete()
        if replacement is not None:
            kept = self.edges.filter(version__in=versions).values("version")
            moved = self.facets.filter(version__in=versions).exclude(version__in=kept)
            moved.update(version=replacement)

    @classmethod
    def latest_of_job(cls, entity, namespace, job_name):
        """The latest run of an OpenLineage job, or None."""
        runs = cls.objects.filter(
            project__entity=entity, project__openlineage_namespace=namespace, name=job_name
        )
        return runs.order_by("-started_at", "-pk").first()

    def parent_run_id(self):
        """The OpenLineage runId of the run this one ran within (a task's DAG run), or ""."""
        parent = self.facets.filter(scope=Facet.Scope.RUN, name="parent").newest().get("parent")
        run = parent.get("run") if isinstance(parent, dict) else None
        return str(run.get("runId", "")).lower() if isinstance(run, dict) else ""

    def parent_run(self):
        """The run this one ran within, when its events arrived."""
        run_id = self.parent_run_id()
        if not run_id:
            return None
        runs = Run.objects.filter(project__entity=self.project.entity, run_id=run_id)
        return runs.exclude(project__openlineage_namespace="").first()

    def child_runs(self):
        """The runs that name this one as their parent."""
        named = Facet.objects.filter(
            scope=Facet.Scope.RUN, name="parent", value__run__runId=self.run_id
        )
        return Run.objects.filter(pk__in=named.values("run")).order_by("started_at", "pk")

    def shown_facets(self):
        """{"run": {name: value}, "job": {name: value}}: the newest of each facet, the job's
        from this run's events, else from its job's own (JobEvent) ones."""
        job = Facet.objects.filter(
            scope=Facet.Scope.JOB, project_id=self.project_id, job_name=self.name
        )
        return {
            "run": self.facets.filter(scope=Facet.Scope.RUN).newest(),
            "job": {**job.filter(run__isnull=True).newest(), **job.filter(run=self).newest()},
        }

    def edge_facets(self):
        """[(version, "input" or "output", {name: value})]: what this run's events said of
        its reading or writing each version (OpenLineage inputFacets and outputFacets)."""
        edges = Facet.Scope.INPUT, Facet.Scope.OUTPUT
        pairs = self.facets.filter(scope__in=edges).values_list("version", "scope").distinct()
        versions = ArtifactVersion.objects.select_related("sequence").in_bulk(
            [pk for pk, _ in pairs]
        )
        return [
            (versions[pk], scope, self.facets.filter(version_id=pk, scope=scope).newest())
            for pk, scope in sorted(set(pairs))
        ]

    def inputs(self):
        return ArtifactVersion.objects.filter(
            edges__run=self, edges__direction=LineageEdge.Direction.USES
        )

    def outputs(self):
        return ArtifactVersion.objects.filter(
            edges__run=self, edges__direction=LineageEdge.Direction.LOGS
        )


# The core registries every installation has (the reference product's), with the types
# they accept from the start: always organisation-wide, never deleted, their preset types
# kept. Migration 0005 creates them; `Registry.ensure_core` again after a flush.
CORE_REGISTRIES = {
    "model": ("model", "Models ready to use: the core registry for models."),
    "dataset": ("dataset", "Datasets ready to use: the core registry for datasets."),
}


class RegistryQuerySet(models.QuerySet):
    def delete(self):
        if self.filter(name__in=CORE_REGISTRIES).exists():
            raise Conflict("The core registries model and dataset cannot be deleted.")
        return super().delete()

    def visible_to(self, user):
        if user.is_superuser:
            return self
        return self.filter(
            Q(visibility=Registry.Visibility.ORGANIZATION) | Q(members__user=user)
        ).distinct()

    def with_counts(self):
        """Each registry's `collection_count` and `version_count` (versions linked)."""
        return self.annotate(
            collection_count=count_of(Collection.objects.all(), "registry"),
            version_count=count_of(Membership.objects.all(), "collection__registry"),
        )

    def with_role(self, user, role):
        """The registries where `user` has at least `role` (every signed-in user is a
        viewer of the organisation-wide ones they are not a member of)."""
        if user.is_superuser:
            return self
        if not user.is_authenticated:
            return self.none()
        mine = RegistryMember.objects.filter(user=user)
        held = Q(pk__in=mine.filter(role__gte=role).values("registry"))
        if role <= RegistryMember.Role.VIEWER:
            everyone = Q(visibility=Registry.Visibility.ORGANIZATION)
            held |= everyone & ~Q(pk__in=mine.values("registry"))
        return self.filter(held)

    def named(self, path_part, user, role=None):
        """The registry a path names (`model` or `wandb-registry-model`), if the user may
        see it and has `role` there (a viewer's by default)."""
        name = names.registry_name(path_part)
        registry = self.visible_to(user).filter(name=name).first()
        if registry is None:
            raise NotFound(f"No registry named {name!r}.")
        registry.require_role(user, role or RegistryMember.Role.VIEWER)
        return registry


class Registry(models.Model):
    class Visibility(models.TextChoices):
        ORGANIZATION = "organization", "Organization"
        RESTRICTED = "restricted", "Restricted (members only)"

    name = models.CharField(max_length=128, unique=True)
    description = models.TextField(blank=True)
    visibility = models.CharField(
        max_length=16, choices=Visibility.choices, default=Visibility.ORGANIZATION
    )
    accepted_types = models.JSONField(
        default=list, blank=True, help_text="Artifact types this registry accepts."
    )
    protected_aliases = models.JSONField(
        default=list, blank=True, help_text="Aliases only registry admins may change."
    )
    created_at = models.DateTimeField(default=now)

    objects = RegistryQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "registries"

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("registry-registry", args=[self.name])

    @property
    def is_core(self):
        return self.name in CORE_REGISTRIES

    @property
    def preset_types(self):
        """Types a core registry accepts from the start and always will."""
        return [CORE_REGISTRIES[self.name][0]] if self.is_core else []

    @classmethod
    def ensure_core(cls):
        """Create the core registries that are missing (a flushed test database)."""
        for name, (artifact_type, description) in CORE_REGISTRIES.items():
            cls.objects.get_or_create(
                name=name, defaults={"accepted_types": [artifact_type], "description": description}
            )

    def delete(self, *args, **kwargs):
        if self.is_core:
            raise Conflict(f"The core registry {self.name!r} cannot be deleted.")
        return super().delete(*args, **kwargs)

    @classmethod
    def create(cls, name, accepted_types, visibility=Visibility.ORGANIZATION, admin=None, **kw):
        with on_field("name"):
            validate_name(name, "registry name")
        cls(name=name).check_settings(
            list(accepted_types), kw.get("protected_aliases", []), visibility
        )
        if cls.objects.filter(name=name).exists():
            raise AlreadyExists(f"A registry named {name!r} already exists.", "name")
        with transaction.atomic():
            registry = cls.objects.create(
                name=name, accepted_types=list(accepted_types), visibility=visibility, **kw
            )
            RegistryEvent.record(registry, RegistryEvent.Action.CREATED, admin)
            if admin is not None:
                member = registry.members.create(user=admin, role=RegistryMember.Role.ADMIN)
                RegistryEvent.record(registry, RegistryEvent.Action.MEMBER_ADDED, admin, member)
        return registry

    def check_settings(self, accepted_types, protected_aliases, visibility):
        """The rules for a registry's settings, against what it has now: valid types and
        aliases; a core registry keeps its preset types and stays organisation-wide; a
        custom one may become restricted, never organisation-wide again; a type that a
        collection here holds stays accepted."""
        with on_field("accepted_types"):
            for artifact_type in accepted_types:
                validate_name(artifact_type, "artifact type")
        with on_field("protected_aliases"):
            for alias in protected_aliases:
                validate_alias(alias)
        missing = [t for t in self.preset_types if t not in accepted_types]
        if missing:
            raise Conflict(
                f"The core registry {self.name!r} always accepts {', '.join(missing)}.",
                field="accepted_types",
            )
        held = self.collections.exclude(type__in=accepted_types) if self.pk else None
        held = sorted(set(held.values_list("type", flat=True))) if held is not None else []
        if held:
            raise Conflict(
                f"Collections here hold {', '.join(held)} artifacts: keep accepting that type.",
                field="accepted_types",
            )
        if visibility not in self.Visibility.values:
            choices = ", ".join(self.Visibility.values)
            raise InvalidName(
                f"Invalid visibility {visibility!r}: use one of {choices}.", "visibility"
            )
        if visibility != self.visibility and self.is_core:
            raise Conflict(
                f"The core registry {self.name!r} is always organisation-wide.", "visibility"
            )
        if visibility == self.Visibility.ORGANIZATION and self.visibility != visibility:
            raise Conflict(
                "A restricted registry cannot become organisation-wide again.", "visibility"
            )

    def change_settings(self, user, description, accepted_types, protected_aliases, visibility):
        """An admin's change of the description, accepted types, protected aliases and
        visibility, checked by `check_settings`."""
        self.require_role(user, RegistryMember.Role.ADMIN)
        accepted_types = list(dict.fromkeys(accepted_types))
        protected_aliases = list(dict.fromkeys(protected_aliases))
        self.check_settings(accepted_types, protected_aliases, visibility)
        wanted = {
            "description": description,
            "accepted_types": accepted_types,
            "protected_aliases": protected_aliases,
            "visibility": visibility,
        }
        self.save_settings(actor=user, **wanted)

    def save_settings(self, actor, **fields):
        """Write checked settings, with an audit event of what changed (nothing when
        nothing did)."""
        changes = {
            name: [getattr(self, name), value]
            for name, value in fields.items()
            if getattr(self, name) != value
        }
        if not changes:
            return
        with transaction.atomic():
            for name, value in fields.items():
                setattr(self, name, value)
            self.save()
            RegistryEvent.record(
                self, RegistryEvent.Action.SETTINGS_CHANGED, actor, changes=changes
            )

    def add_member(self, actor, username, role):
        """An admin gives the user of `username` a role here."""
        self.require_role(actor, RegistryMember.Role.ADMIN)
        role = _role(role)
        user = _user_named(username)
        if self.members.filter(user=user).exists():
            raise AlreadyExists(f"{username} is already a member of {self.name!r}.", "username")
        with transaction.atomic():
            member = self.members.create(user=user, role=role)
            RegistryEvent.record(self, RegistryEvent.Action.MEMBER_ADDED, actor, member)
        return member

    def change_member(self, actor, username, role):
        """An admin changes a member's role; the last admin stays one."""
        self.require_role(actor, RegistryMember.Role.ADMIN)
        role = _role(role)
        with transaction.atomic():
            member = self._member(username)
            if role != RegistryMember.Role.ADMIN:
                self._keep_an_admin(member)
            if member.role != role:
                member.role = role
                member.save()
                RegistryEvent.record(self, RegistryEvent.Action.ROLE_CHANGED, actor, member)
        return member

    def remove_member(self, actor, username):
        self.require_role(actor, RegistryMember.Role.ADMIN)
        with transaction.atomic():
            member = self._member(username)
            self._keep_an_admin(member)
            member.delete()
            RegistryEvent.record(self, RegistryEvent.Action.MEMBER_REMOVED, actor, member)

    def _member(self, username):
        member = self.members.select_for_update().filter(user__username=username).first()
        if member is None:
            raise NotFound(f"{username} is not a member of {self.name!r}.", "username")
        return member

    def _keep_an_admin(self, member):
        admins = self.members.filter(role=RegistryMember.Role.ADMIN)
        if member.role == RegistryMember.Role.ADMIN and admins.count() == 1:
            raise Conflict(
                f"{member.user} is the only admin of {self.name!r}: make another admin first.",
                "role",
            )

    def create_collection(self, actor, name, type, description=""):
        """Members create collections (linking also creates them)."""
        self.require_role(actor, RegistryMember.Role.MEMBER)
        return Collection.create(self, name, type, description)

    def role_of(self, user):
        """The user's role here, or None when they may not even see the registry."""
        if user.is_superuser:
            return RegistryMember.Role.ADMIN
        member = self.members.filter(user=user).first() if user.is_authenticated else None
        if member:
            return RegistryMember.Role(member.role)
        if self.visibility == self.Visibility.ORGANIZATION and user.is_authenticated:
            return RegistryMember.Role.VIEWER
        return None

    def require_role(self, user, role):
        have = self.role_of(user)
        if have is None:
            raise NotFound(f"No registry named {self.name!r}.")
        if have < role:
            raise Forbidden(
                f"You need the {RegistryMember.Role(role).label} role in registry "
                f"{self.name!r} for this."
            )

    def require_change(self, user, aliases=()):
        """Linking, unlinking and moving aliases take the member role; protected aliases
        (e.g. `production`) are the admins' to set, move and remove."""
        self.require_role(user, RegistryMember.Role.MEMBER)
        if set(aliases) & set(self.protected_aliases):
            self.require_role(user, RegistryMember.Role.ADMIN)

    def collection_named(self, name):
        collection = Collection.objects.filter(registry=self, name=name).first()
        if collection is None:
            raise NotFound(f"No collection {name!r} in registry {self.name!r}.")
        return collection

    def check_type(self, artifact_type):
        if artifact_type not in self.accepted_types:
            accepted = ", ".join(self.accepted_types) or "none"
            raise TypeMismatch(
                f"Registry {self.name!r} does not accept artifacts of type "
                f"{artifact_type!r} (it accepts: {accepted})."
            )


def _role(value):
    try:
        return RegistryMember.Role(int(value))
    except (TypeError, ValueError):
        labels = ", ".join(RegistryMember.Role.labels)
        raise InvalidName(f"Invalid role {value!r}: use one of {labels}.", "role") from None


def _user_named(username):
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise NotFound(f"No user named {username!r}.", "username")
    return user


class RegistryMember(models.Model):
    class Role(models.IntegerChoices):
        RESTRICTED_VIEWER = 10, "restricted viewer"
        VIEWER = 20, "viewer"
        MEMBER = 30, "member"
        ADMIN = 40, "admin"

    registry = models.ForeignKey(Registry, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    role = models.PositiveSmallIntegerField(choices=Role.choices, default=Role.VIEWER)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["registry", "user"], name="unique_registry_member")
        ]

    def __str__(self):
        return f"{self.user} ({self.get_role_display()}) in {self.registry}"


class ArtifactCollectionQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Sequences of the projects `user` sees, collections of the registries they see."""
        if user.is_superuser:
            return self
        return self.filter(
            Q(project__in=Project.objects.visible_to(user).values("pk"))
            | Q(registry__in=Registry.objects.visible_to(user).values("pk"))
        )

    def with_version_counts(self):
        """Each one's `version_count`: its versions, not their tombstones."""
        live = ArtifactVersion._base_manager.filter(deleted_at__isnull=True)
        return self.annotate(version_count=count_of(live, "sequence"))


class ArtifactCollectionManager(models.Manager.from_queryset(ArtifactCollectionQuerySet)):
    def at_path(self, path, user, project=None):
        """The artifact sequence or registry collection of a split name's path:
        `[registry, collection]`, `[entity, project, name]`, or `[name]` in `project`."""
        if len(path) == 2:
            return Registry.objects.named(path[0], user).collection_named(path[1])
        if len(path) == 3:
            project = Project.objects.visible_to(user).find(path[0], path[1])
        elif project is None:
            raise InvalidName(f"Say which project {path[-1]!r} is in: 'entity/project/{path[-1]}'.")
        sequence = ArtifactSequence.objects.filter(project=project, name=path[-1]).first()
        if sequence is None:
            raise NotFound(f"No artifact {path[-1]!r} in project {project}.")
        return sequence

    def named(self, name, user, project=None, type=None):
        """A collection by the name people write for it, without an alias (the
        reference SDK's `artifact_collection`), checking its type when given."""
        if ":" in str(name):
            raise InvalidName(f"Invalid collection name {name!r}: leave out the ':alias'.")
        collection = self.at_path(names.split_name(name)[0], user, project)
        if type and collection.type != type:
            raise TypeMismatch(f"{collection} holds {collection.type!r} artifacts, not {type!r}.")
        return collection


class ArtifactCollection(models.Model):
    """A numbered set of artifact versions: a project's artifact sequence or a registry
    collection. Use the proxies ArtifactSequence and Collection."""

    class Kind(models.TextChoices):
        SEQUENCE = "sequence", "artifact sequence"
        PORTFOLIO = "portfolio", "registry collection"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.CASCADE, related_name="sequences"
    )
    registry = models.ForeignKey(
        Registry, null=True, blank=True, on_delete=models.CASCADE, related_name="collections"
    )
    name = models.CharField(max_length=128)
    type = models.CharField(max_length=128, db_index=True)
    description = models.TextField(blank=True)
    openlineage_name = models.CharField(
        max_length=1024,
        blank=True,
        help_text="The OpenLineage dataset name, exactly as sent (its namespace is the "
        "project's); blank for the artifacts of our clients.",
    )
    created_at = models.DateTimeField(default=now)
    next_index = models.PositiveIntegerField(
        default=0, editable=False, help_text="The next version number; never reused."
    )

    objects = ArtifactCollectionManager()

    class Meta:
        ordering = ["name"]
        # A project's Artifacts page lists its sequences by type and name, a page at a time.
        indexes = [models.Index(fields=["project", "type", "name"], name="sequences_by_type")]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "name"],
                condition=Q(kind="sequence"),
                name="unique_sequence_name",
            ),
            models.UniqueConstraint(
                fields=["registry", "name"],
                condition=Q(kind="portfolio"),
                name="unique_collection_name",
            ),
            models.UniqueConstraint(
                fields=["project", "openlineage_name"],
                condition=Q(kind="sequence") & ~Q(openlineage_name=""),
                name="unique_sequence_dataset",
            ),
            models.CheckConstraint(
                condition=Q(kind="sequence", project__isnull=False, registry__isnull=True)
                | Q(kind="portfolio", registry__isnull=False, project__isnull=True),
                name="collection_has_one_owner",
            ),
        ]

    def __str__(self):
        owner = self.project if self.kind == self.Kind.SEQUENCE else self.registry
        return f"{owner}/{self.name}"

    def get_absolute_url(self):
        if self.kind == self.Kind.SEQUENCE:
            p = self.project
            return reverse("registry-sequence", args=[p.entity, p.name, self.type, self.name])
        return reverse("registry-collection", args=[self.registry.name, self.name])

    def _lock(self):
        """Take this collection's row lock: version numbers and aliases change one writer
        at a time (SQLite's IMMEDIATE transactions serialise writers already)."""
        return type(self).objects.select_for_update().get(pk=self.pk)

    def _add_member(self, version, user, action=None):
        """Give `version` the next number here (auditing `action` if given) and move
        `latest` to it. Caller holds the lock."""
        index = self.next_index
        ArtifactCollection.objects.filter(pk=self.pk).update(next_index=F("next_index") + 1)
        self.next_index = index + 1
        membership = Membership.objects.create(
            collection=self, version=version, index=index, created_by=_person(user)
        )
        if action:
            self._audit(action, membership, user)
        self._move_alias(membership, LATEST, user)
        return membership

    def membership_of(self, version):
        membership = self.memberships.filter(version=version).first()
        if membership is None:
            raise NotFound(f"{version} is not in {self}.")
        return membership

    def _move_alias(self, membership, name, user):
        """Point alias `name` at `membership`, auditing the removal and the addition."""
        current = self.aliases.filter(name=name).select_related("membership").first()
        if current and current.membership_id == membership.pk:
            return current
        if current:
            current.delete()
            self._audit(AuditEvent.Action.ALIAS_REMOVED, current.membership, user, name)
        alias = Alias.objects.create(collection=self, membership=membership, name=name)
        self._audit(AuditEvent.Action.ALIAS_ADDED, membership, user, name)
        return alias

    def _audit(self, action, membership, user, alias=""):
        AuditEvent.objects.create(
            collection=self,
            action=action,
            actor=_person(user),
            version_id=membership.version_id,
            version_index=membership.index,
            alias=alias,
        )

    def add_alias(self, version, name, user=None):
        validate_alias(name)
        with transaction.atomic():
            locked = self._lock()
            return locked._move_alias(locked.membership_of(version), name, user)

    def remove_alias(self, name, user=None, version=None):
        """Remove alias `name`; with `version`, only while it still names that version
        (checked under the lock, so a concurrent move is never undone by mistake)."""
        validate_alias(name)
        with transaction.atomic():
            locked = self._lock()
            alias = locked.aliases.filter(name=name).select_related("membership").first()
            if alias is None or (version and alias.membership.version_id != version.pk):
                whose = f" on {version}" if version else ""
                raise NotFound(f"{self} has no alias {name!r}{whose}.")
            alias.delete()
            locked._audit(AuditEvent.Action.ALIAS_REMOVED, alias.membership, user, name)

    def set_aliases(self, version, names, user=None, authorize=None):
        """Make `names` the aliases of `version` here: the new ones are added (moved off
        another version if they name one), the missing ones removed, each change audited.
        `latest` moves by itself, so it must stay as it is. `authorize(changed)` runs
        under the lock, before anything is written, with the alias names that change."""
        wanted = list(dict.fromkeys(names))
        for name in wanted:
            if name != LATEST:
                validate_alias(name)
        with transaction.atomic():
            locked = self._lock()
            membership = locked.membership_of(version)
            held = {alias.name: alias for alias in membership.aliases.all()}
            if (LATEST in held) != (LATEST in wanted):
                raise ReservedAlias(f"The alias {LATEST!r} is reserved and moves by itself.")
            changed = (set(wanted) ^ set(held)) - {LATEST}
            if authorize:
                authorize(changed)
            for name, alias in held.items():
                if name not in wanted:
                    alias.delete()
                    locked._audit(AuditEvent.Action.ALIAS_REMOVED, membership, user, name)
            for name in wanted:
                if name not in held:
                    locked._move_alias(membership, name, user)
        return membership

    def membership_by_alias(self, alias):
        """The collection version an alias or `vN` names here."""
        if VERSION_ALIAS_RE.fullmatch(alias):
            membership = self.memberships.filter(index=parse_version(alias)).first()
        else:
            membership = Membership.objects.filter(collection=self, aliases__name=alias).first()
        if membership is None:
            raise NotFound(f"{self} has no version {alias!r}.")
        return membership

    def version_by_alias(self, alias):
        """The version an alias or `vN` names here."""
        return self.membership_by_alias(alias).version


class SequenceManager(models.Manager.from_queryset(ArtifactCollectionQuerySet)):
    def get_queryset(self):
        return super().get_queryset().filter(kind=ArtifactCollection.Kind.SEQUENCE)


class ArtifactSequence(ArtifactCollection):
    """All versions of one artifact name in a project, of one type."""

    objects = SequenceManager()

    class Meta:
        proxy = True

    def save(self, *args, **kwargs):
        self.kind = self.Kind.SEQUENCE
        super().save(*args, **kwargs)

    @classmethod
    def log_version(
        cls,
        project,
        name,
        type,
        files,
        run=None,
        user=None,
        description="",
        metadata=None,
        aliases=(),
        generated=False,
    ):
        """Log content as a version of `project/name`; returns (version, created).

        `files` maps each path in the artifact to its Blob. Content whose digest equals
        an existing version's makes no new version: the run is recorded as also logging
        that version. Otherwise the version gets the sequence's next vN.
        """
        validate_name(name, "artifact name")
        validate_name(type, "artifact type")
        for alias in aliases:
            validate_alias(alias)
        if len(files) > settings.LINEAGE_MAX_MANIFEST_FILES:
            raise TooLarge(
                f"A version may hold at most {settings.LINEAGE_MAX_MANIFEST_FILES:,} files, "
                f"not {len(files):,} (LINEAGE_MAX_MANIFEST_FILES)."
            )
        files = normalized_files(files)
        digest = manifest_digest({path: blob.md5 for path, blob in files.items()})
        with transaction.atomic():
            sequence, _ = cls.objects.get_or_create(
                project=project, name=name, defaults={"type": type}
            )
            if sequence.type != type:
                raise TypeMismatch(f"Artifact {name!r} has type {sequence.type!r}, not {type!r}.")
            sequence = sequence._lock()
            version = sequence.versions.filter(digest=digest).first()
            created = version is None
            if created:
                version = sequence._create_version(
                    files, digest, user, description, metadata, generated
                )
            if run is not None:
                run.log_version(version)
            membership = sequence.membership_of(version)
            for alias in aliases:
                sequence._move_alias(membership, alias, user)
        return version, created

    @classmethod
    def for_dataset(cls, project, dataset_name):
        """The `dataset` sequence of `project` for OpenLineage dataset `dataset_name` (the
        project holds its namespace), created when missing under a readable name."""
        existing = cls.objects.filter(project=project, openlineage_name=dataset_name)
        sequence = existing.first()
        if sequence is not None:
            return sequence
        taken = ArtifactCollection.objects.filter(project=project)
        name = names.readable_name(dataset_name, lambda name: taken.filter(name=name).exists())
        return created_or_existing(
            lambda: cls.objects.create(
                project=project, name=name, type="dataset", openlineage_name=dataset_name
            ),
            existing,
        )

    def described_version(self, identity, user=None):
        """The version that `identity` names: a version of content we hold no files of (an
        OpenLineage dataset), described by parts any of which may be unknown, e.g.
        {"datasetVersion": "5", "schema": "<digest>"}. Equal parts name the same version.
        Otherwise parts that do not contradict the newest version describe it: unknown
        ones it lacked complete it (a START names a dataset's schema, its COMPLETE the
        version written), so the order of the events never matters. Parts that
        contradict it make the next vN. Returns the version."""
        with transaction.atomic():
            sequence = self._lock()
            version = sequence.versions.filter(digest=identity_digest(identity)).first()
            if version is not None:
                return version
            version = sequence.newest_version()
            if version is None or not version.describes(identity):
                return sequence._create_version(
                    {}, identity_digest(identity), user, "", {"identity": identity}, False
                )
            merged = {**version.identity, **identity}
            if merged != version.identity:
                known = sequence.versions.filter(digest=identity_digest(merged)).first()
                if known is not None:
                    return known
                version.complete_identity(merged)
            return version

    def newest_version(self):
        """The version with the highest vN, or None."""
        return self.versions.order_by("-version_index").first()

    def _create_version(self, files, digest, user, description, metadata, generated):
        version = ArtifactVersion.objects.create(
            sequence=self,
            digest=digest,
            description=description,
            metadata=metadata or {},
            size=sum(blob.size for blob in files.values()),
            file_count=len(files),
            generated=generated or is_generated(self.type, self.name),
            created_by=_person(user),
        )
        # By ids: assigning the objects costs a related-field check per row (100,000 here).
        ManifestEntry.objects.bulk_create(
            ManifestEntry(version_id=version.pk, path=path, blob_id=blob.pk)
            for path, blob in files.items()
        )
        membership = self._add_member(version, user)
        version.version_index = membership.index
        return version


class CollectionManager(models.Manager.from_queryset(ArtifactCollectionQuerySet)):
    def get_queryset(self):
        return super().get_queryset().filter(kind=ArtifactCollection.Kind.PORTFOLIO)


# `/registry/<registry>/settings/` is the registry's settings page, not a collection.
RESERVED_COLLECTIONS = {"settings"}


class Collection(ArtifactCollection):
    """A named set of artifact versions inside a registry, of one artifact type."""

    objects = CollectionManager()

    class Meta:
        proxy = True

    def save(self, *args, **kwargs):
        self.kind = self.Kind.PORTFOLIO
        super().save(*args, **kwargs)

    @classmethod
    def create(cls, registry, name, type, description=""):
        with on_field("name"):
            validate_name(name, "collection name")
            if name in RESERVED_COLLECTIONS:
                raise InvalidName(f"The collection name {name!r} is reserved: the registry's page.")
        with on_field("type"):
            validate_name(type, "artifact type")
            registry.check_type(type)
        if cls.objects.filter(registry=registry, name=name).exists():
            raise AlreadyExists(
                f"Registry {registry.name!r} already has a collection {name!r}.", "name"
            )
        return cls.objects.create(registry=registry, name=name, type=type, description=description)

    @classmethod
    def link(cls, registry, name, version, user=None, aliases=()):
        """Link `version` into collection `name` of `registry`, creating the collection
        when it does not exist yet. Returns the Membership (its collection version)."""
        with on_field("aliases"):
            for alias in aliases:
                validate_alias(alias)
        artifact_type = version.sequence.type
        with transaction.atomic():
            collection = cls._get_or_create(registry, name, artifact_type)._lock()
            if collection.type != artifact_type:
                raise TypeMismatch(
                    f"Collection {collection.name!r} holds {collection.type!r} artifacts; "
                    f"{version} is a {artifact_type!r}."
                )
            registry.check_type(artifact_type)
            membership = collection.memberships.filter(version=version).first()
            if membership is None:
                membership = collection._add_member(version, user, AuditEvent.Action.VERSION_LINKED)
            for alias in aliases:
                collection._move_alias(membership, alias, user)
        return membership

    @classmethod
    def link_by(cls, actor, registry, name, version, aliases=()):
        """Linking shares the version, so it takes what downloading it does, and the
        member role in the registry; a protected alias with it an admin's."""
        version.require_download(actor)
        registry.require_change(actor, aliases)
        return cls.link(registry, name, version, actor, aliases)

    @classmethod
    def _get_or_create(cls, registry, name, artifact_type):
        """The collection, created when missing; a concurrent creator's wins the race."""
        collection = cls.objects.filter(registry=registry, name=name).first()
        if collection is not None:
            return collection
        try:
            with transaction.atomic():  # a savepoint: the race loser's transaction goes on
                return cls.create(registry, name, artifact_type)
        except (IntegrityError, AlreadyExists):  # the winner committed before or after our check
            return cls.objects.get(registry=registry, name=name)

    def edit_description(self, actor, description):
        self.registry.require_role(actor, RegistryMember.Role.MEMBER)
        self.description = description
        self.save(update_fields=["description"])

    def add_alias_by(self, actor, version, name):
        """Add `name` to `version` here, moving it off the version holding it; a
        protected alias is an admin's."""
        self.registry.require_change(actor, [name])
        with on_field("alias"):
            return self.add_alias(version, name, actor)

    def remove_alias_by(self, actor, version, name):
        self.registry.require_change(actor, [name])
        self.remove_alias(name, actor, version)

    def unlink_by(self, actor, version, delete_aliases=True):
        """Unlinking takes the version's aliases here with it, so protected ones need an
        admin."""
        self.registry.require_change(actor)
        held = self.membership_of(version).aliases.values_list("name", flat=True)
        self.registry.require_change(actor, held)
        self.unlink(version, actor, delete_aliases)

    def unlink(self, version, user=None, delete_aliases=True):
        """Remove `version` from this collection with its aliases; `latest` falls back to
        the newest version that remains. With `delete_aliases=False`, a version holding
        aliases other than `latest` is refused instead."""
        with transaction.atomic():
            locked = self._lock()
            membership = locked.membership_of(version)
            names = list(membership.aliases.values_list("name", flat=True))
            if not delete_aliases:
                _refuse_aliased(f"{version} in {self}", names)
            for name in names:
                locked._audit(AuditEvent.Action.ALIAS_REMOVED, membership, user, name)
            membership.delete()
            locked._audit(AuditEvent.Action.VERSION_UNLINKED, membership, user)
            newest = locked.memberships.order_by("-index").first()
            if LATEST in names and newest:
                locked._move_alias(newest, LATEST, user)


def _refuse_aliased(what, names):
    held = sorted(set(names) - {LATEST})
    if held:
        raise Conflict(
            f"{what} holds the aliases {', '.join(held)}: move them first, or delete "
            "them with it (delete_aliases=True)."
        )


def _home_index():
    return Subquery(
        Membership._base_manager.filter(version=OuterRef("pk"), collection=OuterRef("sequence"))
        .order_by()  # the default ordering would join and sort inside every subquery
        .values("index")[:1]
    )


def _linked_into(registries):
    """The versions linked into any of `registries`."""
    return Membership._base_manager.filter(collection__registry__in=registries.values("pk"))


class ArtifactVersionQuerySet(models.QuerySet):
    """Who reaches a version (README "Teams and who sees what"): its project's viewers
    see it, and so do the viewers of a registry it is linked into; downloading and using
    take the viewer role there (never a restricted viewer's); writing takes its
    project's entity."""

    def visible_to(self, user):
        """(The first way, a live version of a project one sees, is what
        lineage.access.hidden_in takes for granted; its tests compare it with this.)"""
        if user.is_superuser:
            return self
        return self.filter(
            Q(sequence__project__in=Project.objects.visible_to(user).values("pk"))
            | Q(pk__in=_linked_into(Registry.objects.visible_to(user)).values("version"))
        )

    def downloadable_by(self, user):
        if user.is_superuser:
            return self
        viewer = Registry.objects.with_role(user, RegistryMember.Role.VIEWER)
        return self.filter(
            Q(sequence__project__in=Project.objects.visible_to(user).values("pk"))
            | Q(pk__in=_linked_into(viewer).values("version"))
        )

    def writable_by(self, user):
        return self.filter(sequence__project__in=Project.objects.writable_by(user).values("pk"))

    def find(self, pk):
        """The version with id `pk` and its sequence and project, or NotFound."""
        version = self.select_related("sequence__project").filter(pk=pk).first()
        if version is None:
            raise NotFound(f"No artifact version with id {pk}.")
        return version

    def resolve(self, name, user, project=None, type=None):
        """The version a name people write points at (see `Membership.objects.resolve`)."""
        return Membership.objects.resolve(name, user, project, type).version


class ArtifactVersionManager(models.Manager.from_queryset(ArtifactVersionQuerySet)):
    def get_queryset(self):
        # The version number lives on the home membership; every query brings it along.
        # Deleted versions are tombstones that only audit events still reach.
        live = super().get_queryset().filter(deleted_at__isnull=True)
        return live.annotate(version_index=_home_index())

    def including_deleted(self):
        """Live and deleted versions, each with its number: what an edge or a membership
        row of the admin points at (a select_related version asks its number alone)."""
        return super().get_queryset().annotate(version_index=_home_index())


class ArtifactVersion(models.Model):
    """Immutable content: a manifest of files, numbered vN in its artifact sequence."""

    sequence = models.ForeignKey(
        ArtifactSequence, on_delete=models.PROTECT, related_name="versions"
    )
    digest = models.CharField(max_length=32, help_text="Reference manifest digest (hex MD5).")
    description = models.TextField(blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    size = models.BigIntegerField(default=0)
    file_count = models.PositiveIntegerField(default=0)
    generated = models.BooleanField(
        default=False, help_text="Made by a library, hidden from the graph unless asked for."
    )
    created_at = models.DateTimeField(default=now, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    deleted_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="Set when deleted: the row stays for the audit trail, its number taken.",
    )

    objects = ArtifactVersionManager()

    class Meta:
        ordering = ["sequence", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["sequence", "digest"],
                condition=Q(deleted_at__isnull=True),
                name="unique_version_digest",
            )
        ]
        # Counting the live versions (the admin's list) reads this index, not the table.
        indexes = [models.Index(fields=["deleted_at"], name="versions_by_deleted")]

    def __str__(self):
        return self.name

    @cached_property
    def version_index(self):
        # The base manager: a deleted version (reached from its audit events) keeps its number.
        home = Membership._base_manager.get(version=self, collection_id=self.sequence_id)
        return home.index

    @property
    def version(self):
        return f"v{self.version_index}"

    @property
    def name(self):
        return f"{self.sequence.name}:{self.version}"

    @property
    def qualified_name(self):
        return f"{self.sequence.project}/{self.name}"

    @property
    def type(self):
        return self.sequence.type

    @property
    def node_id(self):
        return names.node_id("artifact", self.pk)

    def check_type(self, type):
        """This version, if it is of `type` (any type when `type` is empty)."""
        if type and self.type != type:
            raise TypeMismatch(f"{self.name} is a {self.type!r}, not a {type!r}.")
        return self

    def get_absolute_url(self):
        p = self.sequence.project
        args = [p.entity, p.name, self.sequence.type, self.sequence.name, self.version]
        return reverse("registry-version", args=args)

    @property
    def identity(self):
        """What describes a version of content we hold no files of; see described_version."""
        return self.metadata.get("identity", {})

    def describes(self, identity):
        """Whether `identity` says nothing that contradicts this version's."""
        mine = self.identity
        return all(mine[part] == value for part, value in identity.items() if part in mine)

    def complete_identity(self, identity):
        """Learn the parts of this version's identity that were unknown; the caller holds
        its sequence's lock and checked that no other version has `identity`."""
        self.metadata = {**self.metadata, "identity": identity}
        self.digest = identity_digest(identity)
        self.save(update_fields=["metadata", "digest"])

    def shown_facets(self):
        """The newest of each OpenLineage facet of this version, {name: value}."""
        return self.facets.filter(scope=Facet.Scope.DATASET).newest()

    def aliases(self):
        """Alias names in the home sequence, `latest` included."""
        return list(
            Alias.objects.filter(membership__version=self, collection_id=self.sequence_id)
            .order_by("name")
            .values_list("name", flat=True)
        )

    def delete_by(self, user=None, delete_aliases=False):
        """Delete this version, if nothing depends on it: no run used it as an input and
        no registry collection holds it (unlink it there first: audited there). Aliases
        other than `latest` go with it only with `delete_aliases`, audited.

        Its files and the record of who logged it go; the row stays as a tombstone,
        hidden everywhere but in audit events (append-only, they keep pointing at it),
        and its number is never given again: `name:vN` can never name other content.
        """
        with transaction.atomic():
            sequence = self.sequence._lock()
            consumers = self.used_by().count()
            if consumers:
                raise Conflict(
                    f"{self} is an input of {consumers} run(s): deleting it would cut "
                    "their lineage."
                )
            links = [str(m.collection) for m in self.memberships.exclude(collection=sequence)]
            if links:
                raise Conflict(f"{self} is linked into {', '.join(links)}: unlink it there first.")
            membership = sequence.membership_of(self)
            aliases = list(membership.aliases.all())
            if not delete_aliases:
                _refuse_aliased(str(self), [alias.name for alias in aliases])
            for alias in aliases:
                alias.delete()
                sequence._audit(AuditEvent.Action.ALIAS_REMOVED, membership, user, alias.name)
            self.entries.all().delete()
            self.edges.filter(direction=LineageEdge.Direction.LOGS).delete()  # none uses it
            self.deleted_at = now()
            ArtifactVersion._base_manager.filter(pk=self.pk).update(deleted_at=self.deleted_at)
            newest = sequence.memberships.order_by("-index").first()
            if newest and LATEST in {alias.name for alias in aliases}:
                sequence._move_alias(newest, LATEST, user)

    def require_download(self, user):
        """This version, if `user` may download or use it: else 403 when they see it (a
        restricted viewer), 404 when they do not."""
        if ArtifactVersion.objects.downloadable_by(user).filter(pk=self.pk).exists():
            return self
        if ArtifactVersion.objects.visible_to(user).filter(pk=self.pk).exists():
            raise Forbidden(f"You may see {self.name} but not download or use it.")
        raise NotFound(f"No artifact version with id {self.pk}.")

    def require_write(self, user):
        """This version, if `user` may change it (its aliases, its deletion)."""
        visible = ArtifactVersion.objects.visible_to(user).filter(pk=self.pk).exists()
        self.sequence.project.require_write(user, visible=visible)
        return self

    def logged_by(self):
        """The first run that logged this version (others may have logged it too)."""
        return self.producers().order_by("edges__created_at", "pk").first()

    def producers(self):
        return Run.objects.filter(edges__version=self, edges__direction=LineageEdge.Direction.LOGS)

    def used_by(self):
        return Run.objects.filter(edges__version=self, edges__direction=LineageEdge.Direction.USES)

    def runs_shown(self, direction, user, first, looked_at):
        """(the newest `first` runs that logged (LOGS) or used (USES) this version that
        `user` may see; how many `user` may see; whether there are more than that, all
        seen: past the newest `looked_at`). The run ids come from the version's edges in
        the order of their index (edge_by_version), then those runs by those ids (as a
        subquery, PostgreSQL planned it as badly as the join): a page names the
        first of a hub's 20,880 consumers without sorting them all (48 ms on PostgreSQL at
        1M edges); joined, PostgreSQL took the hub's edge count for its one producer and
        merge-joined every run (29 ms). When runs the user may not see are among the
        newest, all are counted exactly instead: neither they nor their number shows."""
        edges = self.edges.filter(direction=direction).order_by("-run_id")
        ids = list(edges.values_list("run_id", flat=True)[: looked_at + 1])
        runs = Run.objects.visible_to(user).filter(pk__in=ids[:looked_at])
        seen, more = runs.count(), len(ids) > looked_at
        if more and seen < looked_at:
            runs = self._runs(direction).visible_to(user).order_by("-pk")
            listed = list(runs.select_related("project")[: first + 1])
            return listed[:first], len(listed) if len(listed) <= first else runs.count(), False
        return list(runs.select_related("project").order_by("-pk")[:first]), seen, more

    def _runs(self, direction):
        """The runs of `producers()` (LOGS) or `used_by()` (USES), for a page to count: on
        PostgreSQL by their ids from the edges (`id = ANY(ARRAY(...))`). Joined, the planner
        took a hub's 20,880 edges as the count for every direction of that version and
        hash-joined all 388,714 runs to find its one producer (54 ms; 0.2 ms by ids)."""
        if connection.vendor != "postgresql":  # SQLite walks the edge index either way
            return self.producers() if direction == LineageEdge.Direction.LOGS else self.used_by()
        edges = LineageEdge.objects.filter(version=self, direction=direction).values("run_id")
        from django.contrib.postgres.expressions import ArraySubquery

        any_of = Func(
            F("pk"),
            ArraySubquery(edges),
            template="%(expressions)s)",
            arg_joiner=" = ANY(",
            output_field=models.BooleanField(),
        )
        return Run.objects.filter(any_of)

    def registry_links_visible_to(self, user):
        """This version's collection versions in registries `user` may see, each with its
        collection, registry and aliases loaded: two queries however many there are."""
        return list(
            Membership.objects.filter(
                version=self,
                collection__kind=ArtifactCollection.Kind.PORTFOLIO,
                collection__registry__in=Registry.objects.visible_to(user),
            )
            .select_related("collection__registry")
            .prefetch_related("aliases")
            .order_by("collection__registry__name", "collection__name")
        )


class MembershipQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A sequence's versions for its project's viewers, a collection's for its
        registry's."""
        if user.is_superuser:
            return self
        return self.filter(collection__in=ArtifactCollection.objects.visible_to(user).values("pk"))


class MembershipManager(models.Manager.from_queryset(MembershipQuerySet)):
    def get_queryset(self):
        # "Not one of the deleted versions" (NOT IN: one index range on deleted_at, hashed
        # once), not "joined to a live version": PostgreSQL hash-joined every live version
        # (470,000 at 1M edges) to count a collection's 10,002 members.
        deleted = ArtifactVersion._base_manager.filter(deleted_at__isnull=False).values("pk")
        return super().get_queryset().exclude(version__in=deleted)

    def resolve(self, name, user, project=None, type=None):
        """The collection version a name people write points at (see `names.split_name`):
        in the registry collection for registry paths, else in the artifact sequence (of
        `project` when the name has none); checking the type when `type` is given."""
        path, alias = names.split_name(name)
        membership = ArtifactCollection.objects.at_path(path, user, project).membership_by_alias(
            alias
        )
        membership.version.check_type(type)
        return membership


class Membership(models.Model):
    """A version inside a collection, with that collection's version number. The default
    manager leaves out deleted versions' (the base manager keeps them, with their number)."""

    collection = models.ForeignKey(
        ArtifactCollection, on_delete=models.CASCADE, related_name="memberships"
    )
    version = models.ForeignKey(
        ArtifactVersion, on_delete=models.CASCADE, related_name="memberships"
    )
    index = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    objects = MembershipManager()

    class Meta:
        ordering = ["collection", "-index"]
        constraints = [
            models.UniqueConstraint(fields=["collection", "index"], name="unique_member_index"),
            models.UniqueConstraint(fields=["collection", "version"], name="unique_member_version"),
        ]

    def __str__(self):
        return f"{self.collection}:v{self.index}"

    def get_absolute_url(self):
        """The collection version's page: `registry/<registry>/<collection>/vN/`, or in
        an artifact sequence the version's own page."""
        collection = self.collection
        if collection.kind == ArtifactCollection.Kind.SEQUENCE:
            return self.version.get_absolute_url()
        args = [collection.registry.name, collection.name, f"v{self.index}"]
        return reverse("registry-collection-version", args=args)


class Alias(models.Model):
    """A movable name for one version of one collection. `collection` repeats
    `membership.collection` so the database can enforce one alias name per collection."""

    collection = models.ForeignKey(
        ArtifactCollection, on_delete=models.CASCADE, related_name="aliases"
    )
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(max_length=128)
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["collection", "name"]
        verbose_name_plural = "aliases"
        constraints = [models.UniqueConstraint(fields=["collection", "name"], name="unique_alias")]

    def __str__(self):
        return f"{self.collection}:{self.name}"


class BlobQuerySet(models.QuerySet):
    def usable_by(self, user):
        """Contents `user` may name in a manifest: ones they sent, or ones of a version they
        may download. Contents are stored once whoever sends them, so a digest alone is no
        proof of holding them: it would reach (and reveal) a private project's files."""
        if user.is_superuser:
            return self
        sent = BlobUpload.objects.filter(blob=OuterRef("pk"), user=user)
        held = ManifestEntry.objects.filter(
            blob=OuterRef("pk"), version__in=ArtifactVersion.objects.downloadable_by(user)
        )
        return self.filter(models.Exists(sent) | models.Exists(held))


class Blob(models.Model):
    """File contents, stored once under their SHA-256 whatever the number of versions."""

    sha256 = models.CharField(max_length=64, primary_key=True)
    md5 = models.CharField(max_length=24, help_text="Base64 MD5, the reference entry digest.")
    size = models.BigIntegerField()
    created_at = models.DateTimeField(default=now)

    objects = BlobQuerySet.as_manager()

    def __str__(self):
        return self.sha256

    @property
    def storage_name(self):
        return f"blobs/{self.sha256[:2]}/{self.sha256[2:4]}/{self.sha256}"

    @staticmethod
    def md5_base64(digest_bytes):
        return base64.b64encode(digest_bytes).decode()


class BlobUpload(models.Model):
    """A user sent these contents' bytes (so holds them): see Blob.objects.usable_by."""

    blob = models.ForeignKey(Blob, on_delete=models.CASCADE, related_name="uploads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["blob", "user"], name="one_upload_each")]

    @classmethod
    def record(cls, user, blobs):
        rows = [cls(blob=blob, user=user) for blob in blobs]
        cls.objects.bulk_create(rows, ignore_conflicts=True)


class ManifestEntry(models.Model):
    version = models.ForeignKey(ArtifactVersion, on_delete=models.CASCADE, related_name="entries")
    path = models.CharField(max_length=1024)
    blob = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="entries")

    class Meta:
        ordering = ["version", "path"]
        verbose_name_plural = "manifest entries"
        constraints = [
            models.UniqueConstraint(fields=["version", "path"], name="unique_entry_path")
        ]

    def __str__(self):
        return self.path


class LineageEdge(models.Model):
    """run --uses--> version (an input) or run --logs--> version (an output)."""

    class Direction(models.TextChoices):
        USES = "uses"
        LOGS = "logs"

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="edges")
    version = models.ForeignKey(ArtifactVersion, on_delete=models.CASCADE, related_name="edges")
    direction = models.CharField(max_length=4, choices=Direction.choices)
    use_as = models.CharField(max_length=128, blank=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            # Doubles as the index for walking from runs.
            models.UniqueConstraint(
                fields=["run", "direction", "version"], name="unique_lineage_edge"
            )
        ]
        indexes = [models.Index(fields=["version", "direction", "run"], name="edge_by_version")]

    def __str__(self):
        return f"{self.run} {self.direction} {self.version_id}"


class LineageClock(models.Model):
    """One row whose tick database triggers move on every change the lineage engine's
    in-memory index holds (an edge; a run's job type or project; a version's sequence,
    generated flag or deletion; a sequence's type, name or project), whoever writes it:
    the ORM, a bulk update or raw SQL (migrations 0013-0015). An index built at a tick
    is true while a reader sees that tick (lineage/index.py). Writers of lineage queue on
    the row from that write to their commit, which keeps ticks in commit order. The first
    tick is random, so a table emptied and filled again (a flush) never repeats an
    index's tick."""

    tick = models.BigIntegerField()


class LineageChange(models.Model):
    """What each tick of the LineageClock changed, written by the same triggers
    (migration 0015), so that a process holding the lineage index applies the changes
    since its tick instead of building it again: an edge added or removed (`a` its run,
    `b` its version, `c` 1 if it is a use), a run, version or sequence whose held columns
    changed (`a` its pk), or every edge removed at once (a TRUNCATE); NOTHING for a
    statement on the edges that changed none, so that every tick has a row."""

    class Kind(models.IntegerChoices):
        NOTHING = 0
        EDGE_ADDED = 1
        EDGE_REMOVED = 2
        RUN = 3
        VERSION = 4
        SEQUENCE = 5
        ALL_EDGES_REMOVED = 6

    tick = models.BigIntegerField(db_index=True)
    kind = models.SmallIntegerField(choices=Kind.choices)
    a = models.BigIntegerField(null=True)
    b = models.BigIntegerField(null=True)
    c = models.SmallIntegerField(null=True)


class FacetQuerySet(models.QuerySet):
    def newest(self):
        """{name: value} of the newest of each facet, by event time (then the larger value
        digest, so the order events arrived in never matters); a facet whose newest says
        `_deleted` is left out. Values are read for the winners only."""
        winners = {}
        for row in self.order_by("event_time", "digest").values("id", "name"):
            winners[row["name"]] = row["id"]
        values = self.model.objects.in_bulk(list(winners.values()))
        shown = {name: values[pk].value for name, pk in sorted(winners.items())}
        return {
            name: value
            for name, value in shown.items()
            if not (isinstance(value, dict) and value.get("_deleted") is True)
        }


class Facet(models.Model):
    """One OpenLineage facet as one event sent it, kept however many events send it (an
    equal value seen again only moves its event time forward)."""

    class Scope(models.TextChoices):
        RUN = "run", "run facet"
        JOB = "job", "job facet"
        DATASET = "dataset", "dataset facet"
        INPUT = "input", "input facet"
        OUTPUT = "output", "output facet"

    scope = models.CharField(max_length=8, choices=Scope.choices)
    name = models.CharField(max_length=255, help_text="The facet's key, e.g. `schema`.")
    run = models.ForeignKey(
        Run, null=True, blank=True, on_delete=models.CASCADE, related_name="facets"
    )
    version = models.ForeignKey(
        ArtifactVersion, null=True, blank=True, on_delete=models.CASCADE, related_name="facets"
    )
    project = models.ForeignKey(
        Project,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="Job facets: the project of the job's namespace.",
    )
    job_name = models.CharField(max_length=256, blank=True, help_text="Job facets: the job.")
    event_time = models.DateTimeField()
    value = models.JSONField()
    digest = models.CharField(max_length=64, help_text="SHA-256 of the value.")

    objects = FacetQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["run", "scope"], name="facet_by_run"),
            models.Index(fields=["version", "scope"], name="facet_by_version"),
            models.Index(fields=["project", "job_name"], name="facet_by_job"),
        ]

    def __str__(self):
        return f"{self.get_scope_display()} {self.name}"

    @classmethod
    def record(cls, scope, facets, event_time, **owner):
        """Keep each of `facets` ({name: value}) for `owner` (run, version, project and
        job_name); a value this owner already has only moves its event time forward."""
        for name, value in facets.items():
            digest = hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()
            same = cls.objects.filter(scope=scope, name=name, digest=digest, **owner)
            if same.filter(event_time__gte=event_time).exists():
                continue
            if not same.update(event_time=event_time):
                cls.objects.create(
                    scope=scope,
                    name=name,
                    digest=digest,
                    value=value,
                    event_time=event_time,
                    **owner,
                )


class AuditEventQuerySet(models.QuerySet):
    def with_version_names(self):
        """Each event's artifact version (and its sequence) with its own number, in the
        one query, for `version_name` (deleted versions keep theirs)."""
        # The sequence is looked up inside (F), not joined outside (OuterRef): the outer
        # join made the admin's count join every event to its version (a hash join of all
        # 470,109 versions on PostgreSQL at 1M edges).
        home = Membership._base_manager.filter(
            version=OuterRef("version"), collection=F("version__sequence")
        ).order_by()
        number = Subquery(home.values("index")[:1])
        return self.select_related("version__sequence").annotate(artifact_version_index=number)

    def update(self, **kwargs):
        raise Forbidden("Audit events are append-only.")

    def delete(self):
        raise Forbidden("Audit events are append-only.")


class AppendOnly(models.Model):
    """An audit record: written once, never changed or deleted (the queryset refuses
    bulk updates and deletes too)."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise Forbidden("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise Forbidden("Audit events are append-only.")


class AuditEvent(AppendOnly):
    """Append-only record of a change to a collection's versions or aliases."""

    class Action(models.TextChoices):
        ALIAS_ADDED = "alias_added", "alias added"
        ALIAS_REMOVED = "alias_removed", "alias removed"
        VERSION_LINKED = "version_linked", "version linked"
        VERSION_UNLINKED = "version_unlinked", "version unlinked"

    collection = models.ForeignKey(
        ArtifactCollection, on_delete=models.PROTECT, related_name="audit_events"
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    version = models.ForeignKey(ArtifactVersion, on_delete=models.PROTECT, related_name="+")
    version_index = models.PositiveIntegerField(help_text="The version number in the collection.")
    alias = models.CharField(max_length=128, blank=True)
    created_at = models.DateTimeField(default=now, db_index=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        # A collection's Action History, newest first, a page at a time.
        indexes = [
            models.Index(fields=["collection", "-created_at", "-id"], name="history_newest_first")
        ]

    def __str__(self):
        return f"{self.get_action_display()} {self.alias} v{self.version_index}".replace("  ", " ")

    @property
    def version_name(self):
        """The artifact version as `name:vN` (its own number, not the collection's)."""
        index = getattr(self, "artifact_version_index", None)
        index = self.version.version_index if index is None else index
        return f"{self.version.sequence.name}:v{index}"


class RegistryEvent(AppendOnly):
    """Append-only record of a change to a registry itself: its settings and members."""

    class Action(models.TextChoices):
        CREATED = "registry_created", "registry created"
        SETTINGS_CHANGED = "settings_changed", "settings changed"
        MEMBER_ADDED = "member_added", "member added"
        ROLE_CHANGED = "role_changed", "role changed"
        MEMBER_REMOVED = "member_removed", "member removed"

    registry = models.ForeignKey(Registry, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=20, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    member = models.CharField(max_length=150, blank=True, help_text="The member's username.")
    role = models.CharField(max_length=32, blank=True, help_text="The member's role after it.")
    changes = models.JSONField(
        default=dict,
        blank=True,
        encoder=DjangoJSONEncoder,
        help_text="Settings: {field: [before, after]}.",
    )
    created_at = models.DateTimeField(default=now, db_index=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.get_action_display()} {self.member}".strip()

    def change_rows(self):
        """(field, before, after) as people read them: lists as `a, b`, nothing as —."""

        def text(value):
            return (", ".join(value) if isinstance(value, list) else str(value)) or "—"

        return [(f.replace("_", " "), text(b), text(a)) for f, (b, a) in self.changes.items()]

    @classmethod
    def record(cls, registry, action, actor, member=None, changes=None):
        """`member` a RegistryMember (its username and role are kept as they are now)."""
        return cls.objects.create(
            registry=registry,
            action=action,
            actor=_person(actor),
            member=member.user.get_username() if member else "",
            role=member.get_role_display() if member and member.pk else "",
            changes=changes or {},
        )


class ApiKeyQuerySet(models.QuerySet):
    def authenticate(self, raw_key):
        """The user a key belongs to, or None when it is unknown or revoked."""
        if not raw_key:
            return None
        key = (
            self.filter(hashed=ApiKey.hash(raw_key), revoked_at__isnull=True)
            .select_related("user")
            .first()
        )
        if key is None or not key.user.is_active:
            return None
        now = timezone.now()
        if key.last_used_at is None or now - key.last_used_at > timedelta(minutes=1):
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)  # not a write per call
        return key.user


class ApiKey(models.Model):
    """A per-user key for the API. Only its SHA-256 is kept; the key is shown once.

    Keys look like `lr-` + 40 letters and digits, the shape the reference client accepts.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys"
    )
    name = models.CharField(max_length=128, blank=True)
    prefix = models.CharField(
        max_length=12, help_text="The key's first characters, to tell keys apart."
    )
    hashed = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API key"

    def __str__(self):
        return f"{self.prefix}… ({self.user})"

    @staticmethod
    def hash(raw_key):
        return hashlib.sha256(raw_key.encode()).hexdigest()

    @classmethod
    def create_for(cls, user, name=""):
        """Returns (ApiKey, raw key); the raw key is never stored."""
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
        raw = "lr-" + "".join(secrets.choice(alphabet) for _ in range(40))
        key = cls.objects.create(user=user, name=name, prefix=raw[:8], hashed=cls.hash(raw))
        return key, raw

    def revoke(self):
        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at"])
