"""Concurrent level-ups on ONE student: N threads, each with its own connection, started together.

Every operation goes into a ledger; afterwards the invariant checker compares the ledger with the
database. Nothing is assumed about any strategy: lost XP and desyncs are measured and reported.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from scenarios.invariants import InvariantReport, check_invariants
from scenarios.ledger import Ledger, LedgerEntry, Outcome, outcome_of
from scenarios.runner import StrategyRunner
from system.services.types import LevelUpRequest


@dataclass(frozen=True)
class ConcurrencyOutcome:
    strategy: str
    threads: int
    ops_per_thread: int
    operations: int
    ok: int
    failed: int
    unknown: int
    retries: int
    hook_errors: int
    acknowledged_xp: int
    lost_xp: int
    desynced_pairs: int
    wall_time_s: float
    invariants: InvariantReport

    @property
    def throughput_ops_s(self) -> float:
        return self.operations / self.wall_time_s if self.wall_time_s else 0.0

    @property
    def consistent(self) -> bool:
        return self.invariants.passed


def run_concurrent_level_ups(runner: StrategyRunner, *, user_id: int, specialization: str = "PLAYER",
                             threads: int = 16, ops_per_thread: int = 50, xp: int = 7) -> ConcurrencyOutcome:
    if threads < 1 or ops_per_thread < 1:
        raise ValueError("threads and ops_per_thread must be positive")
    strategy = runner.strategy
    with runner.db.transaction() as session:
        start_xp = runner.stored_xp(session, user_id, specialization)
    ledger = Ledger()
    barrier = threading.Barrier(threads)
    hook_errors = 0
    hook_lock = threading.Lock()

    def worker() -> None:
        nonlocal hook_errors
        barrier.wait()
        for _ in range(ops_per_thread):
            request = LevelUpRequest(user_id, specialization, xp, sessions=1, reason="concurrency check")
            began = time.perf_counter()
            try:
                result = strategy.level_up(request)
            except Exception as exc:
                ledger.record(LedgerEntry("level_up", user_id, specialization, xp, outcome_of(exc),
                                          time.perf_counter() - began, error=f"{type(exc).__name__}: {exc}"))
                continue
            ledger.record(LedgerEntry("level_up", user_id, specialization, xp, Outcome.OK,
                                      time.perf_counter() - began, result.attempts))
            if result.hook_error:
                with hook_lock:
                    hook_errors += 1

    pool = [threading.Thread(target=worker, name=f"levelup-{i}") for i in range(threads)]
    began = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    wall = time.perf_counter() - began
    with runner.db.transaction() as session:
        report = check_invariants(session, ledger, {(user_id, specialization): start_xp})
    counts = ledger.counts()
    return ConcurrencyOutcome(
        strategy=strategy.name, threads=threads, ops_per_thread=ops_per_thread,
        operations=threads * ops_per_thread, ok=counts["ok"], failed=counts["failed"], unknown=counts["unknown"],
        retries=ledger.retries(), hook_errors=hook_errors,
        acknowledged_xp=sum(ledger.xp_by_pair(Outcome.OK).values()),
        lost_xp=report.get("lost_updates").amount, desynced_pairs=report.violations("desynced_pairs"),
        wall_time_s=wall, invariants=report)
