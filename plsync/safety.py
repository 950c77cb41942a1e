"""Destructive operations run only on databases the harness created, or that the user marked disposable."""

from __future__ import annotations

from fixtures.provision import Environment
from plsync.errors import UnsafeOperationError


def require_disposable(env: Environment, operation: str) -> None:
    if not env.disposable:
        raise UnsafeOperationError(
            f"refusing to {operation}: the database was not created by plsync. Pass --disposable "
            "(or set PLSYNC_DISPOSABLE=1) if everything in it may be destroyed."
        )
