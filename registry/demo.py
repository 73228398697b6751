"""The reference product's worked example (W&B's artifact and registry guides: the zoo
classifier), built with the domain operations.

split_zoo_dataset v0..v4 (v4 logged by five runs) -> rural-feather-20 (train) ->
zoo-ylbchv20:v0 -> northern-lake-21 (eval) -> an evaluation; a sweep of six train runs on
the same dataset, each logging a version of zoo-model (clusters); generated code
artifacts; registries `model` and `dataset`; collection `zoo-classifier` whose aliases
moved over time, by named users.

The demo replays a week of work (`replaying`): runs, the versions they log, links, alias
moves and their audit events are stamped as they would have happened, not at load time.
"""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from .blobs import store_bytes
from .models import (
    ArtifactSequence,
    Collection,
    Project,
    Registry,
    RegistryMember,
    Run,
    Team,
    TeamMember,
    replaying,
)

ENTITY, PROJECT = "acme", "zoo"
DEMO_LOGIN = ("demo", "demo")


class Clock:
    """Hands out increasing timestamps so the demo reads like a week of work."""

    def __init__(self):
        self.now = timezone.now() - timedelta(days=7)

    def tick(self, minutes=17):
        self.now += timedelta(minutes=minutes)
        return self.now

    def current(self):
        return self.now


def is_loaded():
    return Run.objects.filter(project__entity=ENTITY, name="rural-feather-20").exists()


def _users():
    User = get_user_model()
    demo, created = User.objects.get_or_create(
        username=DEMO_LOGIN[0], defaults={"is_staff": True, "is_superuser": True}
    )
    if created:
        demo.set_password(DEMO_LOGIN[1])
        demo.save()
    people = {"demo": demo}
    for name, first in (("alice", "Alice"), ("noah", "Noah")):
        user, created = User.objects.get_or_create(username=name, defaults={"first_name": first})
        if created:
            user.set_unusable_password()
            user.save()
        people[name] = user
    team, _ = Team.objects.get_or_create(name=ENTITY)  # the zoo team: alice and noah
    for name, role in (("alice", TeamMember.Role.ADMIN), ("noah", TeamMember.Role.MEMBER)):
        team.members.get_or_create(user=people[name], defaults={"role": role})
    return people


def _run(project, clock, name, job_type, author, config=None, minutes=12):
    started = clock.tick()
    return Run.objects.create(
        project=project,
        name=name,
        job_type=job_type,
        author=author,
        started_at=started,
        finished_at=started + timedelta(minutes=minutes),
        state=Run.State.FINISHED,
        config=config or {},
        host="gpu-box-1",
    )


def _log(project, run, name, type, files, **kw):
    blobs = {path: store_bytes(content.encode()) for path, content in files.items()}
    with replaying(lambda: run.finished_at):  # logged as its run finished
        version, _ = ArtifactSequence.log_version(
            project, name, type, blobs, run=run, user=run.author, **kw
        )
    return version


def _use(run, project, name, index):
    sequence = ArtifactSequence.objects.get(project=project, name=name)
    version = sequence.version_by_alias(f"v{index}")
    run.use_version(version)
    return version


@transaction.atomic
def load():
    """Load the demo; returns a one-line summary. Does nothing when already loaded."""
    people = _users()
    if is_loaded():
        return "The demo registry is already loaded."
    clock = Clock()
    with replaying(clock.current):
        return _week(people["alice"], people["noah"], clock)


