"""FastAPI dependencies: the app's components and the caller's identity and role."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request

from system.api.auth import verify_token
from system.config import SystemConfig
from system.db import Database
from system.errors import AccessDeniedError
from system.strategies import Strategy


@dataclass
class ApiComponents:
    config: SystemConfig
    db: Database
    strategy: Strategy


@dataclass(frozen=True)
class Caller:
    user_id: int
    role: str


def components(request: Request) -> ApiComponents:
    comp: ApiComponents = request.app.state.components
    return comp


Components = Annotated[ApiComponents, Depends(components)]


def caller(comp: Components, authorization: Annotated[str | None, Header()] = None) -> Caller:
    if not authorization or not authorization.lower().startswith("bearer "):
        raise HTTPException(401, "missing bearer token", headers={"WWW-Authenticate": "Bearer"})
    try:
        user_id, role = verify_token(authorization[7:].strip(), comp.config.api_secret)
    except AccessDeniedError as exc:
        raise HTTPException(401, str(exc), headers={"WWW-Authenticate": "Bearer"}) from exc
    return Caller(user_id, role)


CurrentCaller = Annotated[Caller, Depends(caller)]


def require(caller: Caller, *roles: str) -> None:
    if caller.role not in roles:
        raise HTTPException(403, f"requires role {' or '.join(roles)}; you are {caller.role}")
