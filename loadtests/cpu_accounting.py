"""CPU per request, split by process: where a swarm's time goes (Locust, the API, PostgreSQL, the box).

A background thread samples each process group's CPU times and context switches (psutil, from /proc)
every few hundred milliseconds. The rate is then taken over the swarm's steady window (from Locust's own
per-second history: all users running, the first and last second dropped), so imports, spawning and
shutdown do not count, and divided by the requests Locust counted in that same window.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import psutil

#: A group's processes right now (roots; their descendants are included).
Roots = Callable[[], Sequence[int]]


@dataclass(frozen=True)
class Tick:
    t: float  # wall clock (epoch seconds), to line up with Locust's history
    user_s: float
    system_s: float
    voluntary: int
    involuntary: int


@dataclass(frozen=True)
class GroupCost:
    group: str
    processes: int
    user_us: float  # per request
    system_us: float
    cpu_us: float
    context_switches: float  # per request
    cores_busy: float


@dataclass(frozen=True)
class CpuAccount:
    window_s: float
    requests: int
    groups: list[GroupCost] = field(default_factory=list)

    def group(self, name: str) -> GroupCost | None:
        return next((g for g in self.groups if g.group == name), None)


class _Group:
    """Totals of a process tree; a process that exits keeps the times it was last seen with."""

    def __init__(self, roots: Roots) -> None:
        self.roots = roots
        self.last: dict[int, tuple[float, float, int, int]] = {}

    def tick(self, now: float) -> Tick:
        for pid in self.roots():
            with contextlib.suppress(psutil.Error):
                root = psutil.Process(pid)
                for proc in (root, *root.children(recursive=True)):
                    with contextlib.suppress(psutil.Error):
                        cpu, switches = proc.cpu_times(), proc.num_ctx_switches()
                        self.last[proc.pid] = (cpu.user, cpu.system, switches.voluntary, switches.involuntary)
        values = list(self.last.values())
        return Tick(now, sum(v[0] for v in values), sum(v[1] for v in values), sum(v[2] for v in values),
                    sum(v[3] for v in values))


class CpuSampler:
    """Samples named process groups and the whole machine until stopped."""

    def __init__(self, groups: dict[str, Roots], interval_s: float = 0.5) -> None:
        self.groups = {name: _Group(roots) for name, roots in groups.items()}
        self.interval_s = interval_s
        self.ticks: dict[str, list[Tick]] = {name: [] for name in [*groups, "box"]}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="plsync-cpu-sampler", daemon=True)

    def _sample(self) -> None:
        now = time.time()
        for name, group in self.groups.items():
            self.ticks[name].append(group.tick(now))
        box = psutil.cpu_times()
        self.ticks["box"].append(Tick(now, box.user + box.nice, box.system + box.irq + box.softirq, 0, 0))

    def _run(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(Exception):  # the sampler must never fail the run it watches
                self._sample()
            self._stop.wait(self.interval_s)

    def __enter__(self) -> CpuSampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def account(self, window: tuple[float, float], requests: int) -> CpuAccount | None:
        """CPU per request over ``window`` (epoch seconds); None when the window holds too few samples."""
        start, end = window
        if end - start < 1 or requests <= 0:
            return None
        costs = []
        for name, ticks in self.ticks.items():
            inside = [t for t in ticks if start <= t.t <= end]
            if len(inside) < 2:
                return None
            first, last = inside[0], inside[-1]
            span = last.t - first.t
            if span <= 0:
                return None
            # Requests are counted over the whole window; scale CPU to it from the samples' own span.
            scale = (end - start) / span
            user, system = (last.user_s - first.user_s) * scale, (last.system_s - first.system_s) * scale
            switches = (last.voluntary - first.voluntary + last.involuntary - first.involuntary) * scale
            processes = len(self.groups[name].last) if name in self.groups else psutil.cpu_count() or 0
            busy = user + system
            costs.append(GroupCost(name, processes, user / requests * 1e6, system / requests * 1e6,
                                   busy / requests * 1e6, switches / requests, busy / (end - start)))
        return CpuAccount(end - start, requests, costs)


def steady_window(history: Sequence[tuple[int, int, int]], users: int) -> tuple[float, float, int] | None:
    """(start, end, requests) over the seconds when all ``users`` ran, first and last second dropped.

    ``history`` is Locust's aggregated history as (epoch second, user count, total requests so far).
    """
    full = [h for h in history if h[1] >= users]
    if len(full) < 4:
        return None
    first, last = full[1], full[-2]
    return float(first[0]), float(last[0]), last[2] - first[2]


def steady_account(sampler: CpuSampler, history: Sequence[tuple[int, int, int]], users: int) -> CpuAccount | None:
    """``sampler``'s CPU per request over the steady window of ``history`` (as ``steady_window`` takes it)."""
    window = steady_window(history, users)
    return sampler.account(window[:2], window[2]) if window else None
