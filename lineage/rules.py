"""The engine's rules on one node or group, shared by its two ways of working (engine.py
on dicts, frame.py on arrays): what the view's filters keep, and a cluster's id."""

from registry.models import is_generated

from . import access
from .keys import is_run, node_id

CLUSTER_MIN = 5  # a group of this many nodes or more is drawn as one cluster


def keeps(key, info, view, sequences):
    """Whether the view's filters keep a node, from its `info` row. Generated kinds are
    recognised by type and name too, not only by the flag set when a version is logged."""
    if is_run(key):  # info[0]: its job type
        return not view.job_types or info[0] in view.job_types
    sequence, flagged = info[:2]
    artifact_type, name = sequences[sequence]
    if (flagged or is_generated(artifact_type, name)) and not view.generated:
        return False
    return not view.artifact_types or artifact_type in view.artifact_types


def cluster_id(level, kind, group, anchor):
    """The id of the cluster of `kind` (1: runs) at `level`, of `group` (a job type, a
    sequence pk, "type:<type>" or access.LOCKED_GROUP) hanging from `anchor` (a node's
    key, or a string: a cluster id, or several joined)."""
    kind = "run" if kind else "artifact"
    text = f"{level}|{kind}|{group}|{anchor if isinstance(anchor, str) else node_id(anchor)}"
    # Keyed: an id made of a placeholder's neighbour must not give that neighbour away.
    return "cluster:" + access.opaque(text)[:12]
