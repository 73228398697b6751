"""From OpenLineage to the registry: each event becomes runs, artifact versions of type
`dataset`, lineage edges and facets, through the registry's domain operations.

- A run (`run.runId`) is one Run of the project that holds its job's namespace, named
  after the job (exactly: `dag.task`, `myjob.buggy_task🕷`); every event of the runId
  updates it. Its state and times are recomputed from ALL of its events each time, so
  the order they arrive in never matters.
- A dataset (namespace, name) is a `dataset` artifact sequence of the project holding
  its namespace. Its version facet and schema (names and types) say which version an
  event means; see ArtifactSequence.described_version.
- Inputs become `uses` edges and outputs `logs` edges of the run.
- Facets are all kept (registry.models.Facet); the newest of each is shown.
"""

import hashlib
import json
from collections import defaultdict

from django.conf import settings
from django.db import IntegrityError, OperationalError, transaction

from registry.models import (
    ArtifactSequence,
    Facet,
    LineageEdge,
    Project,
    Run,
    created_or_existing,
    require_entity_write,
)

from .events import InvalidEvent
from .models import ReceivedEvent

USES, LOGS = LineageEdge.Direction.USES, LineageEdge.Direction.LOGS
ENDS = {"COMPLETE": Run.State.FINISHED, "FAIL": Run.State.FAILED, "ABORT": Run.State.CRASHED}
# Events at the same instant: a later step of a run's life counts as later.
STEP = {"START": 0, "RUNNING": 1, "OTHER": 2, "": 2, "COMPLETE": 3, "FAIL": 3, "ABORT": 3}
FACETS_OF = {USES: Facet.Scope.INPUT, LOGS: Facet.Scope.OUTPUT}


def entity():
    return settings.OPENLINEAGE_ENTITY


ATTEMPTS = 3


def receive(event, user):
    """Record `event` (an events.Event) sent by `user`, in one transaction. Returns the
    node ids it touched, or None for an event received before (it changes nothing).
    Concurrent events that create the same projects and datasets in other orders can
    deadlock on PostgreSQL; the database then cancels one, which is tried again.

    Every namespace is a project of one entity (OPENLINEAGE_ENTITY): the key's user must
    be allowed to write into it (404 otherwise, nothing written; the first sender founds
    its team, in the event's own transaction)."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return _receive(event, user)
        except OperationalError as error:
            if attempt == ATTEMPTS or getattr(error.__cause__, "sqlstate", "") != DEADLOCK:
                raise


DEADLOCK = "40P01"


@transaction.atomic
def _receive(event, user):
    require_entity_write(user, entity())
    if ReceivedEvent.objects.filter(digest=event.digest).exists():
        return None
    try:
        with transaction.atomic():  # a savepoint: a concurrent copy of the event wins
            ReceivedEvent.objects.create(
                kind=event.kind,
                digest=event.digest,
                run_id=event.run_id,
                event_type=event.event_type,
                event_time=event.parsed.eventTime,
                body=event.body,
                datasets=[
                    [direction, d.namespace, d.name, identity_of(d.facets)]
                    for direction, d in event.datasets
                ],
                sent_by=user,
            )
    except IntegrityError:
        return None
    record = {"RunEvent": record_run, "DatasetEvent": record_static, "JobEvent": record_static}
    return record[event.kind](event, user)


def identity_of(facets):
    """What of a dataset's facets tells its versions apart: the version facet's
    `datasetVersion` and the schema's field names and types (not their descriptions)."""
    identity = {}
    version = facets.get("version")
    if _present(version) and isinstance(version.get("datasetVersion"), str | int | float):
        identity["datasetVersion"] = str(version["datasetVersion"])
    schema = facets.get("schema")
    if _present(schema) and isinstance(schema.get("fields"), list) and schema["fields"]:
        shape = json.dumps(_shape(schema["fields"]), sort_keys=True)
        identity["schema"] = hashlib.md5(shape.encode()).hexdigest()
    return identity


def _present(facet):
    return isinstance(facet, dict) and facet.get("_deleted") is not True


def _shape(fields):
    return [
        [f.get("name"), f.get("type"), _shape(f.get("fields") or [])] if isinstance(f, dict) else f
        for f in fields
    ]


# ---- RunEvent ----


def record_run(event, user):
    job, at = event.parsed.job, event.parsed.eventTime
    project = Project.for_namespace(entity(), job.namespace)
    run = _locked_run(project, event.run_id, job.name, user)
    events = list(ReceivedEvent.objects.filter(kind=ReceivedEvent.Kind.RUN, run_id=run.run_id))
    chosen = _settle_datasets(run, events, user)
    Facet.record(Facet.Scope.RUN, event.parsed.run.facets, at, run=run)
    Facet.record(Facet.Scope.JOB, job.facets, at, run=run, project=project, job_name=job.name)
    for direction, dataset in event.datasets:
        identity = identity_of(dataset.facets)
        versions = chosen[(direction, dataset.namespace, dataset.name)]
        version = next((v for v in versions if v.describes(identity)), versions[0])
        Facet.record(Facet.Scope.DATASET, dataset.facets, at, run=run, version=version)
        edge_facets = dataset.inputFacets if direction == USES else dataset.outputFacets
        Facet.record(FACETS_OF[direction], edge_facets, at, run=run, version=version)
    _settle_run(run, events)
    return [run.node_id] + [v.node_id for vs in chosen.values() for v in vs]


