"""What a run's file_stream posts become.

The client streams files line by line while the run goes on, and finally sends
`complete` with the exit code. Kept: the last line of `wandb-summary.json` becomes the
run's summary; `complete` makes the run finished (exit code 0) or failed, with its end
time. Dropped, whatever they hold: history rows (`wandb-history.jsonl`: charts of
metrics are not our product), console output (`output.log`), system metrics
(`wandb-events.jsonl`) and any file or key we do not know.
"""

import json

from registry.models import Run

from .resolvers.runs import summary_values


def apply(run, data):
    fields = {}
    summary = _last_line(data, "wandb-summary.json")
    if isinstance(summary, dict):
        fields["summary"] = summary_values(summary)
    if isinstance(data, dict) and data.get("complete"):
        fields["state"] = Run.State.FINISHED if data.get("exitcode") == 0 else Run.State.FAILED
    if fields:
        run.update(**fields)


def _last_line(data, name):
    try:
        return json.loads(data["files"][name]["content"][-1])
    except (KeyError, IndexError, TypeError, ValueError):
        return None
