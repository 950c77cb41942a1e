"""Lock hold time as pytest-benchmark's clock: a timer that advances only while the measured lock is held.

pytest-benchmark reads its timer before and after each call of the benchmarked function. This clock
starts a lock interval when the strategy reaches the checkpoint just after its locking statement returns
(``FOR UPDATE`` for ``coupled``), and closes it at the next reading: the call has returned, so its
transaction has committed. Every round's duration is then that round's lock hold, measured from
inside the transaction, through the system's own code path; pytest-benchmark's statistics, JSON and
comparisons work on it unchanged (``@pytest.mark.benchmark(timer=LOCK_CLOCK)``).
"""

from __future__ import annotations

import time

from system.services.checkpoints import AFTER_PROGRESS_READ, AFTER_PROGRESS_WRITE

#: Per strategy, the checkpoint reached right after its lock is taken, and what that lock is.
LOCK_TAKEN = {
    "coupled": (AFTER_PROGRESS_READ, "row locks: SELECT ... FOR UPDATE OF progress, license"),
    "trigger": (AFTER_PROGRESS_WRITE, "row locks: the progress UPDATE (the trigger locks the license)"),
    "advisory": (AFTER_PROGRESS_READ, "pg_advisory_xact_lock, taken one statement before this checkpoint: "
                                      "the figure is short by that statement"),
}


class LockClock:
    __name__ = "lock_clock"  # pytest-benchmark names the timer in its report

    def __init__(self) -> None:
        self.held = 0.0
        self.point: str | None = None
        self._since: float | None = None

    def arm(self, point: str) -> None:
        self.point, self._since = point, None

    def at(self, point: str, _session: object) -> None:
        """The strategy's checkpoint hook: the lock has just been taken."""
        if point == self.point and self._since is None:
            self._since = time.perf_counter()

    def __call__(self) -> float:
        if self._since is not None:
            self.held += time.perf_counter() - self._since
            self._since = None
        return self.held


LOCK_CLOCK = LockClock()
