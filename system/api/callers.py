"""Whether the user a token names exists and holds the role it claims, read from ``users``.

A signed token is not enough: the user may have been deleted or demoted since it was issued, or never
existed (a token minted by anyone holding the secret). The answer is cached for a few seconds
(``api_caller_cache_s``) so a swarm's thousands of requests cost one query per user per interval;
a deletion or a role change takes effect within that interval.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from cachetools import TTLCache
from sqlalchemy import select

from system.db import Database
from system.errors import AuthenticationError
from system.models import User
from system.strategies.base import typed_errors

#: Distinct callers remembered at once; bounded so the cache cannot grow without limit.
MAX_CACHED_CALLERS = 10_000


class CallerDirectory:
    def __init__(self, db: Database, ttl_s: float, *, timer: Callable[[], float] = time.monotonic) -> None:
        self.db = db
        self._cache: TTLCache[int, str | None] | None = (
            TTLCache(maxsize=MAX_CACHED_CALLERS, ttl=ttl_s, timer=timer) if ttl_s > 0 else None)
        self._lock = threading.Lock()  # TTLCache is not thread-safe, and sync callers may share a directory

    def role_of(self, user_id: int) -> str | None:
        """The user's role, or None when no such user exists."""
        if self._cache is not None:
            with self._lock:
                if user_id in self._cache:
                    return self._cache[user_id]
        with typed_errors(), self.db.transaction() as session:  # database down -> 503, not 500
            role = session.execute(select(User.role).where(User.id == user_id)).scalar_one_or_none()
        if self._cache is not None:
            with self._lock:
                self._cache[user_id] = role
        return role

    def confirm_cached(self, user_id: int, claimed_role: str) -> bool:
        """``confirm`` from the cache alone: False when the cache cannot tell (then call ``confirm``). On the
        event loop this spares the greenlet bridge for the nearly every request a cached caller makes."""
        if self._cache is None:
            return False
        with self._lock:
            if user_id not in self._cache:
                return False
            role = self._cache[user_id]
        self.check(user_id, claimed_role, role)
        return True

    def confirm(self, user_id: int, claimed_role: str) -> None:
        """AuthenticationError unless the user exists and holds ``claimed_role`` now."""
        self.check(user_id, claimed_role, self.role_of(user_id))

    @staticmethod
    def check(user_id: int, claimed_role: str, role: str | None) -> None:
        if role is None:
            raise AuthenticationError(f"bearer token for user {user_id}, who does not exist")
        if role != claimed_role:
            raise AuthenticationError(f"bearer token claims role {claimed_role}, but user {user_id} is {role}: "
                                      "ask for a new token")
