"""FastAPI dependencies: the app's components, who the caller is, and what their role allows.

Authentication and authorisation happen here, before the request body is even validated: a caller
without a genuine token gets 401 and one without the role 403, whatever they sent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from system.api.callers import CallerDirectory
from system.api.schemas import UserId
from system.api.tokens import TokenCodec
from system.config import SystemConfig
from system.db import Database
from system.errors import AccessDeniedError, AuthenticationError
from system.strategies import Strategy
from system.strategies.base import typed_errors

STAFF = ("instructor", "admin")


@dataclass
class ApiComponents:
    config: SystemConfig
    db: Database
    strategy: Strategy
    tokens: TokenCodec
    callers: CallerDirectory

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A transaction of the API's own reads: database errors become typed errors (503, 409, 422)."""
        with typed_errors(), self.db.transaction() as session:
            yield session


@dataclass(frozen=True)
class Caller:
    user_id: int
    role: str


def components(request: Request) -> ApiComponents:
    comp: ApiComponents = request.app.state.components
    return comp


Components = Annotated[ApiComponents, Depends(components)]
# auto_error=False: a missing or non-Bearer header reaches caller() as None and gets our 401 body.
bearer = HTTPBearer(auto_error=False, description="A token from `plsync serve` (admin) or minted with "
                                                  "system.api.tokens.TokenCodec and the API's secret")


def caller(comp: Components,
           credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Caller:
    if credentials is None:
        raise AuthenticationError("missing bearer token (send Authorization: Bearer <token>)")
    identity = comp.tokens.verify(credentials.credentials)
    comp.callers.confirm(identity.user_id, identity.role)
    return Caller(identity.user_id, identity.role)


CurrentCaller = Annotated[Caller, Depends(caller)]


def require(*roles: str) -> Callable[[Caller], Caller]:
    """A dependency admitting only callers with one of ``roles``."""

    def dependency(who: CurrentCaller) -> Caller:
        if who.role not in roles:
            raise AccessDeniedError(f"requires role {' or '.join(roles)}; you are {who.role}")
        return who

    return dependency


def self_or_staff(who: CurrentCaller, user_id: UserId) -> Caller:
    """A student acts on their own records only; instructors and admins on anyone's."""
    if who.user_id != user_id and who.role not in STAFF:
        raise AccessDeniedError(f"requires role {' or '.join(STAFF)} to act for user {user_id}; you are {who.role}")
    return who


Staff = Annotated[Caller, Depends(require(*STAFF))]
Admin = Annotated[Caller, Depends(require("admin"))]
SelfOrStaff = Annotated[Caller, Depends(self_or_staff)]
