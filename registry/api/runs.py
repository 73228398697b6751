"""Runs: create or resume, read, update, and the versions a run uses and logs."""

from datetime import datetime

from django.db import transaction
from ninja import Router, Schema
from ninja.responses import Status

from ..errors import InvalidName
from ..models import ArtifactVersion, Membership, Project, Run
from .schemas import RunOut, VersionOut

router = Router(tags=["runs"])


class RunIn(Schema):
    entity: str
    project: str
    run_id: str | None = None
    name: str = ""
    job_type: str = ""
    config: dict = {}
    tags: list[str] = []
    notes: str = ""
    host: str = ""


class RunUpdate(Schema):
    state: Run.State | None = None
    summary: dict | None = None
    config: dict | None = None
    finished_at: datetime | None = None


class UseIn(Schema):
    name: str | None = None
    version_id: int | None = None
    type: str | None = None
    use_as: str = ""


def _run_to_write(user, entity, project, run_id):
    """A run the user sees and may write into (403 when they only see it)."""
    run = Run.objects.visible_to(user).find(entity, project, run_id)
    run.project.require_write(user, visible=True)
    return run


@router.post("", response={200: RunOut, 201: RunOut}, summary="Create a run (or resume one by id)")
@transaction.atomic  # a refused request leaves no new project behind
def create_run(request, data: RunIn):
    project = Project.for_writing(request.user, data.entity, data.project)
    fields = data.dict(exclude={"entity", "project", "run_id"})
    run, created = Run.start(project, request.user, run_id=data.run_id, **fields)
    return Status(201 if created else 200, RunOut.of(run))


@router.get("/{entity}/{project}/{run_id}", response=RunOut, summary="Read a run")
def read_run(request, entity: str, project: str, run_id: str):
    return RunOut.of(Run.objects.visible_to(request.user).find(entity, project, run_id))


@router.patch("/{entity}/{project}/{run_id}", response=RunOut, summary="Update a run")
def update_run(request, entity: str, project: str, run_id: str, data: RunUpdate):
    """State, summary, config and finish time. A finished or failed run gets a finish
    time if none is given."""
    run = _run_to_write(request.user, entity, project, run_id)
    run.update(**data.dict(exclude_unset=True))
    return RunOut.of(run)


@router.post(
    "/{entity}/{project}/{run_id}/heartbeat", response=RunOut, summary="Say a run is alive"
)
def heartbeat(request, entity: str, project: str, run_id: str):
    """The run's client is still at work. A running run that hears none for
    LINEAGE_RUN_CRASH_AFTER seconds becomes crashed; a crashed one that hears one runs again."""
    run = _run_to_write(request.user, entity, project, run_id)
    run.beat()
    return RunOut.of(run)


@router.get("/{entity}/{project}/{run_id}/inputs", response=list[VersionOut], summary="Inputs")
def run_inputs(request, entity: str, project: str, run_id: str):
    run = Run.objects.visible_to(request.user).find(entity, project, run_id)
    inputs = run.inputs().visible_to(request.user).select_related("sequence__project")
    return [VersionOut.of(v) for v in inputs]


@router.get("/{entity}/{project}/{run_id}/outputs", response=list[VersionOut], summary="Outputs")
def run_outputs(request, entity: str, project: str, run_id: str):
    run = Run.objects.visible_to(request.user).find(entity, project, run_id)
    outputs = run.outputs().visible_to(request.user).select_related("sequence__project")
    return [VersionOut.of(v) for v in outputs]


@router.post("/{entity}/{project}/{run_id}/use", response=VersionOut, summary="Use a version")
def use_version(request, entity: str, project: str, run_id: str, data: UseIn):
    """Record a version as an input of the run, by name (as `resolve` takes) or by id."""
    run = _run_to_write(request.user, entity, project, run_id)
    membership = None
    if data.version_id is not None:
        version = ArtifactVersion.objects.visible_to(request.user).find(data.version_id)
        version.check_type(data.type)
    elif data.name:
        membership = Membership.objects.resolve(data.name, request.user, run.project, data.type)
        version = membership.version
    else:
        raise InvalidName("Say which version to use: `name` or `version_id`.")
    version.require_download(request.user)  # restricted viewers never use
    run.use_version(version, use_as=data.use_as)
    return VersionOut.of(version, membership)
