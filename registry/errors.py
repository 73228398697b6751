"""Exceptions the domain raises when a request breaks one of its rules.

Each carries a message a person understands; the API turns them into 4xx JSON answers.
"""


class DomainError(Exception):
    """A request the domain refuses. Nothing was written."""

    status = 400

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class InvalidName(DomainError):
    pass


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
