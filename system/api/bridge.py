"""The API's way to the system: the synchronous strategy and service code, run per request on the event loop.

SQLAlchemy's asyncio extension drives asyncpg through a greenlet bridge: inside ``run(fn)``
(``greenlet_spawn``) ``fn`` is ordinary synchronous code on ``Database.on(engine.sync_engine)``, and
every wait for the server switches back to the event loop, which serves other requests meanwhile. So
every strategy runs the one code path the CLI, Locust and the scenarios run, without a thread per
request (FastAPI's threadpool cost three hops and a GIL hand-over per round trip). What is not a
database wait goes through ``LoopWaits``: back-off sleeps and Redis locks yield to the loop too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

import redis.asyncio as aioredis
from redis.asyncio.lock import Lock as AsyncLock
from redis.commands.core import AsyncScript
from sqlalchemy.util import await_, greenlet_spawn

from system.strategies.waits import ACQUIRE_FENCED, Lease

T = TypeVar("T")


async def run(fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)`` in the greenlet bridge: its database and ``LoopWaits`` waits yield to the event loop."""
    return await greenlet_spawn(fn, *args)


class AsyncFencedLock(AsyncLock):
    """redis.asyncio's lock whose every acquisition also yields a fencing token (as waits.FencedLock)."""

    lua_acquire_fenced: ClassVar[AsyncScript | None] = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fence: int | None = None
        if AsyncFencedLock.lua_acquire_fenced is None:
            AsyncFencedLock.lua_acquire_fenced = self.redis.register_script(ACQUIRE_FENCED)

    async def do_acquire(self, token: str | bytes) -> bool:
        assert self.lua_acquire_fenced is not None and self.timeout is not None
        name = self.name.decode() if isinstance(self.name, bytes) else str(self.name)
        number = await self.lua_acquire_fenced(keys=[name, f"{name}:fence"],
                                               args=[token, int(self.timeout * 1000)], client=self.redis)
        if not number:
            return False
        self.fence = int(number)
        return True


class LoopLease:
    """redis.asyncio's lock, awaited from the bridge: polling a held lock sleeps on the loop."""

    def __init__(self, lock: AsyncLock) -> None:
        self.lock = lock

    @property
    def fence(self) -> int | None:
        return getattr(self.lock, "fence", None)

    def acquire(self) -> bool:
        return bool(await_(self.lock.acquire(blocking=True)))

    def release(self) -> None:
        await_(self.lock.release())


class LoopWaits:
    """The strategies' waits off the database, handed to the event loop (only valid inside ``run``)."""

    def sleep(self, seconds: float) -> None:
        await_(asyncio.sleep(seconds))

    def redis_client(self, url: str) -> aioredis.Redis:
        return aioredis.Redis.from_url(url, socket_connect_timeout=2)

    def lease(self, client: Any, name: str, *, ttl_s: float, wait_s: float, poll_s: float,
              fenced: bool) -> Lease:
        # thread_local=False: one lock object per call, and the loop's requests share one thread.
        return LoopLease(client.lock(name, timeout=ttl_s, blocking_timeout=wait_s, sleep=poll_s,
                                     lock_class=AsyncFencedLock if fenced else AsyncLock, thread_local=False))

    def close_redis(self, client: Any) -> None:
        await_(client.aclose())
