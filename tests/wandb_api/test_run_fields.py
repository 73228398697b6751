"""Run fields the stock client sends that a column cannot hold (too long, a NUL) are
refused by `wandb.init` with a GraphQL error naming the field, never a 5xx, and no run
is written."""

from registry.models import Run

INIT = """
import json, wandb

said = {}
for field, value in [("name", "n" * 257), ("job_type", "j" * 65), ("notes", "a\\x00b")]:
    try:
        wandb.init(entity="acme", project="zoo", **{field: value}).finish()
        said[field] = "started"
    except Exception as error:
        said[field] = str(error)
print(json.dumps(said))
"""


def test_it_names_the_field_a_run_cannot_hold(server):
    runs = Run.objects.count()
    said = server.run(INIT)
    assert "displayName is too long: at most 256 characters, not 257" in said["name"]
    assert "jobType is too long: at most 64 characters, not 65" in said["job_type"]
    assert "notes cannot contain a NUL character (at position 1)" in said["notes"]
    assert Run.objects.count() == runs
