"""Every error maps to one exit code, here and only here."""

from __future__ import annotations

from plsync.errors import RunFailedError, UnsafeOperationError
from system.errors import (
    AccessDeniedError,
    ConcurrencyError,
    ConfigurationError,
    InfrastructureError,
    InvalidInputError,
    NotFoundError,
    PlsyncError,
)

OK = 0
RUN_FAILED = 1
CONFIGURATION = 2
INVALID_INPUT = 3
NOT_FOUND = 4
ACCESS_DENIED = 5
UNSAFE = 6
CONCURRENCY = 7
INFRASTRUCTURE = 8
OTHER = 9

# Most specific first: NotFoundError is an InvalidInputError (provisioning errors are InfrastructureErrors).
_TABLE: tuple[tuple[type[PlsyncError], int], ...] = (
    (RunFailedError, RUN_FAILED),
    (ConfigurationError, CONFIGURATION),
    (NotFoundError, NOT_FOUND),
    (InvalidInputError, INVALID_INPUT),
    (AccessDeniedError, ACCESS_DENIED),
    (UnsafeOperationError, UNSAFE),
    (ConcurrencyError, CONCURRENCY),
    (InfrastructureError, INFRASTRUCTURE),
)


def exit_code_for(error: PlsyncError) -> int:
    return next((code for kind, code in _TABLE if isinstance(error, kind)), OTHER)
