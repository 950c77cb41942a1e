"""One error body for every refusal, the handlers that write it, and the OpenAPI entries that document it.

Typed errors of the system map to statuses here (and only here); FastAPI's own request validation and
Starlette's HTTP errors are rewritten into the same body, so a client parses one shape whatever went
wrong, and what the OpenAPI documents is what is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from system.errors import (
    AccessDeniedError,
    AuthenticationError,
    ConcurrencyError,
    ConfigurationError,
    InfrastructureError,
    InvalidInputError,
    NotFoundError,
    PlsyncError,
)

# Most specific first: AuthenticationError is an AccessDeniedError, NotFoundError an InvalidInputError.
STATUS: tuple[tuple[type[PlsyncError], int], ...] = (
    (AuthenticationError, 401), (AccessDeniedError, 403), (NotFoundError, 404), (InvalidInputError, 422),
    (ConcurrencyError, 409), (InfrastructureError, 503), (ConfigurationError, 500))
#: What a 503 tells a client to wait before retrying (seconds).
RETRY_AFTER_S = 2
MAX_DETAIL_CHARS = 500
MAX_FIELD_ERRORS = 20


class FieldError(BaseModel):
    loc: list[str | int] = Field(description="Where in the request: body, path, query or header, then the field")
    msg: str
    type: str


class ErrorBody(BaseModel):
    detail: str = Field(description="What went wrong, for a person to read")
    error: str = Field(description="The kind of error: InvalidInputError, NotFoundError, AuthenticationError, "
                                   "AccessDeniedError, ConcurrencyError, InfrastructureError, "
                                   "RequestValidationError, HTTPException, PayloadTooLarge, "
                                   "RequestTimeout or OverloadedError")
    errors: list[FieldError] | None = Field(None, description="Each invalid field (request validation only)")


DESCRIPTIONS = {
    400: "The body is not UTF-8 text (JSON must be)",
    401: "No bearer token, or one that is forged, expired, from another issuer, or names a user who does not "
         "exist or no longer holds the role it claims",
    403: "The caller's role may not do this",
    404: "An unknown user or specialization, or nothing to act on",
    409: "A lock could not be taken in time, a deadlock or a serialization failure: nothing changed; retry",
    422: "Invalid request: a field missing, unknown, out of range or malformed, or a rule of the system "
         "refused it (negative XP, a level past the specialization's max); nothing changed",
    408: "The body did not arrive in time (a Content-Length that claims more than is sent): nothing changed",
    413: "The body is larger than this operation accepts: refused before it was read; nothing changed",
    503: "The database (or Redis) is unreachable or failing: nothing is known to have changed; or the API is "
         "overloaded (error OverloadedError: the request was refused before it ran, nothing changed); retry "
         "after Retry-After seconds",
}
HEADERS = {
    401: {"WWW-Authenticate": {"description": "Bearer", "schema": {"type": "string"}}},
    503: {"Retry-After": {"description": "Seconds to wait before retrying", "schema": {"type": "integer"}}},
}


def documented(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of an operation that can refuse with these statuses."""
    return {status: {"model": ErrorBody, "description": DESCRIPTIONS[status]}
            | ({"headers": HEADERS[status]} if status in HEADERS else {}) for status in statuses}


def clean(text: str, limit: int = MAX_DETAIL_CHARS) -> str:
    """Text safe to put in a JSON response: bounded, and a lone surrogate from the input escaped."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")[:limit]


def error_response(status: int, kind: str, detail: str, errors: list[dict[str, Any]] | None = None,
                   headers: Mapping[str, str] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"detail": clean(detail) or kind, "error": kind}
    if errors is not None:
        body["errors"] = errors
    extra = dict(headers or {})
    if status == 401:
        extra.setdefault("WWW-Authenticate", "Bearer")
    if status == 503:
        extra.setdefault("Retry-After", str(RETRY_AFTER_S))
    return JSONResponse(body, status_code=status, headers=extra)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(PlsyncError)
    async def typed_error(_: Request, exc: PlsyncError) -> JSONResponse:
        status = next((code for kind, code in STATUS if isinstance(exc, kind)), 500)
        return error_response(status, type(exc).__name__, str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": [clean(p, 100) if isinstance(p, str) else p for p in e.get("loc", ())],
                   "msg": clean(str(e.get("msg", ""))), "type": clean(str(e.get("type", "")), 100)}
                  for e in exc.errors()[:MAX_FIELD_ERRORS]]
        detail = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors)
        return error_response(422, "RequestValidationError", detail or "invalid request", errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        # FastAPI's 400 for a body that is not UTF-8, Starlette's 404/405 for unknown paths and methods.
        return error_response(exc.status_code, "HTTPException", str(exc.detail), headers=exc.headers)
