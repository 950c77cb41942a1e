"""Build the FastAPI app around one strategy: components, error handlers, routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from system.api.callers import CallerDirectory
from system.api.deps import ApiComponents
from system.api.errors import install_error_handlers
from system.api.routes import router
from system.api.tokens import TokenCodec
from system.config import SystemConfig
from system.db import Database
from system.strategies import create_strategy
from system.strategies.base import StrategyContext

DESCRIPTION = """Level-ups and licenses, and the admin sync endpoints, of the progress/license system.

Every request but `/health/integrity` needs `Authorization: Bearer <token>`: an HS256 JWT signed with the
server's secret, naming a user (`sub`) who exists and holds the role it claims (`role`), unexpired.
Every refusal carries the same body (`ErrorBody`) and changes nothing."""


def create_app(config: SystemConfig, *, strategy: str = "coupled", db: Database | None = None) -> FastAPI:
    owns_db = db is None
    database = db or Database.connect(config, application_name="plsync-api")
    components = ApiComponents(config, database,
                               create_strategy(strategy, StrategyContext(db=database, config=config)),
                               TokenCodec(config.api_secret, config.api_token_ttl_s),
                               CallerDirectory(database, config.api_caller_cache_s))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        components.strategy.close()
        if owns_db:
            database.dispose()

    app = FastAPI(title="progress/license system", version="1", description=DESCRIPTION, lifespan=lifespan)
    app.state.components = components
    install_error_handlers(app)
    app.include_router(router)
    return app
