"""``redis``: the ConcurrencyGuard of the edge-case analysis. A Redis lock per (user, specialization)
around the one-transaction update, which takes no row locks itself: the Redis lock alone carries the
claim, so the experiment measures it rather than PostgreSQL's row locks.

The lock is a lease (``redis_lock_ttl_s``): a holder frozen past it (a GC pause, SIGSTOP) still runs
on as if it held the lock when it wakes, while another caller has taken it meanwhile. Nothing here
can tell; its release then finds the key gone or someone else's, and can only count that
(``lost_locks``). ``redis_fenced`` is the remedy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import redis
from redis.exceptions import LockError, LockNotOwnedError
from redis.lock import Lock
from sqlalchemy.orm import Session

from system.errors import ConcurrencyError, ConfigurationError, InfrastructureError
from system.services.checkpoints import AFTER_GUARD
from system.strategies.base import StrategyContext, log, register, typed_errors
from system.strategies.coupled import CoupledStrategy

T = TypeVar("T")


@register
class RedisLockStrategy(CoupledStrategy):
    name = "redis"
    description = "a Redis lock per (user, specialization) around one unlocked transaction"
    lock_rows = False
    needs_redis = True
    #: The Lock class taking the lock (the fenced remedy's issues a fencing token with it).
    lock_class: type[Lock] = Lock

    def __init__(self, ctx: StrategyContext) -> None:
        super().__init__(ctx)
        client: Any = ctx.redis_client
        self._owns_client = client is None
        if client is None:
            if not ctx.config.redis_url:
                raise ConfigurationError(f"the {self.name} strategy needs a Redis server: set PLSYNC_REDIS_URL or "
                                         "let the harness start one")
            client = redis.Redis.from_url(ctx.config.redis_url, socket_connect_timeout=2)
        self.redis: redis.Redis = client
        self.lost_locks = 0

    def prepare_under(self, lock: Lock, user_id: int, specialization: str) -> Callable[[Session], None] | None:
        """What the transaction runs first while ``lock`` is held (nothing here; a fence in the remedy)."""
        return None

    def guarded(self, user_id: int, specialization: str, work: Callable[[Session], T]) -> tuple[T, int]:
        cfg = self.ctx.config
        # redis-py polls a held lock every 100 ms by default; a 2 ms poll keeps waiters from idling.
        lock = self.redis.lock(f"progress_lock:{user_id}:{specialization}", timeout=cfg.redis_lock_ttl_s,
                               blocking_timeout=cfg.lock_timeout_s, sleep=0.002, lock_class=self.lock_class)
        try:
            with typed_errors():  # the key holds the caller's text: a lone surrogate cannot be encoded
                acquired = lock.acquire(blocking=True)
        except redis.ConnectionError as exc:
            raise InfrastructureError(f"cannot reach Redis for the lock: {exc}", cause=exc) from exc
        if not acquired:
            raise ConcurrencyError(f"could not take the Redis lock for {user_id}/{specialization} within "
                                   f"{cfg.lock_timeout_s}s")
        try:
            self.ctx.at(AFTER_GUARD, None)
            return self.transaction(work, prepare=self.prepare_under(lock, user_id, specialization),
                                    guard_reached=True), 1
        finally:
            try:
                lock.release()
            except (LockNotOwnedError, LockError):
                # The lock expired while we held it: another caller may have run concurrently.
                self.lost_locks += 1
                log.warning("Redis lock for %s/%s expired before release", user_id, specialization)

    def close(self) -> None:
        if self._owns_client:
            self.redis.close()
