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

It also gives each request a future that completes when its connection is lost (the scope extension
``system.api.admission.CONNECTION_LOST``): a request queued for a slot learns of its client leaving from it,
instead of a task per queued request waiting on ``receive()``.
"""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from system.api.admission import CONNECTION_LOST
from system.config import SystemConfig

#: The largest request head accepted (request line and headers): nginx's default is 4 x 8 KiB.
MAX_HEADER_BYTES = 64 * 1024


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a header timeout, a header size cap and a connection cap."""

    header_timeout_s: float = 5.0
    max_connections: int = 4096

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timer: asyncio.TimerHandle | None = None
        self._head_bytes = 0
        self._in_head = False
        self._lost: asyncio.Future[None] | None = None

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

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.scope["extensions"] = {CONNECTION_LOST: self._lost}
        self._in_head = True
        self._head_bytes = 0
        if self._header_timer is None:
            self._arm()

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._disarm()
        super().on_headers_complete()

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


def protocol_for(config: SystemConfig) -> type[LimitedHttpToolsProtocol]:
    """The protocol class with ``config``'s limits (uvicorn builds one protocol object per connection)."""
    return type("ApiHttpProtocol", (LimitedHttpToolsProtocol,),
                {"header_timeout_s": config.api_header_timeout_s, "max_connections": config.api_max_connections})


def uvicorn_config(app: Any, config: SystemConfig, *, host: str, port: int) -> uvicorn.Config:
    """uvicorn's settings for the API: the limited protocol, no access log (a line per request costs the API
    CPU a swarm measures; errors are still logged), and asyncio's event loop, not uvloop.

    uvloop (libuv since 1.45) accepts one connection per loop iteration; asyncio accepts every pending one,
    up to the backlog. Under overload an iteration runs every ready request's step, so with uvloop new
    connections waited in the kernel's accept queue (100-150 deep, measured with ``ss``) for 3 s at the
    median and up to 15 s, before any limit or the admission queue could see them; with 1,000 clients the
    burst at the overload's start left 203 requests without a reply. With asyncio they are accepted at once
    and shed or served. CPU per request was the same within the noise of this shared machine."""
    return uvicorn.Config(app, host=host, port=port, http=protocol_for(config), log_level="warning",
                          access_log=False, loop="asyncio")
