"""Harness errors. They share the system's base so the CLI maps every error to an exit code in one place."""

from __future__ import annotations

from system.errors import ConfigurationError, InfrastructureError, PlsyncError


class ProvisioningError(InfrastructureError):
    """A server the harness needs (PostgreSQL, Redis, Docker) could not be started or reached."""


class UnsafeOperationError(PlsyncError):
    """A destructive operation was refused on a database the harness did not create."""


class RunFailedError(PlsyncError):
    """A run finished but an invariant or a latency threshold failed: CI must go red."""


__all__ = ["ConfigurationError", "ProvisioningError", "RunFailedError", "UnsafeOperationError"]
