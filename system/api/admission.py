"""Admission to the system's code: a bounded queue in front of the pool, and load shed with 503.

At most ``slots`` requests (the pool's connections) run the system's code at once; the others wait their
turn in order, as they waited for a thread of FastAPI's pool before. Admitted all at once they would
queue for row and Redis locks instead, in no order: in a 64-user hot-spot swarm the p95 of redis went
from 650 to 1,800 ms and of serializable from 890 to 2,300 ms.

The queue is bounded twice, so that overload is refused early and cheaply instead of growing memory and
every waiting request's latency for as long as it lasts (SRE's load shedding; Envoy's overload manager):

- by length: a request that finds ``max_queue`` others waiting is refused at once;
- by time: a request that would wait longer than ``max_wait_s`` at the rate slots came free over the last
  second is refused at once; one still waiting after ``max_wait_s`` (the rate fell) is refused then.
- by time, tighter, once the queue stands: when it has not been empty for ``STANDING_AFTER_S``, arrivals
  outpace the slots, and a request may wait only ``standing_wait_s`` (controlled delay, CoDel, as Facebook
  applies it to its servers' request queues: "Fail at Scale", ACM Queue 13(8), 2015). A burst still gets
  ``max_wait_s`` to be absorbed; a sustained overload keeps only a short queue, enough that a slot coming
  free always finds a request, so the admitted wait little and no backlog is left when it ends.

``overloaded()`` asks the same before a request's body is even read (system.api.limits, and the API's
server itself: system.api.server), so that a refusal costs the API as little as possible: under overload
the CPU a refused request costs is taken from the ones it serves.

A refused request gets 503 with ``Retry-After`` (``OverloadedError``) before it touches the database. A
request whose client disconnects while it waits leaves the queue without running (``ClientWatch``).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from starlette.types import Message, Receive

from system.errors import InfrastructureError

#: The drain rate is measured over this window (seconds), once at least MIN_RATE_SAMPLES slots came free.
RATE_WINDOW_S = 1.0
MIN_RATE_SAMPLES = 8
#: A queue not empty for this long (seconds) is a standing queue: CoDel's interval, Facebook's 100 ms.
STANDING_AFTER_S = 0.1


class OverloadedError(InfrastructureError):
    """The API refused the request without running it: too many waiting, or waited too long. Retry later."""


class ClientGoneError(InfrastructureError):
    """The client disconnected while its request waited: it was dropped without running."""


class ClientWatch:
    """Tells when the client of a request whose body was read disconnects.

    The API's own server (system.api.server) hands each request a future of its connection that completes
    when the connection is lost (the scope extension CONNECTION_LOST): a queued request then waits on it
    at the cost of a callback. Under any other server, once the body is read the server's ``receive()``
    returns only when the client has gone (or the response is complete), so one task waiting on it is the
    watch; it is started only when a request has to wait.
    """

    def __init__(self, receive: Receive, connection_lost: asyncio.Future[None] | None = None) -> None:
        self._receive = receive
        self._lost = connection_lost
        self._task: asyncio.Task[Message] | None = None

    def gone(self) -> asyncio.Future[Any]:
        if self._lost is not None:
            return self._lost
        return self._receiving()

    def _receiving(self) -> asyncio.Task[Message]:
        if self._task is None:
            self._task = asyncio.ensure_future(self._wait())
        return self._task

    async def _wait(self) -> Message:
        while True:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                return message

    async def disconnected(self) -> Message:
        """What the app gets when it calls ``receive()`` after its body (the server's answer: it also says
        disconnect once the response is complete, which the connection's future does not)."""
        return await asyncio.shield(self._receiving())

    def close(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()


#: The watch of the request being served (set by system.api.limits for every HTTP request).
CLIENT: ContextVar[ClientWatch | None] = ContextVar("plsync_api_client", default=None)
#: The scope extension under which system.api.server gives a request its connection's lost-future.
CONNECTION_LOST = "plsync.connection_lost"
#: Why a queued request's turn was settled without a slot (None: it got one).
LATE, GONE = "late", "gone"


def _settle(turn: asyncio.Future[str | None], outcome: str | None) -> None:
    if not turn.done():
        turn.set_result(outcome)


@dataclass
class Admission:
    slots: int
    max_queue: int
    max_wait_s: float
    #: The wait allowed while the queue stands (``max_wait_s`` when larger).
    standing_wait_s: float = 0.1
    _free: int = field(init=False)
    _waiters: deque[asyncio.Future[str | None]] = field(init=False, default_factory=deque)
    #: Requests refused since start (full queue, waited too long) and dropped (client gone).
    shed: int = field(init=False, default=0)
    dropped: int = field(init=False, default=0)
    #: When slots came free over the last RATE_WINDOW_S (monotonic seconds): the rate the queue drains at.
    _freed: deque[float] = field(init=False, default_factory=deque)
    #: When the queue was last seen empty (monotonic seconds).
    _empty_at: float = field(init=False, default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self._free = self.slots

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    def drain_rate(self) -> float | None:
        """Slots freed per second over the last RATE_WINDOW_S (or since the first of them, when a burst began
        within it: over the whole window it would read low); None until enough came free to tell."""
        now = time.monotonic()
        while self._freed and self._freed[0] < now - RATE_WINDOW_S:
            self._freed.popleft()
        if len(self._freed) < MIN_RATE_SAMPLES:
            return None
        return len(self._freed) / max(now - self._freed[0], RATE_WINDOW_S / 10)

    def wait_limit(self) -> float:
        """How long a request queued now may wait: ``standing_wait_s`` once the queue stands."""
        if not self._waiters:
            self._empty_at = time.monotonic()
            return self.max_wait_s
        if time.monotonic() - self._empty_at > STANDING_AFTER_S:
            return min(self.standing_wait_s, self.max_wait_s)
        return self.max_wait_s

    def overloaded(self) -> str | None:
        """Why a request arriving now would be refused (None: it is admitted or may wait its turn)."""
        if self._free > 0 and not self._waiters:
            return None
        if len(self._waiters) >= self.max_queue:
            return f"{len(self._waiters)} requests already wait for one of {self.slots} slots"
        rate = self.drain_rate()
        limit = self.wait_limit()
        if rate is not None and (len(self._waiters) + 1) / rate > limit:
            standing = " (the queue stands)" if limit < self.max_wait_s else ""
            return (f"{len(self._waiters)} requests wait; at {rate:.0f} a second this one would wait longer than "
                    f"{limit:g} s{standing}")
        return None

    async def acquire(self) -> None:
        if self._free > 0 and not self._waiters:
            self._free -= 1
            return
        why = self.overloaded()
        if why is not None:
            self.shed += 1
            raise OverloadedError(f"the API is overloaded: {why}")
        # One future per waiter, settled by whichever comes first: a slot (release), the wait limit (a timer)
        # or the client leaving (its watch). Under overload every admitted request waits here: with
        # asyncio.wait and a task watching receive() a queued request cost 62-69 us in-process (batches of
        # 300 queued), 22-24 us this way, against 5-6 us admitted at once.
        loop = asyncio.get_running_loop()
        turn: asyncio.Future[str | None] = loop.create_future()
        limit = self.wait_limit()
        self._waiters.append(turn)
        timer = loop.call_later(limit, _settle, turn, LATE)
        watch = CLIENT.get()
        gone = watch.gone() if watch is not None else None

        def left(_: asyncio.Future[Any]) -> None:
            _settle(turn, GONE)

        if gone is not None:
            gone.add_done_callback(left)
        try:
            outcome = await turn
        except BaseException:
            self._give_up(turn)
            raise
        finally:
            timer.cancel()
            if gone is not None:
                gone.remove_done_callback(left)
        if outcome is None:
            return
        self._give_up(turn)
        if outcome == GONE:
            self.dropped += 1
            raise ClientGoneError("the client disconnected while its request waited; it was not run")
        self.shed += 1
        raise OverloadedError(f"the API is overloaded: no slot came free within {limit:g} s")

    def _give_up(self, turn: asyncio.Future[str | None]) -> None:
        """Leave the queue; a turn granted meanwhile is handed on."""
        if turn.done() and not turn.cancelled() and turn.result() is None:
            self.release()
            return
        turn.cancel()
        with contextlib.suppress(ValueError):  # release() skips and drops a turn settled otherwise
            self._waiters.remove(turn)
        if not self._waiters:
            self._empty_at = time.monotonic()

    def release(self) -> None:
        self._freed.append(time.monotonic())
        while self._waiters:
            turn = self._waiters.popleft()
            if not turn.done():
                turn.set_result(None)
                if not self._waiters:
                    self._empty_at = self._freed[-1]
                return
        self._empty_at = self._freed[-1]
        self._free += 1

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(self, *exc: object) -> None:
        self.release()
