"""How the API is served: uvicorn, with the connection limits uvicorn itself lacks.

uvicorn (checked in its source, 0.55) offers ``timeout_keep_alive`` (idle time *between* requests, armed
only once a response is complete and disarmed by the next byte), ``limit_concurrency`` (a plain-text 503
for a new request once N connections are open: it counts the half-open ones and closes none of them, so
it would refuse the real clients and keep the abusive ones) and h11's ``max_incomplete_event_size`` (not
used by httptools, the protocol ``uvicorn[standard]`` runs). Nothing bounds how long a request's headers
may take: a client that opens a connection and sends nothing, or a request line and never the end of its
headers, holds the connection for ever (1,000 such connections were all still held after 6 s).

So the API runs uvicorn's httptools protocol with three additions, as Go's ``ReadHeaderTimeout``,
nginx's ``client_header_timeout`` and ``large_client_header_buffers`` do:

- a header timeout: a connection whose request headers are not complete ``api_header_timeout_s`` after it
  opened, or after the first byte of its next request, is closed;
- a cap on the bytes of a request's headers (``MAX_HEADER_BYTES``): past it the connection is closed;
- a cap on connections open at once (``api_max_connections``): past it a new connection is closed as soon
  as it is accepted, so half-open connections cannot pile up without bound between two timeouts.

Under overload it also answers the shed requests itself (``_answer_shed``): a request the admission queue would
refuse anyway gets the app's 503 written as soon as its head and small body are read, without the request's
task, the middleware stack or the app (system.api.limits ``Operations.early_refusal`` decides, exactly as
the limits middleware would). Measured with nearly every request shed (a pool of two, no queue, 64
keep-alive clients): 46-51 us of the API's CPU per refusal, against 108-121 us through the app.

It also gives each request a future that completes when its connection is lost (the scope extension
``system.api.admission.CONNECTION_LOST``): a request queued for a slot learns of its client leaving from it,
instead of a task per queued request waiting on ``receive()``.
"""

from __future__ import annotations

import asyncio
import gc
import urllib.parse
from collections.abc import Callable
from typing import Any

import httptools
import uvicorn
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from system.api.admission import CONNECTION_LOST
from system.api.errors import error_response
from system.config import SystemConfig

#: The API process's young-generation threshold for the cyclic garbage collector (CPython's default: 700).
GC_YOUNG_THRESHOLD = 50_000
#: The largest request head accepted (request line and headers): nginx's default is 4 x 8 KiB.
MAX_HEADER_BYTES = 64 * 1024


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a header timeout, a header size cap and a connection cap."""

    header_timeout_s: float = 5.0
    max_connections: int = 4096
    #: Why a request whose head was just read is shed before the app (system.api.limits), or None.
    early_refusal: Callable[[str, str, list[tuple[bytes, bytes]]], str | None] | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timer: asyncio.TimerHandle | None = None
        self._head_bytes = 0
        self._in_head = False
        self._lost: asyncio.Future[None] | None = None
        #: The refusal of the request being shed, answered once its body is read (``_answer_shed``).
        self._shedding: str | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._lost = self.loop.create_future()
        if len(self.connections) > self.max_connections:
            self.logger.warning("closing a connection: %d open, the limit is %d", len(self.connections),
                                self.max_connections)
            transport.close()
            return
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        if self._lost is not None and not self._lost.done():
            self._lost.set_result(None)
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._in_head or self._header_timer is not None:
            self._head_bytes += len(data)
            if self._head_bytes > MAX_HEADER_BYTES:
                self._close(f"request headers past {MAX_HEADER_BYTES} bytes")
                return
        super().data_received(data)
        if self._shedding is not None:  # the shed request's body did not come with its head: do not wait for it
            self._answer_shed(keep_alive=False)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._unset_keepalive_if_required()  # a request pipelined after a shed one: its keep-alive timer is armed
        # ASGI types extensions as dicts of their own; this one is a future (system.api.admission).
        self.scope["extensions"] = {CONNECTION_LOST: self._lost}  # type: ignore[dict-item]
        self._in_head = True
        self._head_bytes = 0
        if self._header_timer is None:
            self._arm()

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._disarm()
        if self.early_refusal is not None and (self.cycle is None or self.cycle.response_complete):
            path = httptools.parse_url(self.url).path.decode("ascii")
            why = self.early_refusal(self.parser.get_method().decode("ascii"),
                                     urllib.parse.unquote(path) if "%" in path else path, self.headers)
            if why is not None:
                self._shedding = why  # no cycle, no task: answered at on_message_complete
                return
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if self._shedding is None:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if self._shedding is not None:
            # A client that sends requests without reading the answers is closed once the transport's
            # buffer is full (uvicorn's own responses wait for it to drain instead).
            self._answer_shed(keep_alive=self.parser.should_keep_alive() and not self.flow.write_paused)
            return
        super().on_message_complete()

    def _answer_shed(self, *, keep_alive: bool) -> None:
        """The app's own 503 for the shed request (system.api.errors), written in one piece."""
        why, self._shedding = self._shedding, None
        response = error_response(503, "OverloadedError", why or "", headers=None if keep_alive
                                  else {"Connection": "close"})
        head = [STATUS_LINE[503]]
        for name, value in [*self.server_state.default_headers, *response.raw_headers]:
            head += [name, b": ", value, b"\r\n"]
        self.transport.write(b"".join([*head, b"\r\n", response.body]))
        if not keep_alive:
            self.transport.close()
            return
        self.on_response_complete()

    def _arm(self) -> None:
        self._header_timer = self.loop.call_later(self.header_timeout_s, self._close,
                                                  f"request headers not complete within {self.header_timeout_s:g} s")

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _close(self, why: str) -> None:
        self._disarm()
        if not self.transport.is_closing():
            self.logger.debug("closing a connection: %s", why)
            self.transport.close()


