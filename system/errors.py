"""One error base for everything the system raises; subclasses say who must act.

Every error carries a message a user can act on and, optionally, the exception that caused it
(kept as ``cause`` and as ``__cause__`` so tracebacks show the chain).
"""

from __future__ import annotations


class PlsyncError(Exception):
    """Base of every error raised by the system under test and by the harness."""

    def __init__(self, message: str, *, cause: BaseException | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.cause = cause
        if cause is not None:
            self.__cause__ = cause

    def __str__(self) -> str:
        return self.message


class InvalidInputError(PlsyncError):
    """The caller sent something the rules forbid (negative XP, a level past the max...)."""


class NotFoundError(InvalidInputError):
    """The caller named a user, specialization or row that does not exist."""


class ConfigurationError(PlsyncError):
    """Settings are malformed: a bad database URL, an unknown strategy name..."""


class ConcurrencyError(PlsyncError):
    """A lock could not be taken in time or a transaction kept failing to serialise."""


class InfrastructureError(PlsyncError):
    """PostgreSQL or Redis failed underneath us (unreachable, terminated, restarted)."""


class AccessDeniedError(PlsyncError):
    """The caller lacks the role an operation requires."""


class AuthenticationError(AccessDeniedError):
    """The caller could not prove who they are: no token, or one forged, expired or for an unknown user."""
