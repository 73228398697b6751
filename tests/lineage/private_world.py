"""One graph crossing a private project, for the lineage access tests (engine, API,
pages, browser). Every private word starts with SECRET, so a test looks for that one
string in a whole answer.

    open-data (open project pub/open)
      -> SECRETtrain (run of private acme/secret, job SECRETjob)
           -> SECRETmodel:v0 (type SECRETtype, linked into the restricted registry vault)
                -> public-eval (run of pub/open) -> public-report:v0
      -> SECRETsweep-0..5 (six private runs, job SECRETsweepjob)
      -> sweep-0..4 (five open runs, job sweep)

alice is in team acme (sees everything), rita is a restricted viewer of vault (sees
SECRETmodel through it, not its run), nobody is in nothing (sees the open project only).
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model

from registry.models import Project, Registry, RegistryMember, Team
from tests.conftest import Builder


@dataclass
class PrivateWorld:
    alice: object
    rita: object
    nobody: object
    data: object  # open-data:v0, the base
    train: object  # SECRETtrain
    model: object  # SECRETmodel:v0
    evaluation: object  # public-eval
    report: object  # public-report:v0
    secret_sweep: list
    open_sweep: list


def make_world():
    users = get_user_model().objects
    alice, rita, nobody = (users.create_user(name) for name in ("alice", "rita", "nobody"))
    Team.create("acme", alice)
    Team.create("pub", alice)
    public, secret = Builder("pub", "open"), Builder("acme", "secret")
    Project.objects.filter(pk=public.project.pk).update(open=True)
    data = public.art("open-data", "dataset")
    train = secret.run("SECRETtrain", "SECRETjob", uses=[data])
    model = secret.art(
        "SECRETmodel",
        "SECRETtype",
        run=train,
        description="SECRET words",
        metadata={"SECRETkey": "SECRETvalue"},
    )
    vault = Registry.create("vault", ["SECRETtype"], visibility="restricted", admin=alice)
    vault.members.create(user=rita, role=RegistryMember.Role.RESTRICTED_VIEWER)
    secret.link(vault, "SECRETcollection", model, aliases=["SECRETalias"])
    evaluation = public.run("public-eval", "eval", uses=[model])
    report = public.art("public-report", "report", run=evaluation)
    secret_sweep = [secret.run(f"SECRETsweep-{i}", "SECRETsweepjob", uses=[data]) for i in range(6)]
    open_sweep = [public.run(f"sweep-{i}", "sweep", uses=[data]) for i in range(5)]
    return PrivateWorld(
        alice, rita, nobody, data, train, model, evaluation, report, secret_sweep, open_sweep
    )
