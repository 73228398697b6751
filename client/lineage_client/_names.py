"""The server's rule for names (registry/names.py `validate_name`), repeated because the
client cannot import the server: artifacts, types and aliases are 1 to 128 letters,
digits, '-', '_' or '.'. tests/client/test_names_agree.py runs both over the same cases.
"""

import re

NAME_RE = re.compile(r"[A-Za-z0-9_.-]{1,128}")


def check_name(value, what="name"):
    """`value` if it is a valid name, else ValueError at once (as the reference SDK)."""
    if not isinstance(value, str) or not NAME_RE.fullmatch(value) or value in (".", ".."):
        raise ValueError(
            f"Invalid {what} {value!r}: use 1 to 128 letters, digits, '-', '_' or '.'."
        )
    return value


def alias_list(aliases):
    """`aliases` as a list of checked names: None, one string, or several."""
    if aliases is None:
        return []
    names = [aliases] if isinstance(aliases, str) else list(aliases)
    return [check_name(name, "alias") for name in names]
