"""The open model inside one Locust process: users that take the arrival schedule's slots themselves.

The process's share of the arrival schedule (loadtests/arrivals.py) is fixed before any reply arrives. A
bounded pool of Locust users (``-u``: k6's maxVUs) walks it: a free user claims the next slot nobody has
claimed and sleeps until its intended start, whether or not any reply has arrived; when every user was busy
past a slot's start, the first one free claims it at once (no catch-up is skipped). That is the queue a
scheduler greenlet would fill, without the scheduler: no extra greenlet switch and no queue per request
(about 12 us of CPU less per request in process). A slot claimed past the late limit is counted as
dropped and not sent; a slot due but not taken when the run ends is counted as unstarted. Every request sent
records its response time (end - intended start), service time (end - actual start) and schedule lag
(actual start - intended start). The dispatch lag is the generator's own part of that lag: how late the user
got to the slot after both were ready (it woke from its sleep late, or it was free but its greenlet had not
run yet): lag there is the generator's, not the system's.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import gevent
from gevent.event import Event
from gevent.hub import Waiter, get_hub

from loadtests.arrivals import ArrivalPlan
from loadtests.histograms import LatencyHistogram
from loadtests.intervals import Intervals

HISTOGRAMS = ("response", "service", "lag", "dispatch")
#: How long a user spawned before the schedule starts waits for it before passing through Locust's task loop
#: again (``start`` and ``stop`` wake every such user at once).
TAKE_TIMEOUT_S = 10.0
#: What a sleeping user is woken with when the run stops before its slot is due.
_STOPPED = object()


class OpenLoad:
    def __init__(self, plan: ArrivalPlan, run_time_s: float, *, worker: int = 0, workers: int = 1,
                 intervals: Intervals | None = None) -> None:
        self.plan, self.run_time_s, self.worker, self.workers = plan, run_time_s, worker, workers
        #: Per-second and per-phase counts (an overload run's), fed from each call's reply status.
        self.intervals = intervals
        self.histograms = {name: LatencyHistogram() for name in HISTOGRAMS}
        self.counts = {"scheduled": 0, "started": 0, "completed": 0, "dropped_late": 0, "unstarted_at_end": 0,
                       "warmup": 0}
        self._offsets: Iterator[float] | None = None
        self._in_flight = 0
        self._t0: float | None = None
        self._elapsed_s: float | None = None
        self._began = Event()  # the schedule started (or was stopped before it did)
        self._stopped = Event()
        #: Slots claimed by sleeping users (they count as scheduled only once due), and how to wake each user.
        self._asleep: dict[int, tuple[float, bool]] = {}
        self._waiters: dict[int, Waiter[Any]] = {}
        #: When each user (by greenlet) last became free to take a slot.
        self._free: dict[int, float] = {}

    # -- the schedule ----------------------------------------------------------------------------------
    def start(self, epoch: float | None = None) -> None:
        """Start the schedule now, or at the wall-clock ``epoch`` every worker shares (slots already due when a
        worker starts late are taken at once and show as its dispatch lag: the schedule does not move)."""
        if self._t0 is None:
            self._t0 = time.perf_counter() + (epoch - time.time() if epoch else 0.0)
            self._offsets = self.plan.offsets(self.run_time_s, worker=self.worker, workers=self.workers)
            if self.intervals is not None:
                self.intervals.epoch = time.time() + (self._t0 - time.perf_counter())
            self._began.set()

    def stop(self) -> None:
        """No more slots: called when Locust starts stopping, before the users finish their requests. Every due
        slot nobody took is accounted for: those already past the late limit are dropped (they would have
        been), the rest were cut off by the end of the run. Sleeping users are woken, so the run ends at once."""
        if self._t0 is None or self._offsets is None or self._elapsed_s is not None:
            self._stopped.set()
            self._began.set()
            return
        now = time.perf_counter()
        self._elapsed_s = max(0.0, now - self._t0)
        self._stopped.set()
        for intended, steady in self._asleep.values():  # claimed, due, but not yet sent: cut off
            if intended <= now:
                self._count_due(steady, intended)
                if steady:
                    self.counts["unstarted_at_end"] += 1
        self._asleep.clear()
        hub = get_hub()
        for waiter in self._waiters.values():  # from the hub, as a timer would: each sleeper resumes, told why
            hub.loop.run_callback(waiter.switch, _STOPPED)
        self._waiters.clear()
        for offset in self._offsets:
            intended = self._t0 + offset
            if intended > now:
                break
            steady = offset >= self.plan.warmup_s
            self._count_due(steady, intended)
            if steady:
                late = now - intended > self.plan.late_limit_s
                self.counts["dropped_late" if late else "unstarted_at_end"] += 1
                if late and self.intervals is not None:
                    self.intervals.dropped(offset)

    def _count_due(self, steady: bool, intended: float) -> None:
        self.counts["scheduled" if steady else "warmup"] += 1
        if steady and self.intervals is not None and self._t0 is not None:
            self.intervals.offered(intended - self._t0)

    # -- the users -------------------------------------------------------------------------------------
    def serve(self, call: Callable[[], Any]) -> None:
        """Claim the next slot, sleep until it is due and send it; return at once when stopped (so Locust can
        stop the user). ``call`` may return the reply's ``(status, error)`` (0: no reply) for the intervals."""
        if self._stopped.is_set():
            gevent.sleep(0.01)  # stopped: Locust marks the user as stopping in a moment; do not spin meanwhile
            return
        if self._offsets is None or self._t0 is None:
            self._began.wait(TAKE_TIMEOUT_S)
            return
        me = id(gevent.getcurrent())
        claimed = time.perf_counter()
        offset = next(self._offsets)
        intended, steady = self._t0 + offset, offset >= self.plan.warmup_s
        ready = max(intended, self._free.get(me, claimed))
        if intended > claimed:
            self._asleep[me] = (intended, steady)
            if self._sleep(me, intended - claimed) is _STOPPED:
                return  # the run ended first: a slot not due, or counted by stop()
            self._asleep.pop(me, None)
        began = time.perf_counter()
        self._count_due(steady, intended)
        lag = began - intended
        if lag > self.plan.late_limit_s:
            if steady:
                self.counts["dropped_late"] += 1
                if self.intervals is not None:
                    self.intervals.dropped(offset)
            self._free[me] = began
            return
        if not steady:
            call()
            self._free[me] = time.perf_counter()
            return
        self.histograms["dispatch"].record_seconds(max(0.0, began - ready))
        self.counts["started"] += 1
        self._in_flight += 1
        reply = call()  # the clients catch and report their own errors; a kill at the end leaves it in flight
        ended = time.perf_counter()
        self._in_flight -= 1
        self.counts["completed"] += 1
        self._free[me] = ended
        self.histograms["lag"].record_seconds(lag)
        self.histograms["service"].record_seconds(ended - began)
        self.histograms["response"].record_seconds(ended - intended)
        if self.intervals is not None and isinstance(reply, tuple):
            self.intervals.reply(offset, began - self._t0, ended - self._t0, *reply)

    def _sleep(self, me: int, seconds: float) -> object:
        """``gevent.sleep`` (a timer and a switch to the hub, the cheapest wait there is) that ``stop`` can cut
        short: it returns ``_STOPPED`` then."""
        hub = get_hub()
        waiter: Waiter[Any] = Waiter(hub)
        timer = hub.loop.timer(seconds)
        timer.start(waiter.switch, None)
        self._waiters[me] = waiter
        try:
            return waiter.get()
        finally:
            timer.stop()
            timer.close()
            self._waiters.pop(me, None)

    # -- what goes to the run directory ----------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """This process's share: counts and encoded histograms (merged by the master or the harness)."""
        elapsed = self._elapsed_s if self._elapsed_s is not None else (
            max(0.0, time.perf_counter() - self._t0) if self._t0 is not None else 0.0)
        return {"worker": self.worker, "workers": self.workers, "schedule_s": elapsed, "warmup_s": self.plan.warmup_s,
                "counts": {**self.counts, "in_flight_at_end": self._in_flight},
                "clamped": sum(h.clamped for h in self.histograms.values()),
                "histograms": {name: h.encode() for name, h in self.histograms.items()}}