def _locked_run(project, run_id, job_name, user):
    """The run of `run_id`, created when new, locked: one event of a run at a time."""
    known = (
        Run.objects.filter(project__entity=entity(), run_id=run_id)
        .exclude(project__openlineage_namespace="")
        .select_related("project")
        .first()
    )
    if known and (known.project_id != project.pk or known.name != job_name):
        raise InvalidEvent(
            f"Invalid OpenLineage event: run.runId: run {run_id} is a run of job "
            f"{known.project.openlineage_namespace!r} {known.name!r}, not of "
            f"{project.openlineage_namespace!r} {job_name!r}."
        )
    if known is None:
        known = created_or_existing(
            lambda: Run.objects.create(project=project, run_id=run_id, name=job_name, author=user),
            Run.objects.filter(project=project, run_id=run_id),
        )
    return Run.objects.select_for_update().select_related("project").get(pk=known.pk)


def _in_order(events):
    return sorted(events, key=lambda e: (e.event_time, STEP.get(e.event_type, 2), e.digest))


def _settle_run(run, events):
    """State, start and end, author and job type from all of the run's events."""
    ordered = _in_order(events)
    ends = [e for e in ordered if e.event_type in ENDS]
    starts = [e for e in ordered if e.event_type == "START"] or ordered
    end = ends[-1] if ends else None
    run.state = ENDS[end.event_type] if end else Run.State.RUNNING
    run.started_at = starts[0].event_time
    run.finished_at = end.event_time if end else None
    run.author_id = ordered[0].sent_by_id
    job_type = run.facets.filter(scope=Facet.Scope.JOB, name="jobType").newest().get("jobType")
    integration = job_type.get("integration") if isinstance(job_type, dict) else None
    run.job_type = str(integration or "openlineage").lower()[:64]
    run.save(update_fields=["state", "started_at", "finished_at", "author", "job_type"])


def _settle_datasets(run, events, user):
    """The run's inputs and outputs from all of its events: for each dataset and direction,
    what the events say of its version merged (a START's schema and a COMPLETE's version
    facet name one version), then the version that names. Edges to versions a later
    event showed to be others are dropped. Returns {(direction, namespace, name): versions}."""
    wanted = defaultdict(list)
    for e in _in_order(events):
        for direction, namespace, name, identity in e.datasets:
            _merge_into(wanted[(direction, namespace, name)], identity)
    chosen, current = {}, {}
    # Datasets are locked in one order everywhere (namespace, name): no two events wait
    # for each other's locks.
    for key in sorted(wanted, key=lambda key: (key[1], key[2], key[0])):
        direction, namespace, name = key
        sequence = _sequence(namespace, name)
        current[key] = list(sequence.versions.filter(edges__run=run, edges__direction=direction))
        chosen[key] = [
            _version_for(sequence, identity, current[key], user) for identity in wanted[key]
        ]
    for key in sorted(chosen, key=lambda key: key[0] != LOGS):  # outputs first
        direction, versions = key[0], chosen[key]
        stale = [v for v in current[key] if v not in versions]
        if stale:
            run.forget_versions(direction, stale, replacement=versions[0])
        for version in versions:
            run.log_version(version) if direction == LOGS else run.use_version(version)
    written = [v for (direction, *_), vs in chosen.items() if direction == LOGS for v in vs]
    run.forget_versions(USES, written)  # what the run writes is not also its input
    return chosen


def _merge_into(identities, identity):
    for i, known in enumerate(identities):
        if all(known[part] == value for part, value in identity.items() if part in known):
            identities[i] = {**known, **identity}
            return
    identities.append(identity)


def _version_for(sequence, identity, current, user):
    """The version the run already has when `identity` tells nothing new about it (a
    dataset named without facets stays the version it first resolved to)."""
    for version in current:
        if version.describes(identity) and {**version.identity, **identity} == version.identity:
            return version
    return sequence.described_version(identity, user)


def _sequence(namespace, name):
    return ArtifactSequence.for_dataset(Project.for_namespace(entity(), namespace), name)


# ---- DatasetEvent and JobEvent: static metadata, no run ----


def record_static(event, user):
    """A DatasetEvent's dataset, or a JobEvent's job facets and the datasets it names:
    their versions and facets, no edges (there is no run)."""
    parsed, nodes = event.parsed, []
    if parsed.job is not None:
        project = Project.for_namespace(entity(), parsed.job.namespace)
        Facet.record(
            Facet.Scope.JOB,
            parsed.job.facets,
            parsed.eventTime,
            project=project,
            run=None,
            job_name=parsed.job.name,
        )
    for _, dataset in event.datasets:
        sequence = _sequence(dataset.namespace, dataset.name)
        version = sequence.described_version(identity_of(dataset.facets), user)
        Facet.record(
            Facet.Scope.DATASET, dataset.facets, parsed.eventTime, version=version, run=None
        )
        nodes.append(version.node_id)
    return nodes
