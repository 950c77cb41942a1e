"""What a swarm samples while it runs: how many transactions are open at once (proof the concurrency is real),
and for an overload run the API's resident memory."""

from __future__ import annotations

import threading
import time

import psutil
from sqlalchemy import text

from system.db import Database


class OpenTransactionSampler:
    """How many swarm sessions hold a transaction at the same moment (proof the concurrency is real)."""

    def __init__(self, db: Database) -> None:
        self.db, self.peak = db, 0
        #: Set once a swarm session is seen holding a transaction: the load is running.
        self.busy = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with self.db.engine.connect() as conn:
                    now = conn.execute(text(
                        "SELECT count(*) FROM pg_stat_activity WHERE (application_name LIKE 'plsync-swarm%' OR "
                        "application_name = 'plsync-api') AND state IN ('active', 'idle in transaction')"
                    )).scalar_one()
                self.peak = max(self.peak, int(now))
                if now:
                    self.busy.set()
            except Exception:  # the sampler must never fail the run it watches
                pass
            self._stop.wait(0.05)

    def __enter__(self) -> OpenTransactionSampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


class RssSampler:
    """A process's resident memory every ``every_s`` seconds, as (wall-clock time, bytes), and its CPU time
    (user + system seconds) at the same moments; a process that is gone ends the samples (what it held last is
    the last sample)."""

    def __init__(self, pid: int, every_s: float = 0.5) -> None:
        self.pid, self.every_s = pid, every_s
        self.samples: list[tuple[float, int]] = []
        self.cpu: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            process = psutil.Process(self.pid)
            while True:
                now, times = time.time(), process.cpu_times()
                self.samples.append((now, int(process.memory_info().rss)))
                self.cpu.append((now, times.user + times.system))
                if self._stop.wait(self.every_s):
                    return
        except psutil.Error:
            return

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
