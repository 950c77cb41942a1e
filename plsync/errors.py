"""Errors of the command line itself. They share the system's base so the CLI maps every error to an
exit code in one place (plsync.exit_codes)."""

from __future__ import annotations

from system.errors import PlsyncError


class UnsafeOperationError(PlsyncError):
    """A destructive operation was refused on a database the harness did not create."""


class RunFailedError(PlsyncError):
    """A run finished but an invariant or a latency threshold failed: CI must go red."""
