"""How a strategy waits when the wait is not a database statement: a back-off sleep, a Redis lock.

Strategy code is synchronous, one code path for every client. A thread (the CLI, Locust's direct users,
scenarios, benchmarks) waits by blocking: ``ThreadWaits``. The API runs the same code inside SQLAlchemy's
greenlet bridge on its event loop, where every database wait already yields to the loop; there a sleep or
a Redis round trip must yield too, or one request stalls all the others: ``LoopWaits``
(system.api.bridge) hands each of them to the loop with ``await_``. Nothing else differs.
"""

from __future__ import annotations

import time
from typing import Any, ClassVar, Protocol

import redis
from redis.commands.core import Script
from redis.lock import Lock

#: Set the lock (as redis-py does) and, only when it was set, draw the next number of the pair's counter:
#: the fencing token of ``redis_fenced``, in the order the lock was really held.
ACQUIRE_FENCED = """
if redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
    return redis.call('incr', KEYS[2])
end
return 0
"""


class Lease(Protocol):
    """A Redis lock held for a time to live: acquire, release (LockError / LockNotOwnedError when it expired
    meanwhile), and the fencing token of the last acquisition (None unless fenced)."""

    @property
    def fence(self) -> int | None: ...

    def acquire(self) -> bool: ...

    def release(self) -> None: ...


class Waits(Protocol):
    def sleep(self, seconds: float) -> None: ...

    def redis_client(self, url: str) -> Any:
        """A client for ``url`` of the kind ``lease`` takes (its owner closes it with ``close_redis``)."""

    def lease(self, client: Any, name: str, *, ttl_s: float, wait_s: float, poll_s: float,
              fenced: bool) -> Lease: ...

    def close_redis(self, client: Any) -> None: ...


class FencedLock(Lock):
    """A redis-py lock whose every acquisition also yields a fencing token (``fence``)."""

    lua_acquire_fenced: ClassVar[Script | None] = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fence: int | None = None
        if FencedLock.lua_acquire_fenced is None:
            FencedLock.lua_acquire_fenced = self.redis.register_script(ACQUIRE_FENCED)

    def do_acquire(self, token: str) -> bool:
        assert self.lua_acquire_fenced is not None and self.timeout is not None
        number = self.lua_acquire_fenced(keys=[self.name, f"{self.name}:fence"],
                                         args=[token, int(self.timeout * 1000)], client=self.redis)
        if not number:
            return False
        self.fence = int(number)
        return True


class ThreadLease:
    """redis-py's blocking Lock (polling every ``poll_s``; FencedLock when fenced)."""

    def __init__(self, lock: Lock) -> None:
        self.lock = lock

    @property
    def fence(self) -> int | None:
        return getattr(self.lock, "fence", None)

    def acquire(self) -> bool:
        return bool(self.lock.acquire(blocking=True))

    def release(self) -> None:
        self.lock.release()


class ThreadWaits:
    """Block the calling thread: time.sleep and redis-py's synchronous client."""

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def redis_client(self, url: str) -> redis.Redis:
        return redis.Redis.from_url(url, socket_connect_timeout=2)

    def lease(self, client: Any, name: str, *, ttl_s: float, wait_s: float, poll_s: float,
              fenced: bool) -> Lease:
        return ThreadLease(client.lock(name, timeout=ttl_s, blocking_timeout=wait_s, sleep=poll_s,
                                       lock_class=FencedLock if fenced else Lock))

    def close_redis(self, client: Any) -> None:
        client.close()
