"""Gates, the stage list, profiles and the verdict: pure functions, against exact values."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import Field

from benchmarks.targets import LatencyTarget
from plsync.gates import FieldGate, GateDeclarationError, MatchGate, TargetGate, failures
from plsync.profiles import PROFILES, profile_named
from plsync.readiness import StageRecord, judge
from plsync.records import RUN_FILES, Record, RunFile
from plsync.records.benchmarks import BenchmarkRecord
from plsync.records.files import BENCHMARKS, CONCURRENCY, MIGRATE, ORPHANS, SOAK, SOAK_PHASES
from plsync.records.recovery import OrphansRecord
from plsync.records.run import MigrateRecord
from plsync.records.soak import SoakPhaseRecord
from plsync.rundir import RunDirectory
from plsync.stages import STAGES, select_stages, stage_names
from system.errors import ConfigurationError


class Outcome(Record):
    """A record of a test-only run file: the gates' mechanics without a whole stage's record."""

    strategy: str
    lost_xp: int = 0
    failures_of_gates: list[str] = Field(default_factory=list)
    exact: bool = True
    success_rate: float = 1.0
    note: str = ""


OUTCOMES = RunFile("outcomes", Outcome, many=True)
OUTCOME = RunFile("outcome", Outcome)
LOST_XP = FieldGate("lost XP", OUTCOMES, "lost_xp", "<=", 0, per=("strategy",), exempt=("legacy",))


def outcomes(*rows: dict[str, object]) -> list[Outcome]:
    return [Outcome.model_validate(r) for r in rows]


def test_a_field_gate_judges_each_subject_and_legacy_is_measured_not_gated() -> None:
    judged = LOST_XP.check("strategies", outcomes({"strategy": "coupled", "lost_xp": 0},
                                                  {"strategy": "legacy", "lost_xp": 500},
                                                  {"strategy": "redis", "lost_xp": 7}))
    assert [(o.subject, o.status, o.observed) for o in judged] == [
        ("coupled", "pass", 0), ("legacy", "exempt", 500), ("redis", "fail", 7)]
    assert failures(judged) == ["strategies: redis: lost XP: 7 (needs <= 0)"]
    assert {o.source for o in judged} == {"outcomes.json"}


def test_operators_including_empty_on_a_single_object() -> None:
    listed = FieldGate("swarm gates", OUTCOMES, "failures_of_gates", "empty", per=("strategy",))
    judged = listed.check("swarms", outcomes({"strategy": "advisory", "failures_of_gates": []},
                                             {"strategy": "trigger", "failures_of_gates": ["p99 too slow"]}))
    assert [o.status for o in judged] == ["pass", "fail"]
    assert failures(judged) == ["swarms: trigger: swarm gates: p99 too slow"]
    exact = FieldGate("exact", OUTCOME, "exact", "==", True)
    assert [o.status for o in exact.check("orphans", Outcome(strategy="-", exact=False))] == ["fail"]
    at_least = FieldGate("success", OUTCOME, "success_rate", ">=", 1.0)
    assert [o.status for o in at_least.check("recovery", Outcome(strategy="-", success_rate=0.999))] == ["fail"]


def test_gates_validate_on_construction() -> None:
    with pytest.raises(ValueError, match="unknown operator"):
        FieldGate("x", OUTCOME, "lost_xp", "!=")
    with pytest.raises(ValueError, match="'empty' takes no value"):
        FieldGate("x", OUTCOME, "lost_xp", "empty", 3)
    with pytest.raises(ValueError, match="need one"):
        FieldGate("x", OUTCOME, "lost_xp", "<=")


def test_a_gate_naming_a_field_its_record_lacks_fails_when_declared_naming_both() -> None:
    """A misspelt field fails where the stage module declares the gate (at import), not in ``judge`` after
    every stage has run."""
    with pytest.raises(GateDeclarationError, match=r"gate 'lost XP': concurrency\.json \(ConcurrencyRecord\) "
                                                   r"has no field 'lost_xpp'"):
        FieldGate("lost XP", CONCURRENCY, "lost_xpp", "<=", 0, per=("strategy",))
    with pytest.raises(GateDeclarationError, match="has no subject field 'strategie'"):
        FieldGate("lost XP", CONCURRENCY, "lost_xp", "<=", 0, per=("strategie",))
    with pytest.raises(GateDeclarationError, match="'runs_expectd'"):
        MatchGate("all runs", SOAK, "runs_executed", "runs_expectd")
    with pytest.raises(GateDeclarationError, match=r"'rss\.slope\.p_valu'"):
        FieldGate("slope", SOAK, "rss.slope.p_valu", "<", 0.01)
    # A dotted path into nested records is a field too.
    assert FieldGate("slope", SOAK, "rss.slope.p_value", "<", 0.01).field == "rss.slope.p_value"


def test_a_misspelt_gate_in_a_stage_module_fails_its_import(tmp_path: Path) -> None:
    module = tmp_path / "misspelt_stage.py"
    module.write_text("from plsync.gates import FieldGate\nfrom plsync.records.files import SWARMS\n"
                      "GATES = (FieldGate('lost XP', SWARMS, 'lost_xp_total', '<=', 0),)\n")
    done = subprocess.run([sys.executable, "-c", "import misspelt_stage"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode != 0
    assert "gate 'lost XP': swarms.json (SwarmRecord) has no field 'lost_xp_total'" in done.stderr


def test_every_stage_gate_reads_a_declared_run_file_and_fields_its_record_has() -> None:
    walked = 0
    for stage in STAGES:
        for gate in stage.gates:
            assert RUN_FILES.get(gate.file.name) is gate.file, (stage.name, gate.name)
            for path in [getattr(gate, "field", None), getattr(gate, "other", None), *getattr(gate, "per", ())]:
                if path is not None:
                    assert gate.file.has_field(path), (stage.name, gate.name, path)
            walked += 1
    assert walked >= 30
    names = [(s.name, g.name) for s in STAGES for g in s.gates]
    assert len(names) == len(set(names)), "a gate name appears twice in a stage: the checklist could not tell them"


def test_latency_against_its_documented_target() -> None:
    gate = TargetGate(BENCHMARKS, per=("strategy", "case"))
    judged = gate.check("benchmarks", [
        bench(strategy="trigger", case="levels_up", operation="lock_hold", p99_ms=51.0),
        bench(strategy="coupled", case="levels_up", operation="lock_hold", p99_ms=3.0,
              unstable=["the standard deviation is 12% of the mean"]),
        bench(strategy="coupled", operation="level_up", p99_ms=1e9)])  # no documented target: not gated
    assert [(o.subject, o.status) for o in judged] == [("trigger/levels_up", "fail"), ("coupled/levels_up", "pass")]
    assert failures(judged) == ["benchmarks: trigger/levels_up: atomic update lock hold: 51 (needs p99_ms <= 50 ms) "
                                "[001: lock hold 10-50 ms]"]
    assert judged[1].note == " [001: lock hold 10-50 ms] [unstable: the standard deviation is 12% of the mean]"


def bench(**fields: object) -> BenchmarkRecord:
    """A benchmark record with the figures a test does not care about filled in."""
    base: dict[str, object] = {"name": str(fields.get("operation")), "rounds": 5, "median_ms": 1.0, "p95_ms": 1.0,
                               "p99_ms": 1.0, "mean_ms": 1.0, "max_ms": 1.0, "min_ms": 1.0, "stddev_ms": 0.0,
                               "target_status": "none"}
    return BenchmarkRecord.model_validate(base | fields)


def test_a_target_covers_sizes_up_to_the_documented_one() -> None:
    gate = TargetGate(BENCHMARKS, per=("users",))
    judged = gate.check("benchmarks", [
        bench(operation="find_desync_issues", users=10_000, max_ms=4000.0),
        bench(operation="find_desync_issues", users=1_000_000, max_ms=9000.0),  # 002 says nothing at 1M
        bench(operation="auto_sync_all", desyncs=100, max_ms=12_000.0),
        bench(operation="auto_sync_all", desyncs=1000, max_ms=12_000.0)])  # documented for 100 only
    assert [(o.gate, o.status) for o in judged] == [("find desync issues (10k users)", "pass"),
                                                    ("auto-sync 100 desyncs", "fail")]


def test_targets_validate_on_construction() -> None:
    with pytest.raises(ValueError, match="positive"):
        LatencyTarget("x", "level_up", "p99_ms", 0, "nowhere")
    with pytest.raises(ValueError, match="unknown metric"):
        LatencyTarget("x", "level_up", "p42_ms", 1, "nowhere")


def test_stage_selection() -> None:
    assert [s.name for s in select_stages(STAGES)] == stage_names()
    assert [s.name for s in select_stages(STAGES, only=["orphans"])] == ["environment", "migrate", "orphans"]
    assert "swarms" not in [s.name for s in select_stages(STAGES, skip=["swarms"])]
    with pytest.raises(ConfigurationError, match="unknown stage 'swamrs'"):
        select_stages(STAGES, skip=["swamrs"])
    with pytest.raises(ConfigurationError, match="cannot be skipped"):
        select_stages(STAGES, skip=["migrate"])


def test_profiles_choose_sizes_and_validate() -> None:
    assert list(PROFILES) == ["smoke", "standard", "full"]
    full = profile_named("full")
    assert (full.users, full.swarm_users, full.swarm_seconds) == (10_000, 64, 60)
    assert profile_named("smoke").with_overrides(threads=2, users=None).threads == 2
    with pytest.raises(ConfigurationError, match="unknown profile 'huge'"):
        profile_named("huge")
    with pytest.raises(ConfigurationError, match="threads must be at least 1"):
        profile_named("smoke").with_overrides(threads=0)


def test_the_verdict_applies_every_ran_stage_and_never_passes_what_was_not_measured(tmp_path: Path) -> None:
    run = RunDirectory(tmp_path)
    run.write_record(MIGRATE, MigrateRecord(before=None, revision="head", at_head=True))
    run.write_record(ORPHANS, OrphansRecord(injected=20, found=20, exact=True, deleted=18, left_after=2,
                                            backup_file=None))
    records = [StageRecord("environment", "ran"), StageRecord("migrate", "ran"),
               StageRecord("orphans", "ran"), StageRecord("recovery", "error", 1.0, "RuntimeError: boom"),
               StageRecord("swarms", "ran")]
    verdict = judge(run, records, "smoke")
    assert not verdict.passed
    assert verdict.failures == [
        "recovery: the stage failed: RuntimeError: boom",
        "orphans: none left after recovery: 2 (needs == 0)",
        # A stage that ran and wrote nothing fails; one that crashed is reported once, above.
        "swarms: swarm failure-ratio threshold: the stage wrote no swarms.json",
        "swarms: lost XP: the stage wrote no swarms.json",
        "swarms: desynced pairs: the stage wrote no swarms.json",
        "swarms: invariant violations: the stage wrote no swarms.json",
        "swarms: operations in the ledger: the stage wrote no swarms.json",
        "swarms: every worker's ledger reached the master: the stage wrote no swarms.json",
    ]
    by_stage = {(g.stage, g.status) for g in verdict.gates}
    assert ("scenarios", "not_measured") in by_stage  # not run: shown as not measured, not as a failure


def test_profiles_choose_which_scenarios_by_tag() -> None:
    from scenarios.matrix import select_scenarios

    everything = {s.name for s in select_scenarios()}
    smoke = {s.name for s in select_scenarios(skip_tags=profile_named("smoke").skip_scenario_tags)}
    assert everything - smoke == {"database_restart", "concurrent_level_up_randomized",
                                  "duplicate_auto_sync_randomized", "process_pause_after_guard",
                                  "process_pause_after_read_short", "process_pause_after_read_long",
                                  "process_pause_between_writes", "process_pause_before_commit"}
    assert "process_pause_after_read" in smoke  # where legacy and redis lose an update and the others do not
    assert {s.name for s in select_scenarios(skip_tags=profile_named("standard").skip_scenario_tags)} == everything
    assert [s.name for s in select_scenarios(only=["negative_xp"])] == ["negative_xp"]


def test_soak_gates_a_count_against_its_expectation_strictly_less_and_a_phase_not_measured(tmp_path: Path) -> None:
    from plsync.stages.soak import GATES

    class Counts(Record):
        runs_executed: int
        runs_expected: int
        rss_growth_pct: float = 0.0

    counts = RunFile("soak", Counts)
    runs = MatchGate("all runs", counts, "runs_executed", "runs_expected")
    assert [o.status for o in runs.check("soak", Counts(runs_executed=144, runs_expected=144))] == ["pass"]
    assert failures(runs.check("soak", Counts(runs_executed=143, runs_expected=144))) == [
        "soak: all runs: 143 (needs == runs_expected (144))"]
    growth = FieldGate("growth", counts, "rss_growth_pct", "<", 5)
    assert [o.status for o in growth.check("soak", Counts(runs_executed=1, runs_expected=1, rss_growth_pct=5.0))
            ] == ["fail"]
    assert [o.status for o in growth.check("soak", Counts(runs_executed=1, runs_expected=1, rss_growth_pct=4.99))
            ] == ["pass"]
    phases = next(g for g in GATES if g.file is SOAK_PHASES)
    judged = phases.check("soak", [SoakPhaseRecord(phase="overrun", holds=True, note=""),
                                   SoakPhaseRecord(phase="restart", holds=None,
                                                   note="not measured: external database")])
    assert [(o.subject, o.status) for o in judged] == [("overrun", "pass"), ("restart", "not_measured")]
    assert judged[1].message.endswith("(not measured: external database)")
    # In a verdict, a subject the stage wrote as not measured is shown as such, not turned into a failure.
    run = RunDirectory(tmp_path)
    run.write_record(SOAK_PHASES, [SoakPhaseRecord(phase="restart", holds=None, note="not measured")])
    verdict = judge(run, [StageRecord("soak", "ran")], "smoke")
    assert not any("soak_phases" in f or "restart" in f for f in verdict.failures)
    assert ("soak", "restart", "not_measured") in {(g.stage, g.subject, g.status) for g in verdict.gates}
