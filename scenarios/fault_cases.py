"""Injected faults (backend killed, lock and statement timeouts, server restart) and the randomized
variants of the races (N sessions, M iterations): luck is measured, never asserted."""

from __future__ import annotations

import threading
import time

from scenarios.ledger import Ledger, Outcome
from scenarios.nemesis import (
    holding_row_lock,
    statement_timeout,
    terminate_own_backend,
)
from scenarios.scenario import SKIPPED, Observation, ScenarioEnv, settle
from scenarios.steps import at_once, attempt, history_rows, level_up_into, level_up_with_fault, levels
from system.services.types import Direction, LevelUpRequest


def backend_terminated(env: ScenarioEnv) -> Observation:
    """pg_terminate_backend on the session between the progress write and the license write."""
    return level_up_with_fault(env, terminate_own_backend(env.admin))


def statement_timeout_expiry(env: ScenarioEnv) -> Observation:
    """A statement after the progress write runs past statement_timeout."""
    return level_up_with_fault(env, statement_timeout(50))


def lock_timeout_expiry(env: ScenarioEnv) -> Observation:
    """Another session holds the license row longer than lock_timeout while a student levels up."""
    env.reset()
    (u,) = env.students()
    with env.strategy(lock_timeout_s=0.3) as strategy, \
            holding_row_lock(env.admin, "user_licenses", "user_id", "specialization_type", u, "PLAYER"):
        result, error = attempt(lambda: strategy.level_up(LevelUpRequest(u, "PLAYER", 600, 6)))
    told = error or f"ok, hook error: {result.hook_error}"
    return settle(env, evidence={"client_was_told": told, "after": levels(env, u, "PLAYER")})


def database_restart(env: ScenarioEnv) -> Observation:
    """4 sessions level up 2 students while the server restarts (fast shutdown) under them."""
    if env.postgres is None:
        return Observation(SKIPPED, {"reason": "needs a PostgreSQL server the harness started (embedded)"})
    env.reset()
    students = env.students(2)
    ledger = Ledger()
    done = threading.Event()
    restarted: dict[str, float] = {}

    def nemesis() -> None:
        while len(ledger.entries) < 30 and not done.is_set():
            time.sleep(0.005)
        began = time.perf_counter()
        env.postgres.restart("fast")  # type: ignore[union-attr]
        restarted["seconds"] = time.perf_counter() - began

    chaos = threading.Thread(target=nemesis)
    chaos.start()
    def session(i: int) -> None:
        for _ in range(40):
            outcome = level_up_into(ledger, strategy, LevelUpRequest(students[i % 2], "PLAYER", 40, 1))
            if outcome is Outcome.UNKNOWN:
                time.sleep(0.05)  # a client backs off while the server is away, then carries on

    with env.strategy(connections=6) as strategy:
        at_once(4, session)
    done.set()
    chaos.join()
    baseline = {(s, "PLAYER"): 0 for s in students}
    return settle(env, ledger=ledger, baseline=baseline,
                  evidence={"restart_seconds": restarted.get("seconds"), "ledger": ledger.counts()})


def concurrent_level_up_randomized(env: ScenarioEnv, sessions: int = 8, iterations: int = 25) -> Observation:
    """N sessions x M level-ups on one student, no forced interleaving."""
    env.reset()
    (u,) = env.students()
    ledger = Ledger()
    with env.strategy(connections=sessions + 2) as strategy:
        at_once(sessions, lambda i: [level_up_into(ledger, strategy, LevelUpRequest(u, "PLAYER", 9, 1))
                                     for _ in range(iterations)])
    return settle(env, ledger=ledger, baseline={(u, "PLAYER"): 0},
                  evidence={"ledger": ledger.counts(), "retries": ledger.retries()})


def duplicate_auto_sync_randomized(env: ScenarioEnv, sessions: int = 6, rounds: int = 7) -> Observation:
    """Each round desyncs a pair by one level, then N sessions sync it at once: one history row per change."""
    env.reset()
    (u,) = env.students()
    with env.strategy(connections=sessions + 2) as strategy:
        for _ in range(rounds):
            env.sql("UPDATE specialization_progress SET current_level = current_level + 1 WHERE student_id = :u",
                    u=u)
            at_once(sessions, lambda _i: attempt(lambda: strategy.sync(u, "PLAYER", Direction.PROGRESS_TO_LICENSE)))

    def duplicate_history() -> dict[str, int]:
        return {"duplicate_history_rows": history_rows(env, u, "PLAYER") - rounds}

    return settle(env, extra=duplicate_history,
                  evidence={"rounds": rounds, "progression_rows": history_rows(env, u, "PLAYER")})
