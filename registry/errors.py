"""Exceptions the domain raises when a request breaks one of its rules.

Each carries a message a person understands; the API turns them into 4xx JSON answers.
"""

import contextlib


class DomainError(Exception):
    """A request the domain refuses. Nothing was written."""

    status = 400

    def __init__(self, message, field=None):
        super().__init__(message)
        self.message = message
        self.field = field  # the form field a page shows the message next to, if known


class InvalidName(DomainError):
    pass


class InvalidText(DomainError):
    """Text no database stores alike (NUL, a lone surrogate) or longer than its column."""


class ReservedAlias(DomainError):
    pass


class TypeMismatch(DomainError):
    """An artifact type that the sequence, collection or registry does not take."""


class AlreadyExists(DomainError):
    status = 409


class Conflict(DomainError):
    """A change the current state forbids (something still depends on it)."""

    status = 409


class NotFound(DomainError):
    status = 404


class Forbidden(DomainError):
    status = 403


class TooLarge(DomainError):
    status = 413


@contextlib.contextmanager
def on_field(field):
    """Name the form field of the errors raised inside, unless they name one already."""
    try:
        yield
    except DomainError as error:
        error.field = error.field or field
        raise