def _week(alice, noah, clock):
    """A week of the zoo team's work, in the order it happened."""
    project = Project.get_or_create_path(ENTITY, PROJECT)
    raw = _log(
        project,
        _run(project, clock, "quiet-dawn-1", "upload", alice),
        "zoo_raw",
        "dataset",
        {"zoo.csv": "animal,hair,feathers,legs,class\naardvark,1,0,4,1\n"},
        description="The UCI zoo table as downloaded.",
    )
    for i in range(5):  # five preprocessing passes; the last settles the split
        run = _run(project, clock, f"misty-river-{i + 2}", "preprocess", alice, {"seed": i})
        run.use_version(raw)
        _log(
            project,
            run,
            "split_zoo_dataset",
            "dataset",
            {"train.csv": f"split {min(i, 4)} train\n", "test.csv": f"split {min(i, 4)} test\n"},
            description="Zoo table split 80/20 into train and test.",
            metadata={"seed": i},
        )
    for i in range(4):  # four more runs reproduce v4 exactly: no new version, more producers
        run = _run(project, clock, f"brisk-leaf-{i + 7}", "preprocess", noah, {"seed": 4})
        run.use_version(raw)
        _log(
            project,
            run,
            "split_zoo_dataset",
            "dataset",
            {"train.csv": "split 4 train\n", "test.csv": "split 4 test\n"},
        )
    holdout = _log(
        project,
        _run(project, clock, "golden-field-11", "preprocess", alice),
        "zoo_holdout",
        "dataset",
        {"holdout.csv": "animal,class\nwren,2\n"},
    )

    train = _run(project, clock, "rural-feather-20", "train", alice, {"lr": 0.01, "epochs": 30})
    _use(train, project, "split_zoo_dataset", 4)
    model = _log(
        project,
        train,
        "zoo-ylbchv20",
        "model",
        {"model.pt": "weights of ylbchv20"},
        description="Zoo classifier, 30 epochs.",
        metadata={"accuracy": 0.94},
        aliases=["best"],
    )
    _log(project, train, "source-zoo-train.py", "code", {"train.py": "import wandb\n"})

    evaluation = _run(project, clock, "northern-lake-21", "eval", noah)
    evaluation.use_version(model)
    evaluation.use_version(holdout)
    _log(
        project,
        evaluation,
        "zoo-eval-ylbchv20",
        "evaluation",
        {"metrics.json": '{"accuracy": 0.94, "f1": 0.92}'},
        metadata={"accuracy": 0.94},
    )
    _log(project, evaluation, "source-zoo-eval.py", "code", {"eval.py": "import wandb\n"})

    sweep = []
    for i, lr in enumerate((0.1, 0.05, 0.02, 0.005, 0.002, 0.001)):
        run = _run(project, clock, f"lively-star-{22 + i}", "train", noah, {"lr": lr})
        _use(run, project, "split_zoo_dataset", 4)
        sweep.append(
            _log(
                project,
                run,
                "zoo-model",
                "model",
                {"model.pt": f"weights lr={lr}"},
                metadata={"lr": lr, "accuracy": round(0.8 + i * 0.02, 2)},
            )
        )

    model_registry = _core_registry("model", "Models ready to ship.", alice)
    dataset_registry = _core_registry("dataset", "Curated datasets.", alice)
    clock.tick(60)
    Collection.link(model_registry, "zoo-classifier", sweep[1], alice, aliases=["staging"])
    clock.tick(180)
    Collection.link(model_registry, "zoo-classifier", model, noah, aliases=["staging"])
    clock.tick(45)
    Collection.link(model_registry, "zoo-classifier", sweep[4], noah, aliases=["candidate"])
    classifier = Collection.objects.get(registry=model_registry, name="zoo-classifier")
    clock.tick(24 * 60)  # a day of evaluation later
    classifier.add_alias(model, "production", alice)
    clock.tick(90)
    classifier.add_alias(sweep[4], "staging", noah)
    clock.tick(30)
    classifier.unlink(sweep[1], alice)
    clock.tick(120)
    classifier.description = "The zoo animal classifier, from training to production."
    classifier.save()
    split_v4 = ArtifactSequence.objects.get(project=project, name="split_zoo_dataset")
    Collection.link(
        dataset_registry,
        "zoo-splits",
        split_v4.version_by_alias("v4"),
        alice,
        aliases=["production"],
    )
    return (
        f"Loaded the demo registry: project {project}, {Run.objects.count()} runs, "
        f"registries model and dataset. Log in as {DEMO_LOGIN[0]} / {DEMO_LOGIN[1]}."
    )


def _core_registry(name, description, admin):
    """A core registry (every installation has it) with the demo's words and admin."""
    registry = Registry.objects.get(name=name)
    registry.description = description
    registry.save()
    registry.members.update_or_create(user=admin, defaults={"role": RegistryMember.Role.ADMIN})
    return registry