def protocol_for(config: SystemConfig, app: Any = None) -> type[LimitedHttpToolsProtocol]:
    """The protocol class with ``config``'s limits (uvicorn builds one protocol object per connection), and
    the early refusal of ``app`` when it is the API (system.api.app)."""
    operations = getattr(getattr(app, "state", None), "operations", None)
    return type("ApiHttpProtocol", (LimitedHttpToolsProtocol,),
                {"header_timeout_s": config.api_header_timeout_s, "max_connections": config.api_max_connections,
                 "early_refusal": staticmethod(operations.early_refusal) if operations is not None else None})


def uvicorn_config(app: Any, config: SystemConfig, *, host: str, port: int) -> uvicorn.Config:
    """uvicorn's settings for the API: the limited protocol, no access log (a line per request costs the API
    CPU a swarm measures; errors are still logged), and asyncio's event loop, not uvloop.

    uvloop (libuv since 1.45) accepts one connection per loop iteration; asyncio accepts every pending one,
    up to the backlog. Under overload an iteration runs every ready request's step, so with uvloop new
    connections waited in the kernel's accept queue (100-150 deep, measured with ``ss``) for 3 s at the
    median and up to 15 s, before any limit or the admission queue could see them; with 1,000 clients the
    burst at the overload's start left 203 requests without a reply. With asyncio they are accepted at once
    and shed or served. CPU per request was the same within the noise of this shared machine."""
    return uvicorn.Config(app, host=host, port=port, http=protocol_for(config, app), log_level="warning",
                          access_log=False, loop="asyncio")


def tune_gc() -> None:
    """Make the cyclic garbage collector cheap for a long-running server, as Instagram and gunicorn users do.

    With CPython's defaults the API spent about a fifth of its time in the collector under overload (every
    5 s: 0.9-1.1 s of collections, full ones of 150-255 ms over 180,000-340,000 objects), stalling the event
    loop while the transactions it serves held their row locks. Everything alive once the app is built
    (modules, the app, SQLAlchemy and pydantic's tables) is frozen out of every later collection, and the
    young generation is collected after GC_YOUNG_THRESHOLD new objects instead of 700: most of a request's
    objects are freed by reference counting before it comes."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, 20, 100)


def run(app: Any, config: SystemConfig, *, host: str, port: int) -> None:
    """Serve ``app`` until interrupted (``plsync serve``)."""
    tune_gc()
    uvicorn.Server(uvicorn_config(app, config, host=host, port=port)).run()
