"""Limits before work: who the caller is and how big the body may be, decided before the body is read.

FastAPI reads and parses the whole body of an operation with a body parameter before any dependency runs,
so a dependency that authenticates protects nothing against a huge body: a 400 MB unauthenticated POST
once raised the API's memory by 782 MB before its 422. This pure ASGI middleware runs first, for every
request:

1. an operation that needs a token and was sent none, or a forged or expired one, gets 401 (the body unread);
2. when the admission queue would refuse it anyway, 503 (system.api.admission), the body unread (or, when
   it is within its limit and arrived with the headers, read, so that the connection stays open);
3. a ``Content-Length`` past the operation's limit gets 413 (the body unread);
4. the body is read, counted as it arrives (a chunked one too) and refused with 413 the moment it passes
   the limit, or with 408 when it does not arrive within ``api_body_timeout_s`` (a ``Content-Length`` that
   claims more than is sent);
5. then the app runs on the body read, which it receives as one message.

A refusal before the body is read answers ``Connection: close``: otherwise the server would go on reading
(and discarding) the rest of the body to find the next request. A shed request is the exception when its
body is small and already there: closing would send every shed client to reconnect, and under overload a
new connection waits in the accept queue (uvloop accepts one per loop iteration) for seconds.

Each operation's limit is sized to its schema (``worst_case_json_bytes``) unless ``api_body_limit_bytes``
sets one for all.
"""

from __future__ import annotations

import asyncio
import enum
import math
import typing
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import annotated_types
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from system.api.admission import CLIENT, CONNECTION_LOST, ClientWatch
from system.api.errors import error_response
from system.config import SystemConfig
from system.errors import AuthenticationError, ConfigurationError

#: How long a shed request's body may take to arrive for its 503 to keep the connection (else it closes it).
SHED_DRAIN_S = 0.05
#: Any request that matches no operation with a body (GETs, unknown paths): nothing legitimate sends more.
NO_BODY_LIMIT = 1024
#: A body's limit is twice the largest compact JSON its schema admits (room for whitespace), at least this.
MIN_BODY_LIMIT = 1024
#: JSON may spell a character as ``\\uXXXX``, and one outside the BMP as two of them: 12 bytes.
MAX_BYTES_PER_CHAR = 12


@dataclass(frozen=True)
class Operation:
    route: APIRoute
    body_limit: int
    needs_token: bool

    def matches(self, method: str, path: str) -> bool:
        """Starlette's full match (path and method; HEAD where GET is), without the scope it builds."""
        return method in (self.route.methods or ()) and self.route.path_regex.match(path) is not None


def worst_case_json_bytes(model: type[BaseModel]) -> int:
    """The longest compact JSON object ``model`` validates: every field present, every bound at its widest,
    every character escaped. A field whose size has no bound (a string without max_length) is refused."""
    total = 2  # {}
    for name, info in model.model_fields.items():
        total += len(name) + 4 + _value_bytes(name, info.annotation, info.metadata)  # "name": value,
    return total


def _value_bytes(name: str, annotation: Any, metadata: Sequence[Any]) -> int:
    if typing.get_origin(annotation) is typing.Annotated:
        return _value_bytes(name, typing.get_args(annotation)[0], [*metadata, *annotation.__metadata__])
    if annotation is bool:
        return len("false")
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return max(len(str(member.value)) for member in annotation) * MAX_BYTES_PER_CHAR + 2
    if annotation is int:
        bounds = [getattr(m, attr) for m in metadata for attr in ("ge", "gt", "le", "lt") if hasattr(m, attr)]
        if len(bounds) < 2:
            raise ConfigurationError(f"body field {name!r} is an integer without both bounds: no size limit")
        return max(len(str(b)) for b in bounds) + len(".0")  # 5.0 is an integer too
    if annotation is str:
        lengths = [m.max_length for m in metadata if isinstance(m, annotated_types.MaxLen)]
        if not lengths:
            raise ConfigurationError(f"body field {name!r} is text without max_length: no size limit")
        return min(lengths) * MAX_BYTES_PER_CHAR + 2
    raise ConfigurationError(f"body field {name!r} of type {annotation!r}: its largest JSON size is unknown")


