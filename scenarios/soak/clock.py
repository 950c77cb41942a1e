"""The soak's two clocks: real time compressed by a speed-up, and a virtual clock that skips idle time.

Why the virtual clock is faithful. APScheduler 3.x has no clock hook: it reads ``datetime.now`` in
``_process_jobs`` (what is due), in ``run_job`` (the misfire check) and in the interval trigger, and its
thread sleeps on ``Event.wait(seconds)`` in real monotonic time. The job writes ``datetime.now`` into its
JSON log and the health monitor compares that with its own ``now``. time-machine patches the wall clock at
C level (``time.time``, ``datetime.now``...) for every thread, and since version 3 leaves ``time.monotonic``
and ``perf_counter`` alone. So one ``travel(tick=True)`` gives every reader of the wall clock in this
process -- scheduler, executor, trigger, job log, health monitor -- the same virtual time, with no change to
the production job; waits and measured durations stay real. The clock only ever jumps forward to the
scheduler's own ``next_run_time`` (or a health poll) while nothing is running, then wakes the scheduler
thread: what is skipped is exactly the time the process would spend asleep. Between jumps virtual time
ticks at the real rate, so a run's lateness and its logged start and end are real. PostgreSQL's ``now()``
stays real: no age in the soak is computed from it. The clients run in a process of their own on real time
(clients.py); nothing they do reads the wall clock for an age either: the database stamps their rows.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Protocol

import time_machine

from system.errors import ConfigurationError

#: Where a virtual soak's day starts: fixed, so the schedule (and every log name) is the same each time.
VIRTUAL_EPOCH = datetime(2025, 10, 25, tzinfo=UTC)
CLOCKS = ("real", "virtual")


class SoakClock(Protocol):
    name: str
    #: Soak seconds per real second: the speed-up of a real clock; 1 for the virtual one (it skips, it
    #: does not run faster).
    scale: float

    def now(self) -> datetime: ...

    def wait_until(self, when: datetime, wake: Callable[[], None]) -> None:
        """Let time pass until ``when``; ``wake`` tells the scheduler to look at its jobs again."""

    def __enter__(self) -> SoakClock: ...

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None: ...


class RealClock:
    """Wall time. The soak compresses the schedule (interval, grace, health limit) by ``speedup`` instead."""

    name = "real"

    def __init__(self, speedup: float) -> None:
        if speedup <= 0:
            raise ConfigurationError(f"the speed-up must be positive, got {speedup}")
        self.scale = float(speedup)

    def now(self) -> datetime:
        return datetime.now(UTC)

    def wait_until(self, when: datetime, wake: Callable[[], None]) -> None:
        delay = (when - self.now()).total_seconds()
        if delay > 0:
            time.sleep(delay)

    def __enter__(self) -> RealClock:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        return None


class VirtualClock:
    """The wall clock of this whole process, moved by time-machine (see the module's docstring)."""

    name = "virtual"
    scale = 1.0

    def __init__(self, start: datetime = VIRTUAL_EPOCH) -> None:
        self.start = start
        self._travel = time_machine.travel(start, tick=True)
        self._traveller: time_machine.Traveller | None = None
        #: Total time skipped, in seconds: the soak's figure of how much waiting it did not do.
        self.skipped_s = 0.0

    def now(self) -> datetime:
        return datetime.now(UTC)

    def wait_until(self, when: datetime, wake: Callable[[], None]) -> None:
        if self._traveller is None:
            raise RuntimeError("the virtual clock is not running (use it as a context manager)")
        ahead = (when - self.now()).total_seconds()
        if ahead > 0:  # never backwards: a clock that goes back would re-run what already ran
            self._traveller.move_to(when)
            self.skipped_s += ahead
        wake()

    def __enter__(self) -> VirtualClock:
        self._traveller = self._travel.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._travel.stop()
        self._traveller = None


def make_clock(name: str, speedup: float) -> SoakClock:
    if name == "real":
        return RealClock(speedup)
    if name == "virtual":
        return VirtualClock()
    raise ConfigurationError(f"unknown clock {name!r} (choose from {', '.join(CLOCKS)})")


def soak_seconds(clock: SoakClock, since: datetime, until: datetime | None = None) -> float:
    """Seconds of the soak's clock between two readings of ``clock`` (real ones scaled by the speed-up)."""
    return ((until or clock.now()) - since).total_seconds() * clock.scale


def after(when: datetime, soak_s: float, clock: SoakClock) -> datetime:
    """The reading of ``clock`` that lies ``soak_s`` seconds of soak time after ``when``."""
    return when + timedelta(seconds=soak_s / clock.scale)
