"""Build the FastAPI app around one strategy. Typed errors become HTTP statuses here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from system.api.deps import ApiComponents
from system.api.routes import router
from system.config import SystemConfig
from system.db import Database
from system.errors import (
    AccessDeniedError,
    ConcurrencyError,
    ConfigurationError,
    InfrastructureError,
    InvalidInputError,
    NotFoundError,
    PlsyncError,
)
from system.strategies import create_strategy
from system.strategies.base import StrategyContext

STATUS = ((NotFoundError, 404), (InvalidInputError, 422), (AccessDeniedError, 403), (ConcurrencyError, 409),
          (InfrastructureError, 503), (ConfigurationError, 500))


def create_app(config: SystemConfig, *, strategy: str = "coupled", db: Database | None = None) -> FastAPI:
    owns_db = db is None
    database = db or Database.connect(config, application_name="plsync-api")
    components = ApiComponents(config, database,
                               create_strategy(strategy, StrategyContext(db=database, config=config)))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        components.strategy.close()
        if owns_db:
            database.dispose()

    app = FastAPI(title="progress/license system", lifespan=lifespan)
    app.state.components = components
    app.include_router(router)

    @app.exception_handler(PlsyncError)
    async def typed_error(_: Request, exc: PlsyncError) -> JSONResponse:
        status = next((code for kind, code in STATUS if isinstance(exc, kind)), 500)
        return JSONResponse({"detail": str(exc), "error": type(exc).__name__}, status_code=status)

    return app
