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
from sqlalchemy.orm import Session

from system.errors import ConcurrencyError, ConfigurationError, InfrastructureError
from system.services.checkpoints import AFTER_GUARD
from system.strategies.base import StrategyContext, log, register, typed_errors
from system.strategies.coupled import CoupledStrategy
from system.strategies.waits import Lease

T = TypeVar("T")


@register
class RedisLockStrategy(CoupledStrategy):
    name = "redis"
    description = "a Redis lock per (user, specialization) around one unlocked transaction"
    lock_rows = False
    needs_redis = True
    #: Whether each acquisition also draws a fencing token (the remedy's).
    fenced = False

    def __init__(self, ctx: StrategyContext) -> None:
        super().__init__(ctx)
        client: Any = ctx.redis_client
        self._owns_client = client is None
        if client is None:
            if not ctx.config.redis_url:
                raise ConfigurationError(f"the {self.name} strategy needs a Redis server: set PLSYNC_REDIS_URL or "
                                         "let the harness start one")
            client = ctx.waits.redis_client(ctx.config.redis_url)
        self.redis = client
        self.lost_locks = 0

    def prepare_under(self, lease: Lease, user_id: int, specialization: str) -> Callable[[Session], None] | None:
        """What the transaction runs first while the lock is held (nothing here; a fence in the remedy)."""
        return None

    def guarded(self, user_id: int, specialization: str, work: Callable[[Session], T]) -> tuple[T, int]:
        cfg = self.ctx.config
        # redis-py polls a held lock every 100 ms by default; a 2 ms poll keeps waiters from idling.
        lease = self.ctx.waits.lease(self.redis, f"progress_lock:{user_id}:{specialization}",
                                     ttl_s=cfg.redis_lock_ttl_s, wait_s=cfg.lock_timeout_s, poll_s=0.002,
                                     fenced=self.fenced)
        try:
            with typed_errors():  # the key holds the caller's text: a lone surrogate cannot be encoded
                acquired = lease.acquire()
        except redis.ConnectionError as exc:
            raise InfrastructureError(f"cannot reach Redis for the lock: {exc}", cause=exc) from exc
        if not acquired:
            raise ConcurrencyError(f"could not take the Redis lock for {user_id}/{specialization} within "
                                   f"{cfg.lock_timeout_s}s")
        try:
            self.ctx.at(AFTER_GUARD, None)
            return self.transaction(work, prepare=self.prepare_under(lease, user_id, specialization),
                                    guard_reached=True), 1
        finally:
            try:
                lease.release()
            except (LockNotOwnedError, LockError):
                # The lock expired while we held it: another caller may have run concurrently.
                self.lost_locks += 1
                log.warning("Redis lock for %s/%s expired before release", user_id, specialization)

    def close(self) -> None:
        if self._owns_client:
            self.ctx.waits.close_redis(self.redis)
