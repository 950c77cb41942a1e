"""Build the FastAPI app around one strategy: components, error handlers, routes."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from system.api.deps import ApiComponents, bearer
from system.api.errors import install_error_handlers
from system.api.limits import install_limits
from system.api.routes import router
from system.config import SystemConfig
from system.db import Database
from system.strategies import strategy_class

DESCRIPTION = """Level-ups and licenses, and the admin sync endpoints, of the progress/license system.

Every request but `/health/integrity` needs `Authorization: Bearer <token>`: an HS256 JWT signed with the
server's secret, naming a user (`sub`) who exists and holds the role it claims (`role`), unexpired.
Every refusal carries the same body (`ErrorBody`) and changes nothing.

Limits: a request body larger than its operation accepts is refused with 413 before it is read (the limit is
in each operation's 413), one that does not arrive within a few seconds with 408, and an authenticated
operation's token is checked before its body is read. When more requests wait for the database than the
API's queue holds, or one waits too long, it is refused at once with 503 (`OverloadedError`) and
`Retry-After`, before it runs."""


def create_app(config: SystemConfig, *, strategy: str = "coupled", db: Database | None = None) -> FastAPI:
    """The API over ``strategy``. It serves ``db``'s database when given (else ``config``'s) through a pool of
    its own on asyncpg, opened when the app starts on its event loop and closed when it stops."""
    strategy_class(strategy)  # an unknown name fails here, not at start-up
    served = config if db is None else dataclasses.replace(
        config, database_url=db.engine.url.render_as_string(hide_password=False))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # A database given by the caller may be down on purpose (its requests then get 503): no ping.
        components = await ApiComponents.open(served, strategy, ping=db is None)
        app.state.components = components
        try:
            yield
        finally:
            await components.close()

    app = FastAPI(title="progress/license system", version="1", description=DESCRIPTION, lifespan=lifespan)
    install_error_handlers(app)
    install_limits(app, router.routes, served, bearer)  # first: the limits go into each operation's OpenAPI
    app.include_router(router)
    return app