def schema_body_limit(model: type[BaseModel]) -> int:
    return max(MIN_BODY_LIMIT, 1024 * math.ceil(2 * worst_case_json_bytes(model) / 1024))


def _dependencies(dependant: Dependant) -> Iterator[Dependant]:
    for sub in dependant.dependencies:
        yield sub
        yield from _dependencies(sub)


def operations(routes: Sequence[BaseRoute], token_dependency: object, config: SystemConfig) -> list[Operation]:
    """Every operation of ``routes``, with its body limit and whether it needs a token (``token_dependency``
    among its dependencies)."""
    found = []
    for route in routes:
        if not isinstance(route, APIRoute):
            continue
        limit = NO_BODY_LIMIT
        if route.body_field is not None:
            model = route.body_field.field_info.annotation
            assert isinstance(model, type) and issubclass(model, BaseModel), route.path
            limit = config.api_body_limit_bytes or schema_body_limit(model)
        needs = any(d.call is token_dependency for d in _dependencies(route.dependant))
        found.append(Operation(route, limit, needs))
    return found


class BodyTooLarge(Exception):
    pass


class Operations:
    """The operations' limits, and the refusal the server may answer before the app (``early_refusal``)."""

    def __init__(self, table: list[Operation], state: Any) -> None:
        #: ``state``: the app's state, whose components (the admission queue, the tokens) exist once it started.
        self.table, self.state = table, state

    def find(self, method: str, path: str) -> Operation | None:
        for op in self.table:
            if op.matches(method, path):
                return op
        return None

    def early_refusal(self, method: str, path: str, headers: list[tuple[bytes, bytes]]) -> str | None:
        """Why the request the server has just read the head of would be shed (system.api.server answers it
        then, without the app), or None: the app decides, as for every request under any other server.

        Only what the middleware below would answer with 503 the same way: a known operation while the
        queue refuses, whose token is accepted (else its 401 comes first) and whose body, if any, is declared
        with a length within its limit (a chunked or oversized one is the middleware's, which closes it)."""
        components = getattr(self.state, "components", None)
        if components is None:
            return None
        why = components.admission.overloaded()
        if why is None:
            return None
        op = self.find(method, path)
        if op is None:
            return None
        fields = dict(headers)
        declared = fields.get(b"content-length", b"0")
        if b"transfer-encoding" in fields or not declared.isdigit() or int(declared) > op.body_limit:
            return None
        if op.needs_token and LimitsMiddleware.check_token(components.tokens, fields.get(b"authorization")):
            return None
        components.admission.shed += 1
        return f"the API is overloaded: {why}"


