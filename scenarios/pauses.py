"""Process pauses: one client frozen at a named checkpoint of a level-up, for a chosen time, while another
client levels up the same pair; then it wakes and carries on as if nothing happened.

The limits a frozen client may outlive are shortened (``LIMITS``) so that a cell takes about a second:
the Redis lock's time to live, PostgreSQL's ``lock_timeout`` (how long the others wait for a lock, Redis
lock included) and ``idle_in_transaction_session_timeout`` (when the server ends a session frozen
inside a transaction). Each case's pause lies on a stated side of each limit, at least ``MARGIN_S``
away from it. The lease is the shortest limit and lock_timeout well above it, so the other client's
first wait always outlasts the lease: it enters the moment the lease runs out, never by a race.

The frozen client A adds 600 XP and 6 sessions (level 1 -> 2). The other client, B, starts as A freezes
and adds 9 XP (never a level), trying again whenever it is told it failed, until it succeeds.
A is a thread here, stalled at the checkpoint; ``scenarios.freezer`` freezes real processes.
"""

from __future__ import annotations

from dataclasses import dataclass

from system.services.checkpoints import AFTER_GUARD, AFTER_PROGRESS_READ, AFTER_PROGRESS_WRITE, BEFORE_COMMIT

#: A pause this close to a limit would measure the machine's scheduling, not the limit.
MARGIN_S = 0.1
#: How often the other client tries before it gives up (it stops at its first success).
OTHER_ATTEMPTS = 8


@dataclass(frozen=True)
class PauseLimits:
    redis_lock_ttl_s: float
    lock_timeout_s: float
    idle_in_transaction_s: float

    def __post_init__(self) -> None:
        if not self.redis_lock_ttl_s + 2 * MARGIN_S <= self.lock_timeout_s < self.idle_in_transaction_s:
            raise ValueError("the lease must be the shortest limit, lock_timeout at least two margins above it "
                             "(the other client's first wait outlasts the lease) and below the idle timeout")

    def overrides(self) -> dict[str, object]:
        """SystemConfig fields for every client of a pause cell."""
        return {"redis_lock_ttl_s": self.redis_lock_ttl_s, "lock_timeout_s": self.lock_timeout_s,
                "idle_in_transaction_timeout_ms": round(self.idle_in_transaction_s * 1000)}

    def named(self) -> dict[str, float]:
        return {"redis_lock_ttl": self.redis_lock_ttl_s, "lock_timeout": self.lock_timeout_s,
                "idle_in_transaction_session_timeout": self.idle_in_transaction_s}

    def horizons(self) -> dict[str, float]:
        """Every moment a pause must keep clear of: the limits, and when a client that took an expired
        lease gives up waiting behind the frozen client's database locks (lease + lock_timeout)."""
        return self.named() | {"redis_lock_ttl + lock_timeout": self.redis_lock_ttl_s + self.lock_timeout_s}


LIMITS = PauseLimits(redis_lock_ttl_s=0.15, lock_timeout_s=0.5, idle_in_transaction_s=0.9)


@dataclass(frozen=True)
class PauseCase:
    name: str
    point: str
    pause_s: float
    description: str
    #: Probes the far side of a single limit; the other cases already show each design's outcome.
    boundary: bool = False
    #: A later point of the operation than after_read, which already shows each design's loss or its
    #: prevention; these show the same mechanisms where more is held (a written row, everything but COMMIT).
    later_point: bool = False

    def __post_init__(self) -> None:
        if self.point not in POINTS:
            raise ValueError(f"pause case {self.name}: unknown checkpoint {self.point!r}")
        for limit, value in LIMITS.horizons().items():
            if abs(self.pause_s - value) < MARGIN_S:
                raise ValueError(f"pause case {self.name}: {self.pause_s}s is within {MARGIN_S}s of {limit} "
                                 f"({value}s); the cell would measure noise")

    def sides(self) -> dict[str, str]:
        """On which side of each limit the pause lies (evidence, and the reason for the expectation)."""
        return {limit: ("past" if self.pause_s > value else "within") for limit, value in LIMITS.horizons().items()}


POINTS = {
    AFTER_GUARD: "after taking its lock",
    AFTER_PROGRESS_READ: "after reading",
    AFTER_PROGRESS_WRITE: "between the writes",
    BEFORE_COMMIT: "before commit",
}

#: Within every limit; past the lease only (leaving the other client a quarter second to act on the expired
#: lease before A wakes); past the lease and lock_timeout (even counted from the lease's end); past the
#: idle timeout too.
SHORT, LEASE, LOCK, LONG = 0.04, 0.38, 0.78, 1.02

PAUSE_CASES: tuple[PauseCase, ...] = (
    PauseCase("process_pause_after_guard", AFTER_GUARD, LEASE, "frozen after taking its lock, past the lease",
              boundary=True),
    PauseCase("process_pause_after_read_short", AFTER_PROGRESS_READ, SHORT,
              "frozen after reading, within every limit (the control)", boundary=True),
    PauseCase("process_pause_after_read", AFTER_PROGRESS_READ, LOCK,
              "frozen after reading, past the lease and lock_timeout"),
    PauseCase("process_pause_after_read_long", AFTER_PROGRESS_READ, LONG,
              "frozen after reading, past the server's idle-in-transaction timeout", boundary=True),
    PauseCase("process_pause_between_writes", AFTER_PROGRESS_WRITE, LEASE,
              "frozen between the progress and the license write, past the lease", later_point=True),
    PauseCase("process_pause_before_commit", BEFORE_COMMIT, LEASE,
              "frozen with everything written, before COMMIT, past the lease", later_point=True),
)
