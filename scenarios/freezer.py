"""Freezing real processes with SIGSTOP and SIGCONT: the kernel stops every thread of the client at once,
its sockets, sessions and leases stay as they are, exactly like a stop-the-world pause.

A client process can freeze itself at a named checkpoint (``PLSYNC_FREEZE_AT``: the CLI reads it) and
the harness thaws it; or the harness freezes a process at a random moment (the swarm's pause
nemesis). Whoever freezes a process thaws it, in a ``finally``: no test or run leaves one stopped.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psutil
from sqlalchemy.orm import Session

from scenarios.nemesis import FaultPlan

FREEZE_AT = "PLSYNC_FREEZE_AT"


def _stop_self(_point: str, _session: Session | None) -> None:
    os.kill(os.getpid(), signal.SIGSTOP)  # returns only once someone sends SIGCONT


def freeze_plan_from_env(env: Mapping[str, str]) -> FaultPlan | None:
    """A fault plan that stops this very process at the checkpoint ``PLSYNC_FREEZE_AT`` names, once."""
    point = env.get(FREEZE_AT, "").strip()
    return FaultPlan().at(point, _stop_self) if point else None


def thaw(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # it died meanwhile: nothing left to thaw
        os.kill(pid, signal.SIGCONT)


def is_stopped(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_STOPPED
    except psutil.NoSuchProcess:
        return False


def wait_until_stopped(pid: int, timeout_s: float) -> bool:
    """True once the process is stopped (it froze itself); False if it ended or the time ran out first."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if is_stopped(pid):
            return True
        if not psutil.pid_exists(pid):
            return False
        time.sleep(0.005)
    return False


@contextmanager
def frozen(pid: int) -> Iterator[None]:
    """The process is stopped inside the block and running again after it, however the block ends."""
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        thaw(pid)


@dataclass(frozen=True)
class PauseSchedule:
    """When a swarm's pause nemesis freezes a process, and the lease it is meant to outlive."""

    name: str
    first_after_s: float
    pause_s: tuple[float, float]
    gap_s: tuple[float, float]
    #: The Redis lock's time to live during the run: shorter than every pause.
    redis_lock_ttl_s: float

    def __post_init__(self) -> None:
        low, high = self.pause_s
        if not 0 < low <= high or not 0 <= self.gap_s[0] <= self.gap_s[1] or self.first_after_s < 0:
            raise ValueError(f"pause schedule {self.name}: bad ranges")
        if self.redis_lock_ttl_s >= low:
            raise ValueError(f"pause schedule {self.name}: the lease ({self.redis_lock_ttl_s}s) must be shorter "
                             f"than every pause ({low}s)")
        if high >= 3.5:  # Locust's master declares a worker missing after ~4 s without a heartbeat
            raise ValueError(f"pause schedule {self.name}: pauses past 3.5s would make Locust drop the worker")


#: The swarm nemeses, by name (``plsync swarm --nemesis NAME``).
SWARM_NEMESES: dict[str, PauseSchedule] = {s.name: s for s in (
    PauseSchedule("pause", first_after_s=1.0, pause_s=(1.0, 2.5), gap_s=(0.5, 1.5), redis_lock_ttl_s=0.5),
)}


class PauseNemesis:
    """Freezes one of ``targets`` (name -> pid) at random moments for random lengths, from when ``begin`` is set
    (the load is running) for ``duration_s`` or until stopped; every frozen process is thawed before
    ``stop()`` returns."""

    def __init__(self, targets: dict[str, int], schedule: PauseSchedule, *, seed: int,
                 begin: threading.Event | None = None, duration_s: float = float("inf")) -> None:
        if not targets:
            raise ValueError("the pause nemesis needs a process to freeze")
        self.targets, self.schedule, self.duration_s = targets, schedule, duration_s
        self.begin = begin or threading.Event()
        if begin is None:
            self.begin.set()
        self.rng = random.Random(seed)
        self.events: list[dict[str, Any]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pause-nemesis", daemon=True)
        self._began = 0.0

    def _waiting(self, seconds: float) -> bool:
        """Sleep (stop-aware); True while the nemesis should carry on."""
        return not self._stop.wait(seconds)

    def _run(self) -> None:
        while not self.begin.wait(0.05):
            if self._stop.is_set():
                return
        self._began = time.monotonic()
        low, high = self.schedule.pause_s
        if not self._waiting(self.schedule.first_after_s):
            return
        # The last freeze ends before the load does: a process frozen at shutdown measures nothing.
        while time.monotonic() - self._began + high <= self.duration_s and not self._stop.is_set():
            name = self.rng.choice(sorted(self.targets))
            pid, length = self.targets[name], round(self.rng.uniform(low, high), 3)
            at = time.monotonic() - self._began
            try:
                with frozen(pid):
                    self._stop.wait(length)
            except ProcessLookupError:
                self.events.append({"at_s": round(at, 3), "target": name, "pid": pid, "gone": True})
                return
            self.events.append({"at_s": round(at, 3), "target": name, "pid": pid,
                                "frozen_s": round(time.monotonic() - self._began - at, 3)})
            self._stop.wait(self.rng.uniform(*self.schedule.gap_s))

    def start(self) -> PauseNemesis:
        self._thread.start()
        return self

    def __enter__(self) -> PauseNemesis:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        for pid in self.targets.values():
            thaw(pid)  # belt and braces: nothing stays stopped, whatever happened in the thread