class LimitsMiddleware:
    """The checks of this module's docstring, in that order, before the app sees the request."""

    def __init__(self, app: ASGIApp, *, operations: Operations, body_timeout_s: float) -> None:
        self.app, self.operations, self.body_timeout_s = app, operations, body_timeout_s

    def operation(self, scope: Scope) -> Operation | None:
        return self.operations.find(scope["method"], scope["path"])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        op = self.operation(scope)
        limit = op.body_limit if op is not None else NO_BODY_LIMIT
        headers = dict(scope["headers"])  # the last of repeated names; uvicorn refuses repeated Content-Length
        declared = headers.get(b"content-length")
        has_body = bool(declared and declared != b"0") or b"transfer-encoding" in headers
        if op is not None and op.needs_token:
            refusal = self.check_token(scope["app"].state.components.tokens, headers.get(b"authorization"))
            if refusal is not None:
                await self.refuse(401, "AuthenticationError", refusal, has_body, scope, receive, send)
                return
        if op is not None:
            why = scope["app"].state.components.admission.overloaded()
            if why is not None:
                scope["app"].state.components.admission.shed += 1
                unread = has_body and not await self.drained(receive, declared, limit)
                await self.refuse(503, "OverloadedError", f"the API is overloaded: {why}", unread, scope,
                                  receive, send)
                return
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self.refuse(413, "PayloadTooLarge", f"the body ({int(declared):,} bytes) is larger than this "
                              f"operation accepts ({limit:,} bytes)", True, scope, receive, send)
            return
        try:
            async with asyncio.timeout(self.body_timeout_s):  # no task per request, unlike wait_for
                body = await self.read_body(receive, limit)
        except BodyTooLarge:
            await self.refuse(413, "PayloadTooLarge", f"the body is larger than this operation accepts "
                              f"({limit:,} bytes)", True, scope, receive, send)
            return
        except TimeoutError:
            await self.refuse(408, "RequestTimeout", f"the body did not arrive within {self.body_timeout_s:g} s",
                              True, scope, receive, send)
            return
        if body is None:
            return  # the client left while sending it
        watch = ClientWatch(receive, (scope.get("extensions") or {}).get(CONNECTION_LOST))
        replayed = False

        async def app_receive() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await watch.disconnected()

        token = CLIENT.set(watch)
        try:
            await self.app(scope, app_receive, send)
        finally:
            CLIENT.reset(token)
            watch.close()

    @staticmethod
    def check_token(tokens: Any, authorization: bytes | None) -> str | None:
        """Why the request's token is refused, or None. Verified tokens are remembered (VerifiedTokens), so
        the dependency that reads the token again finds it without a second signature check."""
        scheme, _, credentials = (authorization or b"").decode("latin-1").partition(" ")
        if scheme.lower() != "bearer" or not credentials:
            return "missing bearer token (send Authorization: Bearer <token>)"
        try:
            tokens.verify(credentials)
        except AuthenticationError as exc:
            return str(exc)
        return None

    @staticmethod
    async def read_body(receive: Receive, limit: int) -> bytes | None:
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    @classmethod
    async def drained(cls, receive: Receive, declared: bytes | None, limit: int) -> bool:
        """Whether a shed request's body, declared within its limit, was read whole at once (it has arrived
        with its headers): its 503 can then keep the connection. Closing it would make every shed client
        reconnect, and under overload a new connection waits in the accept queue for seconds (the event loop
        accepts one per iteration)."""
        if declared is None or not declared.isdigit() or int(declared) > limit:
            return False
        try:
            async with asyncio.timeout(SHED_DRAIN_S):
                return await cls.read_body(receive, limit) is not None
        except (BodyTooLarge, TimeoutError):
            return False

    @staticmethod
    async def refuse(status: int, kind: str, detail: str, unread: bool, scope: Scope, receive: Receive,
                     send: Send) -> None:
        response = error_response(status, kind, detail, headers={"Connection": "close"} if unread else None)
        await response(scope, receive, send)


def install_limits(app: FastAPI, routes: Sequence[BaseRoute], config: SystemConfig, token_dependency: object
                   ) -> None:
    """Put the limits of ``routes`` (the operations ``app`` includes) in front of ``app``."""
    table = operations(routes, token_dependency, config)
    app.state.operations = Operations(table, app.state)
    app.add_middleware(LimitsMiddleware, operations=app.state.operations, body_timeout_s=config.api_body_timeout_s)
    build = app.openapi

    def openapi() -> dict[str, Any]:
        """FastAPI's OpenAPI, each operation's 413 naming its limit."""
        if app.openapi_schema is None:
            schema = build()
            for op in table:
                for method in op.route.methods or ():
                    response = schema["paths"][op.route.path_format].get(method.lower(), {}) \
                        .get("responses", {}).get("413")
                    if response is not None:
                        response["description"] += f" (this operation: {op.body_limit:,} bytes)"
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
