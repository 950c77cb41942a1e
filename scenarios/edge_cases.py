"""The nine edge cases of the edge-case analysis (seed 000), as steps any strategy can run."""

from __future__ import annotations

from scenarios.ledger import Ledger
from scenarios.nemesis import FaultPlan, Observer, Rendezvous, fail
from scenarios.scenario import Observation, ScenarioEnv, settle
from scenarios.steps import at_once, attempt, history_rows, level_up_into, level_up_with_fault, levels
from system.services.checkpoints import AFTER_LICENSE_WRITE, AFTER_PROGRESS_READ, AFTER_PROGRESS_WRITE, AFTER_SYNC_READ
from system.services.types import AdvanceLicenseRequest, Direction, LevelUpRequest


def interrupted_license_upgrade(env: ScenarioEnv) -> Observation:
    """An admin upgrades a license 1 -> 4; the database fails after the license is written."""
    env.reset()
    (u,) = env.students()
    watch = Observer(env.admin, u, "PLAYER")
    plan = FaultPlan().at(AFTER_LICENSE_WRITE, watch).at(AFTER_LICENSE_WRITE, fail("database error"))
    with env.strategy(plan) as strategy:
        result, error = attempt(lambda: strategy.advance_license(AdvanceLicenseRequest(u, "PLAYER", 4)))
    told = error or f"ok, hook error: {result.hook_error}"
    return settle(env, seen_midway=watch.seen, evidence={"client_was_told": told, "after": levels(env, u, "PLAYER")},
                  pair=(u, "PLAYER"))


def concurrent_level_up(env: ScenarioEnv) -> Observation:
    """Two sessions level up one student; both read the row before either writes."""
    env.reset()
    (u,) = env.students()
    meet = Rendezvous(2)
    ledger = Ledger()
    with env.strategy(FaultPlan().at(AFTER_PROGRESS_READ, meet, every_thread=True)) as strategy:
        at_once(2, lambda i: level_up_into(ledger, strategy, LevelUpRequest(u, "PLAYER", 100 + 150 * i, 1)))
    return settle(env, ledger=ledger, baseline={(u, "PLAYER"): 0},
                  evidence=meet.evidence() | {"after": levels(env, u, "PLAYER")})


def orphan_prevention(env: ScenarioEnv) -> Observation:
    """Deleting a student who has progress, or giving progress to a user who does not exist."""
    env.reset()
    (u,) = env.students()
    _, deleted = attempt(lambda: env.sql("DELETE FROM users WHERE id = :u", u=u))
    _, inserted = attempt(lambda: env.sql("INSERT INTO specialization_progress (student_id, specialization_id) "
                                          "VALUES (987654, 'PLAYER')"))
    with env.strategy() as strategy:
        _, via_service = attempt(lambda: strategy.level_up(LevelUpRequest(987654, "PLAYER", 10)))
    evidence = {"delete_user": deleted, "insert_orphan": inserted, "level_up_unknown_user": via_service}
    if not (deleted and "ForeignKeyViolation" in deleted and inserted and via_service):
        evidence["unexpected"] = "an orphan-making write was accepted"
    return settle(env, evidence=evidence)


def license_without_progress(env: ScenarioEnv) -> Observation:
    """An admin creates a COACH license for a student who has no COACH progress."""
    env.reset()
    (u,) = env.students(specializations=("PLAYER",))
    watch = Observer(env.admin, u, "COACH")
    with env.strategy(FaultPlan().at(AFTER_LICENSE_WRITE, watch)) as strategy:
        _, error = attempt(lambda: strategy.advance_license(AdvanceLicenseRequest(u, "COACH", 2)))
    return settle(env, seen_midway=watch.seen, evidence={"error": error, "after": levels(env, u, "COACH")},
                  pair=(u, "COACH"))


def progress_without_license(env: ScenarioEnv) -> Observation:
    """A student starts COACH by earning some XP (not enough to level up); no license exists yet."""
    env.reset()
    (u,) = env.students(specializations=("PLAYER",))
    watch = Observer(env.admin, u, "COACH")
    with env.strategy(FaultPlan().at(AFTER_PROGRESS_WRITE, watch)) as strategy:
        _, error = attempt(lambda: strategy.level_up(LevelUpRequest(u, "COACH", 100, 1)))
    return settle(env, seen_midway=watch.seen, evidence={"error": error, "after": levels(env, u, "COACH")},
                  pair=(u, "COACH"))


def max_level_overflow(env: ScenarioEnv) -> Observation:
    """A student at PLAYER 8 (the database's max) is pushed to 9 three ways."""
    env.reset()
    (u,) = env.students()
    env.sql("UPDATE specialization_progress SET current_level = 8, total_xp = 17000, completed_sessions = 72 "
            "WHERE student_id = :u", u=u)
    env.sql("UPDATE user_licenses SET current_level = 8, max_achieved_level = 8 WHERE user_id = :u", u=u)
    with env.strategy() as strategy:
        _, advance = attempt(lambda: strategy.advance_license(AdvanceLicenseRequest(u, "PLAYER", 9)))
        result, _ = attempt(lambda: strategy.level_up(LevelUpRequest(u, "PLAYER", 100_000, 10)))
    _, direct = attempt(lambda: env.sql("UPDATE specialization_progress SET current_level = 9 WHERE student_id = :u",
                                        u=u))
    return settle(env, evidence={"advance_to_9": advance, "level_after_huge_xp": result.level if result else None,
                                 "direct_update_to_9": direct})


def negative_xp(env: ScenarioEnv) -> Observation:
    """A buggy client sends -50 XP; a direct write tries -1."""
    env.reset()
    (u,) = env.students()
    with env.strategy() as strategy:
        _, service = attempt(lambda: strategy.level_up(LevelUpRequest(u, "PLAYER", -50)))
    _, direct = attempt(lambda: env.sql("UPDATE specialization_progress SET total_xp = -1 WHERE student_id = :u",
                                        u=u))
    return settle(env, evidence={"service": service, "direct_update": direct, "after": levels(env, u, "PLAYER")})


def duplicate_auto_sync(env: ScenarioEnv) -> Observation:
    """Two sync hooks fix the same desynced pair at once; both read before either writes."""
    env.reset()
    (u,) = env.students()
    env.sql("UPDATE specialization_progress SET current_level = 3 WHERE student_id = :u", u=u)
    meet = Rendezvous(2)
    with env.strategy(FaultPlan().at(AFTER_SYNC_READ, meet, every_thread=True)) as strategy:
        at_once(2, lambda _i: strategy.sync(u, "PLAYER", Direction.PROGRESS_TO_LICENSE))
    rows = history_rows(env, u, "PLAYER")

    def duplicate_history() -> dict[str, int]:
        return {"duplicate_history_rows": history_rows(env, u, "PLAYER") - 1}

    return settle(env, extra=duplicate_history, evidence=meet.evidence() | {"progression_rows_for_one_change": rows})


def desync_after_rollback(env: ScenarioEnv) -> Observation:
    """A level-up whose license write fails after progress was written (the sync hook raises)."""
    return level_up_with_fault(env, fail("license update failed"))
