"""The scenario registry and the seeds' claims, declared as data and validated on load."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from scenarios import edge_cases as edge
from scenarios import fault_cases as faults
from scenarios.pause_steps import run_pause
from scenarios.pauses import PAUSE_CASES
from scenarios.read_cases import reader_paused, writer_paused
from scenarios.read_modes import READ_MODES
from scenarios.scenario import OCCURRED, OUTCOMES, PREVENTED, REPAIRED, TRANSIENT, Scenario

ANY = OUTCOMES  # randomized variants: measured, luck not asserted

#: What a client frozen mid-level-up leaves behind, per case and strategy (docs/pauses.md says why).
#: Protection tied to the database (row, advisory and fence locks, SERIALIZABLE, one atomic UPDATE)
#: holds while its holder sleeps; a lease (the Redis lock) runs out under it.
PAUSE_EXPECTED: dict[str, dict[str, tuple[str, ...]]] = {
    # Nothing read yet: whoever runs meanwhile commits first and the frozen client reads after it.
    "process_pause_after_guard": {"*": (PREVENTED,)},
    # legacy's read takes no lock: the other client commits, the frozen one writes totals from its stale read.
    "process_pause_after_read_short": {"legacy": (OCCURRED,), "*": (PREVENTED,)},
    # ...and once the Redis lease runs out, redis is as unprotected as legacy. Behind a database lock the
    # others are told they failed past lock_timeout, try again, and still wait for the frozen holder.
    "process_pause_after_read": {"legacy": (OCCURRED,), "redis": (OCCURRED,), "*": (PREVENTED,)},
    # The server ends the frozen session: its stale write never lands (it is told the outcome is unknown).
    "process_pause_after_read_long": {"*": (PREVENTED,)},
    # legacy: progress committed, license not (seen by others); the hook catches up on waking. redis: the
    # other client reads before the frozen write commits, waits for its row lock, then overwrites it.
    "process_pause_between_writes": {"legacy": (TRANSIENT,), "redis": (OCCURRED,), "*": (PREVENTED,)},
    "process_pause_before_commit": {"legacy": (OCCURRED,), "redis": (OCCURRED,), "*": (PREVENTED,)},
}

PAUSES: tuple[Scenario, ...] = tuple(
    Scenario(case.name, "process_pause", case.description, partial(run_pause, case=case), PAUSE_EXPECTED[case.name],
             tags=("nemesis", "pause", *(("boundary",) if case.boundary else ()),
                   *(("later_point",) if case.later_point else ())))
    for case in PAUSE_CASES)

#: What a reader sees when a level-up commits in the middle of its read (scenarios/read_cases.py), per
#: interleaving and read mode. Under READ COMMITTED each statement has its own snapshot: two statements can
#: straddle the commit whatever the writer does; one statement or a REPEATABLE READ snapshot cannot. A
#: writer paused between legacy's two commits shows every reader a pair that is really out of step.
READ_EXPECTED: dict[tuple[str, str], dict[str, tuple[str, ...]]] = {
    ("reader_paused", "two_statements"): {"*": (TRANSIENT,)},
    ("reader_paused", "one_statement"): {"*": (PREVENTED,)},
    ("reader_paused", "repeatable_read"): {"*": (PREVENTED,)},
    # The system's own reader (validate_consistency, behind the API) read in two statements and told an admin
    # "Desync detected" about a pair no commit left out of step, under every strategy; it now reads in one.
    ("reader_paused", "service"): {"*": (PREVENTED,)},
    ("writer_paused", "two_statements"): {"legacy": (TRANSIENT,), "*": (PREVENTED,)},
    ("writer_paused", "one_statement"): {"legacy": (TRANSIENT,), "*": (PREVENTED,)},
    ("writer_paused", "repeatable_read"): {"legacy": (TRANSIENT,), "*": (PREVENTED,)},
    ("writer_paused", "service"): {"legacy": (TRANSIENT,), "*": (PREVENTED,)},
}
_INTERLEAVINGS = {"reader_paused": (reader_paused, "a reader paused between its statements while a level-up "
                                                   "commits"),
                  "writer_paused": (writer_paused, "a reader reads while a level-up is paused after its "
                                                   "progress write")}

READS: tuple[Scenario, ...] = tuple(
    Scenario(f"read_{interleaving}_{mode}", "fractured_read", f"{_INTERLEAVINGS[interleaving][1]} ({mode}: "
             f"{READ_MODES[mode].description})", partial(_INTERLEAVINGS[interleaving][0], mode=READ_MODES[mode]),
             expected, tags=("reads", *(("system_reader",) if READ_MODES[mode].system_code else ())))
    for (interleaving, mode), expected in READ_EXPECTED.items())

SCENARIOS: tuple[Scenario, ...] = (
    Scenario("interrupted_license_upgrade", "state_management", "license written, then the database fails",
             edge.interrupted_license_upgrade, {"legacy": (REPAIRED,), "*": (PREVENTED,)}),
    Scenario("concurrent_level_up", "concurrency", "two sessions read before either writes",
             edge.concurrent_level_up, {"legacy": (OCCURRED,), "*": (PREVENTED,)}),
    Scenario("orphan_prevention", "data_integrity", "delete a student with progress; progress for nobody",
             edge.orphan_prevention, {"*": (PREVENTED,)}),
    Scenario("license_without_progress", "data_integrity", "an admin creates a license without progress",
             edge.license_without_progress, {"legacy": (TRANSIENT,), "*": (PREVENTED,)}),
    Scenario("progress_without_license", "data_integrity", "progress earned where no license exists",
             edge.progress_without_license, {"legacy": (REPAIRED,), "*": (PREVENTED,)}),
    Scenario("max_level_overflow", "validation", "level 9 where the database says 8 is the max",
             edge.max_level_overflow, {"*": (PREVENTED,)}),
    Scenario("negative_xp", "validation", "-50 XP from a buggy client", edge.negative_xp, {"*": (PREVENTED,)}),
    Scenario("duplicate_auto_sync", "concurrency", "two syncs of one pair read before either writes",
             edge.duplicate_auto_sync, {"legacy": (OCCURRED,), "*": (PREVENTED,)}),
    Scenario("desync_after_rollback", "state_management", "progress written, then the license write fails",
             edge.desync_after_rollback, {"legacy": (REPAIRED,), "*": (PREVENTED,)}),
    Scenario("backend_terminated", "fault", "pg_terminate_backend between progress and license writes",
             faults.backend_terminated, {"legacy": (REPAIRED,), "*": (PREVENTED,)}, tags=("nemesis",)),
    Scenario("lock_timeout_expiry", "fault", "the license row is held past lock_timeout",
             faults.lock_timeout_expiry, {"legacy": (REPAIRED,), "*": (PREVENTED,)}, tags=("nemesis",)),
    Scenario("statement_timeout_expiry", "fault", "a statement runs past statement_timeout mid-operation",
             faults.statement_timeout_expiry, {"legacy": (REPAIRED,), "*": (PREVENTED,)}, tags=("nemesis",)),
    Scenario("database_restart", "fault", "the server restarts under 4 sessions of level-ups",
             faults.database_restart, {"legacy": ANY, "*": (PREVENTED,)}, randomized=True,
             needs_restartable_server=True, tags=("nemesis",)),
    Scenario("concurrent_level_up_randomized", "concurrency", "8 sessions x 25 level-ups on one student",
             faults.concurrent_level_up_randomized, {"legacy": ANY, "*": (PREVENTED,)}, randomized=True),
    Scenario("duplicate_auto_sync_randomized", "concurrency", "6 sessions sync one pair, 7 rounds",
             faults.duplicate_auto_sync_randomized, {"legacy": ANY, "*": (PREVENTED,)}, randomized=True),
    *PAUSES,
    *READS,
)


@dataclass(frozen=True)
class Claim:
    source: str
    scenario: str
    strategy: str  # a strategy name, or "*" for every strategy
    outcome: str
    words: str

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"claim on {self.scenario}: unknown outcome {self.outcome!r}")


CLAIMS: tuple[Claim, ...] = (
    Claim("000", "interrupted_license_upgrade", "legacy", PREVENTED,
          "SQLAlchemy handles rollback automatically; no partial commits possible"),
    Claim("000", "concurrent_level_up", "legacy", OCCURRED, "race condition can still cause update conflicts"),
    Claim("000", "orphan_prevention", "*", PREVENTED, "FK constraints prevent orphan creation"),
    Claim("000", "license_without_progress", "legacy", TRANSIENT,
          "auto-sync creates missing progress, but a window of inconsistency exists"),
    Claim("000", "progress_without_license", "legacy", TRANSIENT,
          "same as license without progress: the auto-sync hook creates the license"),
    Claim("000", "max_level_overflow", "*", PREVENTED, "application validates before allowing level up"),
    Claim("000", "duplicate_auto_sync", "legacy", PREVENTED,
          "idempotency guarantees safety; no harmful side effects from multiple calls"),
    Claim("000", "desync_after_rollback", "legacy", REPAIRED, "background job fixes eventually (up to 6 h)"),
    Claim("000", "concurrent_level_up", "redis", PREVENTED, "Rule 3 (Redis lock) prevents concurrent level-up"),
    Claim("000", "duplicate_auto_sync", "redis", PREVENTED, "Rule 3 (Redis lock) prevents duplicate auto-sync"),
    Claim("001", "progress_without_license", "coupled", PREVENTED, "Impossible after the Coupling Enforcer"),
    Claim("001", "license_without_progress", "coupled", PREVENTED, "Impossible after the Coupling Enforcer"),
    Claim("001", "desync_after_rollback", "coupled", PREVENTED, "Impossible after the Coupling Enforcer"),
    Claim("001", "concurrent_level_up", "coupled", PREVENTED, "Serialized by pessimistic locking"),
    Claim("001", "interrupted_license_upgrade", "coupled", PREVENTED, "Full rollback"),
    Claim("000", "process_pause_after_read", "redis", PREVENTED,
          "Rule 3 (ConcurrencyGuard): prevents concurrent operations on same resource using distributed locks"),
    Claim("001", "process_pause_before_commit", "coupled", PREVENTED,
          "Pessimistic locking: other transactions WAIT until this one completes; race conditions eliminated"),
)


def _validate() -> None:
    names = [s.name for s in SCENARIOS]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise ValueError(f"scenario names registered twice: {sorted(duplicates)}")
    unknown = {c.scenario for c in CLAIMS} - set(names)
    if unknown:
        raise ValueError(f"claims about unknown scenarios: {sorted(unknown)}")


_validate()


def scenario_named(name: str) -> Scenario:
    from system.errors import ConfigurationError

    for scenario in SCENARIOS:
        if scenario.name == name:
            return scenario
    raise ConfigurationError(f"unknown scenario {name!r} (known: {', '.join(s.name for s in SCENARIOS)})")


def claims_for(scenario: str, strategy: str) -> list[Claim]:
    return [c for c in CLAIMS if c.scenario == scenario and c.strategy in (strategy, "*")]
