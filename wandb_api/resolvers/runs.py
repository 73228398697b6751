"""Runs: `upsertBucket` creates or resumes one, `createRunFiles` takes its files."""

import json

from ariadne import MutationType, ObjectType
from django.db import transaction

from registry.errors import NotFound
from registry.models import Project, Run
from registry.names import validate_json, validate_text

from .. import ids, tokens
from .common import connection, user_node
from .viewer import is_registry, project

mutation = MutationType()
run_type = ObjectType("Run")

DEFAULT_PROJECT = "uncategorized"  # where the client puts runs that name no project


@mutation.field("upsertBucket")
@transaction.atomic  # a refused request leaves no new project behind
def resolve_upsert_bucket(_, info, input):
    user = info.context["user"]
    fields = run_fields(input)
    if input.get("id"):
        run = Run.objects.visible_to(user).filter(pk=ids.decode(input["id"], "Run")[1]).first()
        if run is None:
            raise NotFound(f"No run with id {input['id']!r}.")
        run.project.require_write(user, visible=True)
        run.update(**fields)
        return {"bucket": run, "inserted": False}
    entity = input.get("entityName") or user.get_username()
    target = Project.for_writing(user, entity, input.get("modelName") or DEFAULT_PROJECT)
    run, created = Run.start(target, user, run_id=input.get("name"), **fields)
    if not created and fields:
        run.update(**fields)
    return {"bucket": run, "inserted": created}


def run_fields(data):
    """The run fields an upsert sets; what it leaves out (or sends as null) stays. Text
    that a column cannot hold is refused, naming the client's field."""
    fields = {}
    for key, field in (("displayName", "name"), ("jobType", "job_type"), ("host", "host")):
        if data.get(key):
            fields[field] = _text(key, data[key], field)
    notes = data.get("notes") or data.get("description")
    if notes is not None:
        fields["notes"] = _text("notes", notes, "notes")
    if data.get("tags") is not None:
        fields["tags"] = validate_json("tags", [_text("tags", tag) for tag in data["tags"]])
    if isinstance(data.get("config"), dict):
        fields["config"] = validate_json("config", config_values(data["config"]))
    if isinstance(data.get("summaryMetrics"), dict):
        fields["summary"] = validate_json("summaryMetrics", summary_values(data["summaryMetrics"]))
    state = (data.get("state") or "").lower()
    if state in Run.State.values:
        fields["state"] = state
    return fields


def _text(key, value, field=None):
    limit = Run._meta.get_field(field).max_length if field else None
    return validate_text(key, value, limit)


def config_values(config):
    """wandb sends config as `{key: {"value": v, "desc": ...}}` with its own `_wandb`
    bookkeeping; a run's config is `{key: v}`."""
    return {
        key: item["value"] if isinstance(item, dict) and "value" in item else item
        for key, item in config.items()
        if key != "_wandb"
    }


def summary_values(summary):
    """A run's summary without the client's bookkeeping (`_runtime`, `_step`, `_wandb`)."""
    return {key: value for key, value in summary.items() if not key.startswith("_")}


@mutation.field("createRunFiles")
def resolve_create_run_files(_, info, input):
    run = run_to_write(info.context["user"], input)
    request = info.context["request"]
    return {
        "runID": ids.encode("Run", run.pk),
        "uploadHeaders": [],
        "files": [
            {
                "id": ids.encode("File", 0),
                "name": name,
                "uploadUrl": tokens.url(request, "run-file"),
            }
            for name in input["files"]
        ],
    }


def run_to_write(user, input):
    """The run `input` names, if the user sees it and may write into its project."""
    run = Run.objects.visible_to(user).find(
        input["entityName"], input["projectName"], input["runName"]
    )
    run.project.require_write(user, visible=True)
    return run


@project.field("run")
def resolve_project_run(obj, info, name):
    if is_registry(obj):
        return None
    try:
        return Run.objects.find(obj.entity, obj.name, name)
    except NotFound:
        return None


@project.field("runs")
def resolve_project_runs(obj, info, first=None, after=None, **_):
    runs = Run.objects.none() if is_registry(obj) else obj.runs.select_related("project")
    return connection(runs.order_by("started_at", "pk"), first, after)


@run_type.field("id")
def resolve_run_id(run, info):
    return ids.encode("Run", run.pk)


@run_type.field("name")
def resolve_run_name(run, info):
    return run.run_id


@run_type.field("projectId")
def resolve_run_project_id(run, info):
    return run.project_id


@run_type.field("displayName")
def resolve_run_display_name(run, info):
    return run.name


@run_type.field("description")
def resolve_run_description(run, info):
    return run.notes or None


@run_type.field("config")
def resolve_run_config(run, info):
    return json.dumps({key: {"value": value} for key, value in run.config.items()})


@run_type.field("summaryMetrics")
def resolve_run_summary(run, info):
    return json.dumps(run.summary)


@run_type.field("jobType")
def resolve_run_job_type(run, info):
    return run.job_type or None


@run_type.field("createdAt")
def resolve_run_created_at(run, info):
    return run.started_at


@run_type.field("heartbeatAt")
def resolve_run_heartbeat(run, info):
    return run.heartbeat_at or run.started_at


@run_type.field("updatedAt")
def resolve_run_updated(run, info):
    return run.finished_at or run.heartbeat_at or run.started_at


@run_type.field("historyLineCount")
@run_type.field("eventsLineCount")
@run_type.field("logLineCount")
def resolve_run_line_count(run, info):
    return 0  # history and console lines are not kept (see README, "Already using wandb?")


@run_type.field("historyKeys")
def resolve_run_history_keys(run, info):
    return json.dumps({"keys": {}, "lastStep": 0})


@run_type.field("systemMetrics")
@run_type.field("runInfo")
def resolve_run_empty_json(run, info):
    return "{}"


@run_type.field("readOnly")
def resolve_run_read_only(run, info):
    return run.author_id != info.context["user"].pk


@run_type.field("user")
def resolve_run_user(run, info):
    return user_node(run.author) if run.author else None


@run_type.field("inputArtifacts")
def resolve_run_inputs(run, info, first=None, after=None):
    inputs = run.inputs().visible_to(info.context["user"])  # not a hidden project's
    return connection(inputs.order_by("pk"), first, after)


@run_type.field("outputArtifacts")
def resolve_run_outputs(run, info, first=None, after=None):
    outputs = run.outputs().visible_to(info.context["user"])
    return connection(outputs.order_by("pk"), first, after)


@run_type.field("files")
def resolve_run_files(run, info, **_):
    return connection([])  # run files are not kept


bindables = [mutation, run_type]
