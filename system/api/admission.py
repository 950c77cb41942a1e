"""Admission to the system's code: a bounded queue in front of the pool, and load shed with 503.

At most ``slots`` requests (the pool's connections) run the system's code at once; the others wait their
turn in order, as they waited for a thread of FastAPI's pool before. Admitted all at once they would
queue for row and Redis locks instead, in no order: in a 64-user hot-spot swarm the p95 of redis went
from 650 to 1,800 ms and of serializable from 890 to 2,300 ms.

The queue is bounded twice, so that overload is refused early and cheaply instead of growing memory and
every waiting request's latency for as long as it lasts (SRE's load shedding; Envoy's overload manager):

- by length: a request that finds ``max_queue`` others waiting is refused at once;
- by time: a request still waiting after ``max_wait_s`` is refused then (it would be answered too late).

A refused request gets 503 with ``Retry-After`` (``OverloadedError``) before it touches the database. A
request whose client disconnects while it waits leaves the queue without running (``ClientWatch``).
"""

from __future__ import annotations

import asyncio
from collections import deque
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from starlette.types import Message, Receive

from system.errors import InfrastructureError


class OverloadedError(InfrastructureError):
    """The API refused the request without running it: too many waiting, or waited too long. Retry later."""


class ClientGoneError(InfrastructureError):
    """The client disconnected while its request waited: it was dropped without running."""


class ClientWatch:
    """Tells when the client of a request whose body was read disconnects.

    Once the body is read, the server's ``receive()`` returns only when the client has gone (or the
    response is complete), so one task waiting on it is the watch. It is started only when a request has
    to wait: a request admitted at once costs no task.
    """

    def __init__(self, receive: Receive) -> None:
        self._receive = receive
        self._task: asyncio.Task[Message] | None = None

    def gone(self) -> asyncio.Task[Message]:
        if self._task is None:
            self._task = asyncio.ensure_future(self._wait())
        return self._task

    async def _wait(self) -> Message:
        while True:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                return message

    async def disconnected(self) -> Message:
        """What the app gets when it calls ``receive()`` after its body."""
        return await asyncio.shield(self.gone())

    def close(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()


#: The watch of the request being served (set by system.api.limits for every HTTP request).
CLIENT: ContextVar[ClientWatch | None] = ContextVar("plsync_api_client", default=None)


@dataclass
class Admission:
    slots: int
    max_queue: int
    max_wait_s: float
    _free: int = field(init=False)
    _waiters: deque[asyncio.Future[None]] = field(init=False, default_factory=deque)
    #: Requests refused since start (full queue, waited too long) and dropped (client gone).
    shed: int = field(init=False, default=0)
    dropped: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self._free = self.slots

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    async def acquire(self) -> None:
        if self._free > 0 and not self._waiters:
            self._free -= 1
            return
        if len(self._waiters) >= self.max_queue:
            self.shed += 1
            raise OverloadedError(f"the API is overloaded: {len(self._waiters)} requests already wait for "
                                  f"one of {self.slots} slots")
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(turn)
        watch = CLIENT.get()
        waits: set[asyncio.Future[Any]] = {turn}
        if watch is not None:
            waits.add(watch.gone())
        try:
            await asyncio.wait(waits, timeout=self.max_wait_s, return_when=asyncio.FIRST_COMPLETED)
        except BaseException:
            self._give_up(turn)
            raise
        if turn.done():
            return
        self._give_up(turn)
        if watch is not None and watch.gone().done():
            self.dropped += 1
            raise ClientGoneError("the client disconnected while its request waited; it was not run")
        self.shed += 1
        raise OverloadedError(f"the API is overloaded: no slot came free within {self.max_wait_s:g} s")

    def _give_up(self, turn: asyncio.Future[None]) -> None:
        """Leave the queue; a turn granted meanwhile is handed on."""
        if turn.done() and not turn.cancelled():
            self.release()
        else:
            turn.cancel()
            self._waiters.remove(turn)

    def release(self) -> None:
        while self._waiters:
            turn = self._waiters.popleft()
            if not turn.done():
                turn.set_result(None)
                return
        self._free += 1

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(self, *exc: object) -> None:
        self.release()
