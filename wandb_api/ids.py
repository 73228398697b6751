"""GraphQL ids as the W&B client expects them: base64 of `Type:pk`, opaque to it."""

import base64
import binascii

from registry.errors import NotFound
from registry.names import ID_RE


def encode(type_name, pk):
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def decode(value, *type_names):
    """The integer pk inside `value` and its type name, if it is one of `type_names`."""
    try:
        type_name, _, pk = base64.b64decode(str(value), validate=True).decode().partition(":")
        if type_name in type_names and ID_RE.fullmatch(pk):  # ASCII digits, bounded
            return type_name, int(pk)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise NotFound(f"No {' or '.join(type_names)} with id {value!r}.")
