"""``redis_fenced``: the ``redis`` strategy with a fencing token the database checks (the remedy for a
lease outlived by a frozen holder).

Redis gives every acquisition of a pair's lock a number one higher than the last, in the same script
that sets the lock, so the numbers follow the order in which the lock was really held. The
transaction's first statement raises the pair's fence (table ``lock_fences``) to that number, and is
refused when the fence already holds a higher one: a holder that froze past its lease and woke after
a newer holder reached the database is turned away, rolled back whole, and told so.

The fence is checked *first*, before anything is read, and its row stays locked until commit. Checked
at the write instead, it would let a newer holder read while a frozen older one still had an
uncommitted write on the row, then overwrite that write with totals computed from the stale read.
Row lock and number split the work: the lock keeps a newer holder from reading past an older open
transaction; the number refuses an older holder that arrives after a newer one.

The counter lives in Redis beside the lock and must outlive the fences: a Redis that loses it (no
persistence, flushed) issues numbers the database has already passed, and every write is refused
until the counter catches up or the fences are reset."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.orm import Session

from system.errors import ConcurrencyError
from system.strategies.base import register
from system.strategies.redis_lock import RedisLockStrategy
from system.strategies.waits import Lease

_RAISE_FENCE = text("""
    INSERT INTO lock_fences AS f (user_id, specialization_id, token) VALUES (:u, :s, :t)
    ON CONFLICT (user_id, specialization_id) DO UPDATE SET token = excluded.token, fenced_at = now()
     WHERE f.token < excluded.token
    RETURNING f.token""")


class FencedOutError(ConcurrencyError):
    """A newer holder of the pair's lock has reached the database: this one's lease ran out."""


@register
class RedisFencedStrategy(RedisLockStrategy):
    name = "redis_fenced"
    description = "the Redis lock plus a fencing token the database checks before anything is read"
    fenced = True
    remedy_for = "redis"

    def prepare_under(self, lease: Lease, user_id: int, specialization: str) -> Callable[[Session], None]:
        assert lease.fence is not None
        token = lease.fence

        def raise_fence(session: Session) -> None:
            params = {"u": user_id, "s": specialization, "t": token}
            if session.execute(_RAISE_FENCE, params).first() is None:
                newer = session.execute(text("SELECT token FROM lock_fences WHERE user_id = :u AND "
                                             "specialization_id = :s"), params).scalar()
                raise FencedOutError(f"fenced out: the Redis lock for {user_id}/{specialization} expired while "
                                     f"this client held it (token {token}) and a newer holder (token {newer}) "
                                     "has written since; nothing was changed")

        return raise_fence
