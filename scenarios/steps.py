"""Small building blocks the scenarios share: attempt an operation, run sessions at once, count history."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from scenarios.ledger import Ledger, LedgerEntry, Outcome, outcome_of
from scenarios.nemesis import Action, FaultPlan, Observer
from scenarios.scenario import Observation, ScenarioEnv, settle
from system.services.checkpoints import AFTER_PROGRESS_WRITE
from system.services.types import LevelUpRequest
from system.strategies import Strategy


def attempt(call: Callable[[], Any]) -> tuple[Any, str | None]:
    """(result, None) or (None, "ErrorType: message")."""
    try:
        return call(), None
    except Exception as exc:
        return None, f"{type(exc).__name__}: {exc}"


def at_once(sessions: int, work: Callable[[int], None]) -> None:
    """Run ``work(i)`` in ``sessions`` threads released together."""
    start = threading.Barrier(sessions)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        start.wait()
        try:
            work(i)
        except BaseException as exc:  # surfaced below: a scenario must not hide its own bugs
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def level_up_into(ledger: Ledger, strategy: Strategy, request: LevelUpRequest) -> Outcome:
    """Level up and record (and return) the outcome the client saw."""
    began = time.perf_counter()
    try:
        result = strategy.level_up(request)
    except Exception as exc:
        ledger.record(LedgerEntry("level_up", request.user_id, request.specialization, request.xp,
                                  outcome_of(exc), time.perf_counter() - began, error=f"{type(exc).__name__}: {exc}"))
        return outcome_of(exc)
    ledger.record(LedgerEntry("level_up", request.user_id, request.specialization, request.xp, Outcome.OK,
                              time.perf_counter() - began, result.attempts))
    return Outcome.OK


def history_rows(env: ScenarioEnv, user_id: int, specialization: str) -> int:
    """License progression rows of one pair."""
    rows = env.sql("SELECT count(*) FROM license_progressions p JOIN user_licenses l ON l.id = p.user_license_id "
                   "WHERE l.user_id = :u AND l.specialization_type = :s", u=user_id, s=specialization)
    return int(rows[0][0])


def levels(env: ScenarioEnv, user_id: int, specialization: str) -> dict[str, Any]:
    rows = env.sql("SELECT (SELECT current_level FROM specialization_progress WHERE student_id = :u AND "
                   "specialization_id = :s), (SELECT current_level FROM user_licenses WHERE user_id = :u AND "
                   "specialization_type = :s), (SELECT total_xp FROM specialization_progress WHERE student_id = :u "
                   "AND specialization_id = :s)", u=user_id, s=specialization)
    return {"progress_level": rows[0][0], "license_level": rows[0][1], "total_xp": rows[0][2]}


def level_up_with_fault(env: ScenarioEnv, action: Action, **overrides: object) -> Observation:
    """A student levels up (to level 2) while ``action`` strikes after the progress write."""
    env.reset()
    (u,) = env.students()
    watch = Observer(env.admin, u, "PLAYER")
    plan = FaultPlan().at(AFTER_PROGRESS_WRITE, watch).at(AFTER_PROGRESS_WRITE, action)
    with env.strategy(plan, **overrides) as strategy:
        result, error = attempt(lambda: strategy.level_up(LevelUpRequest(u, "PLAYER", 600, 6)))
    told = error or f"ok, hook error: {result.hook_error}"
    return settle(env, seen_midway=watch.seen, evidence={"client_was_told": told, "after": levels(env, u, "PLAYER")})
