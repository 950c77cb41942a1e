"""FastAPI dependencies: the app's components, who the caller is, and what their role allows.

Authentication and authorisation happen here, before the request body is even validated: a caller
without a genuine token gets 401 and one without the role 403, whatever they sent. The token's signature
and expiry were already checked before the body was read (system.api.limits), so a caller without a
genuine token never gets a body read at all.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import Session

from system.api.admission import Admission, ClientGoneError
from system.api.bridge import LoopWaits, run
from system.api.callers import CallerDirectory
from system.api.schemas import UserId
from system.api.tokens import TokenCodec, VerifiedTokens
from system.config import SystemConfig
from system.db import Database, create_async_db_engine
from system.errors import AccessDeniedError, AuthenticationError
from system.strategies import Strategy, StrategyContext, create_strategy
from system.strategies.base import typed_errors

STAFF = ("instructor", "admin")
T = TypeVar("T")


@dataclass
class ApiComponents:
    config: SystemConfig
    db: Database
    strategy: Strategy
    tokens: VerifiedTokens
    callers: CallerDirectory
    #: The asyncpg engine under ``db`` (``db.engine`` is its sync_engine, usable only inside ``run``).
    engine: AsyncEngine
    #: Requests inside the system's code at once: no more than the pool has connections; the others wait
    #: in a bounded queue or are refused with 503 (system.api.admission).
    admission: Admission

    @classmethod
    async def open(cls, config: SystemConfig, strategy: str, *, ping: bool) -> ApiComponents:
        """Open the pool on the running event loop (asyncpg connections belong to the loop they were made on)."""
        engine = create_async_db_engine(config, application_name="plsync-api")
        db = Database.on(engine.sync_engine)

        def build() -> Strategy:
            if ping:
                db.ping()
            return create_strategy(strategy, StrategyContext(db=db, config=config, waits=LoopWaits()))

        try:
            impl = await run(build)
        except BaseException:
            await engine.dispose()
            raise
        return cls(config, db, impl, VerifiedTokens(TokenCodec(config.api_secret, config.api_token_ttl_s)),
                   CallerDirectory(db, config.api_caller_cache_s), engine,
                   Admission(config.pool_size, config.api_queue_max, config.api_queue_wait_s,
                             config.api_queue_standing_wait_s))

    #: Reads of a caller's role under way, by user: concurrent requests of one caller whose cache entry
    #: expired share one read instead of queueing one each for a slot (a swarm acts as one admin: 64 at once).
    reading_roles: dict[int, asyncio.Future[str | None]] = field(default_factory=dict)

    async def confirm_caller(self, user_id: int, claimed_role: str) -> None:
        """``callers.confirm`` through one shared read per user at a time. The read runs in the context of
        the request that started it (dropped if its client leaves while queued); the others then read again."""
        while True:
            pending = self.reading_roles.get(user_id)
            mine = pending is None
            if pending is None:
                pending = asyncio.ensure_future(self.run(self.callers.role_of, user_id))
                self.reading_roles[user_id] = pending
                pending.add_done_callback(lambda done: self._forget_read(user_id, done))
            try:
                role = await asyncio.shield(pending)
            except ClientGoneError:
                if mine:
                    raise
                if self.reading_roles.get(user_id) is pending:  # its done callback may not have run yet
                    del self.reading_roles[user_id]
                continue
            self.callers.check(user_id, claimed_role, role)
            return

    def _forget_read(self, user_id: int, done: asyncio.Future[str | None]) -> None:
        if self.reading_roles.get(user_id) is done:
            del self.reading_roles[user_id]
        if not done.cancelled():
            done.exception()  # retrieved: waiters that left do not leave it "never retrieved"

    async def close(self) -> None:
        try:
            await run(self.strategy.close)
        finally:
            await self.engine.dispose()

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` through the greenlet bridge (system.api.bridge), once admitted (OverloadedError if not)."""
        async with self.admission:
            return await run(fn, *args)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A transaction of the API's own reads: database errors become typed errors (503, 409, 422).
        Synchronous: use it in a function given to ``run``."""
        with typed_errors(), self.db.transaction() as session:
            yield session


@dataclass(frozen=True)
class Caller:
    user_id: int
    role: str


async def components(request: Request) -> ApiComponents:
    comp: ApiComponents = request.app.state.components
    return comp


Components = Annotated[ApiComponents, Depends(components)]
# auto_error=False: a missing or non-Bearer header reaches caller() as None and gets our 401 body.
bearer = HTTPBearer(auto_error=False, description="A token from `plsync serve` (admin) or minted with "
                                                  "system.api.tokens.TokenCodec and the API's secret")


Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


async def authenticate(request: Request, credentials: HTTPAuthorizationCredentials | None) -> Caller:
    """Who sent the request. Called by each role dependency itself rather than declared as one more
    dependency: FastAPI solves every declared dependency (and each of its own) anew per request, at some
    tens of µs each, and a level-up's API CPU is what the swarms measure."""
    if credentials is None:
        raise AuthenticationError("missing bearer token (send Authorization: Bearer <token>)")
    comp: ApiComponents = request.app.state.components
    identity = comp.tokens.verify(credentials.credentials)
    if not comp.callers.confirm_cached(identity.user_id, identity.role):
        await comp.confirm_caller(identity.user_id, identity.role)
    return Caller(identity.user_id, identity.role)


def require(*roles: str) -> Callable[[Request, HTTPAuthorizationCredentials | None], Awaitable[Caller]]:
    """A dependency admitting only callers with one of ``roles``."""

    async def dependency(request: Request, credentials: Credentials) -> Caller:
        who = await authenticate(request, credentials)
        if who.role not in roles:
            raise AccessDeniedError(f"requires role {' or '.join(roles)}; you are {who.role}")
        return who

    return dependency


async def self_or_staff(request: Request, credentials: Credentials, user_id: UserId) -> Caller:
    """A student acts on their own records only; instructors and admins on anyone's."""
    who = await authenticate(request, credentials)
    if who.user_id != user_id and who.role not in STAFF:
        raise AccessDeniedError(f"requires role {' or '.join(STAFF)} to act for user {user_id}; you are {who.role}")
    return who


Staff = Annotated[Caller, Depends(require(*STAFF))]
Admin = Annotated[Caller, Depends(require("admin"))]
SelfOrStaff = Annotated[Caller, Depends(self_or_staff)]
