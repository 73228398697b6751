"""A node's key inside the engine, and its kind told from the key alone.

Outside the engine a node is "artifact:12" or "run:7" (registry.names). Inside it is one
int: pk * 2 for a version, pk * 2 + 1 for a run. A hub's view handles tens of thousands
of nodes in every pass; ints hash and compare faster than ("run", pk) tuples (1.4-1.8x).
The engine's hottest loops write `key & 1` (is_run) and `key >> 1` (pk_of) inline, as a
call per node costs more there than the rest of the loop.
"""

from registry import names

RUN = 1  # the low bit of a run's key


def key_of(kind, pk):
    return pk << 1 | (kind == "run")


def is_run(key):
    return key & RUN


def kind_of(key):
    return "run" if key & RUN else "artifact"


def pk_of(key):
    return key >> 1


def key_of_id(text):
    """'run:7' -> its key; refuses what is not a node id (registry.names.parse_node_id)."""
    return key_of(*names.parse_node_id(text))


def node_id(key):
    return names.node_id(kind_of(key), key >> 1)
