"""The open model inside one Locust process: a scheduler greenlet and the users that take its slots.

The scheduler walks the process's share of the arrival schedule (loadtests/arrivals.py) on the clock and
queues each intended start time when it comes due, whether or not any reply has arrived; when it runs
behind it queues every overdue slot at once (no catch-up is skipped). A bounded pool of Locust users
(``-u``: k6's maxVUs) takes slots from the queue: a slot that waited past the late limit is counted as
dropped and not sent; a slot still queued when the run ends is counted as unstarted. Every request sent
records its response time (end - intended start), service time (end - actual start) and schedule lag
(actual start - intended start), and the scheduler records its own dispatch lag (when it queued the slot -
intended start): lag there is the generator's, not the system's.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import gevent
from gevent.queue import Empty, Queue

from loadtests.arrivals import ArrivalPlan
from loadtests.histograms import LatencyHistogram
from loadtests.intervals import Intervals

HISTOGRAMS = ("response", "service", "lag", "dispatch")
#: How long an idle user waits for a slot before it passes through Locust's task loop again: each wake-up
#: costs CPU, so idle users wake rarely. Stopping does not wait for it: ``stop`` wakes every idle user.
TAKE_TIMEOUT_S = 10.0


class OpenLoad:
    def __init__(self, plan: ArrivalPlan, run_time_s: float, *, worker: int = 0, workers: int = 1,
                 intervals: Intervals | None = None) -> None:
        self.plan, self.run_time_s, self.worker, self.workers = plan, run_time_s, worker, workers
        #: Per-second and per-phase counts (an overload run's), fed from each call's reply status.
        self.intervals = intervals
        self.histograms = {name: LatencyHistogram() for name in HISTOGRAMS}
        self.counts = {"scheduled": 0, "started": 0, "completed": 0, "dropped_late": 0, "unstarted_at_end": 0,
                       "warmup": 0}
        self._queue: Queue[tuple[float, bool] | None] = Queue()
        self._closed = False
        self._in_flight = 0
        self._greenlet: gevent.Greenlet | None = None
        self._t0: float | None = None
        self._elapsed_s: float | None = None

    # -- the scheduler ---------------------------------------------------------------------------------
    def start(self, epoch: float | None = None) -> None:
        """Start the schedule now, or at the wall-clock ``epoch`` every worker shares (slots already due when a
        worker starts late are queued at once and show as its dispatch lag: the schedule does not move)."""
        if self._greenlet is None:
            self._t0 = time.perf_counter() + (epoch - time.time() if epoch else 0.0)
            if self.intervals is not None:
                self.intervals.epoch = time.time() + (self._t0 - time.perf_counter())
            self._greenlet = gevent.spawn(self._run, self._t0)

    def _run(self, t0: float) -> None:
        dispatch = self.histograms["dispatch"]
        for offset in self.plan.offsets(self.run_time_s, worker=self.worker, workers=self.workers):
            intended = t0 + offset
            delay = intended - time.perf_counter()
            if delay > 0:
                gevent.sleep(delay)
            steady = offset >= self.plan.warmup_s  # a warm-up slot is sent like any other, left out of the figures
            if steady:
                dispatch.record_seconds(time.perf_counter() - intended)
            self.counts["scheduled" if steady else "warmup"] += 1
            if steady and self.intervals is not None:
                self.intervals.offered(offset)
            self._queue.put((intended, steady))

    def stop(self) -> None:
        """No more slots: called when Locust starts stopping, before the users finish their requests. The
        slots still queued are accounted for: those already past the late limit are dropped (they would have
        been), the rest were cut off by the end of the run. Every idle user is woken, so the run ends at once
        instead of when the last idle user's wait times out."""
        if self._greenlet is None or self._elapsed_s is not None:
            return
        self._greenlet.kill(block=True)
        now = time.perf_counter()
        self._elapsed_s = max(0.0, now - (self._t0 or now))
        self._closed = True
        while not self._queue.empty():
            slot = self._queue.get_nowait()
            if slot is not None and slot[1]:
                intended = slot[0]
                late = now - intended > self.plan.late_limit_s
                self.counts["dropped_late" if late else "unstarted_at_end"] += 1
                if late and self.intervals is not None:
                    self.intervals.dropped(intended - (self._t0 or now))
        for _ in range(self.plan.max_users):  # one wake-up per user that may be waiting
            self._queue.put(None)

    # -- the users -------------------------------------------------------------------------------------
    def serve(self, call: Callable[[], Any]) -> None:
        """Take one slot and send it; return without one after a long idle wait, or at once when stopped (so
        Locust can stop the user). ``call`` may return the reply's ``(status, error)`` (0: no reply) for the
        intervals."""
        if self._closed:
            gevent.sleep(0.01)  # stopped: Locust marks the user as stopping in a moment; do not spin meanwhile
            return
        try:
            slot = self._queue.get(timeout=TAKE_TIMEOUT_S)
        except Empty:
            return
        if slot is None:
            return
        intended, steady = slot
        began = time.perf_counter()
        lag = began - intended
        if lag > self.plan.late_limit_s:
            if steady:
                self.counts["dropped_late"] += 1
                if self.intervals is not None:
                    self.intervals.dropped(intended - (self._t0 or intended))
            return
        if not steady:
            call()
            return
        self.counts["started"] += 1
        self._in_flight += 1
        reply = call()  # the clients catch and report their own errors; a kill at the end leaves it in flight
        ended = time.perf_counter()
        self._in_flight -= 1
        self.counts["completed"] += 1
        self.histograms["lag"].record_seconds(lag)
        self.histograms["service"].record_seconds(ended - began)
        self.histograms["response"].record_seconds(ended - intended)
        if self.intervals is not None and isinstance(reply, tuple):
            t0 = self._t0 or intended
            self.intervals.reply(intended - t0, began - t0, ended - t0, *reply)

    # -- what goes to the run directory ----------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """This process's share: counts and encoded histograms (merged by the master or the harness)."""
        elapsed = self._elapsed_s if self._elapsed_s is not None else (
            max(0.0, time.perf_counter() - self._t0) if self._t0 is not None else 0.0)
        return {"worker": self.worker, "workers": self.workers, "schedule_s": elapsed, "warmup_s": self.plan.warmup_s,
                "counts": {**self.counts, "in_flight_at_end": self._in_flight},
                "clamped": sum(h.clamped for h in self.histograms.values()),
                "histograms": {name: h.encode() for name, h in self.histograms.items()}}
