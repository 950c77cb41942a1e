"""Gates, the stage list, profiles and the verdict: pure functions, against exact values."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.targets import LatencyTarget
from plsync.gates import FieldGate, TargetGate, failures
from plsync.profiles import PROFILES, profile_named
from plsync.readiness import StageRecord, judge
from plsync.rundir import RunDirectory
from plsync.stages import STAGES, select_stages, stage_names
from system.errors import ConfigurationError

LOST_XP = FieldGate("lost XP", "concurrency", "lost_xp", "<=", 0, per=("strategy",), exempt=("legacy",))


def test_a_field_gate_judges_each_subject_and_legacy_is_measured_not_gated() -> None:
    outcomes = LOST_XP.check("strategies", [{"strategy": "coupled", "lost_xp": 0},
                                            {"strategy": "legacy", "lost_xp": 500},
                                            {"strategy": "redis", "lost_xp": 7}])
    assert [(o.subject, o.status, o.observed) for o in outcomes] == [
        ("coupled", "pass", 0), ("legacy", "exempt", 500), ("redis", "fail", 7)]
    assert failures(outcomes) == ["strategies: redis: lost XP: 7 (needs <= 0)"]
    assert {o.source for o in outcomes} == {"concurrency.json"}


def test_operators_including_empty_on_a_single_object() -> None:
    listed = FieldGate("swarm gates", "swarms", "failures_of_gates", "empty", per=("strategy",))
    outcomes = listed.check("swarms", [{"strategy": "advisory", "failures_of_gates": []},
                                       {"strategy": "trigger", "failures_of_gates": ["p99 too slow"]}])
    assert [o.status for o in outcomes] == ["pass", "fail"]
    assert failures(outcomes) == ["swarms: trigger: swarm gates: p99 too slow"]
    exact = FieldGate("exact", "orphans", "exact", "==", True)
    assert [o.status for o in exact.check("orphans", {"exact": False})] == ["fail"]
    at_least = FieldGate("success", "recovery_stress", "success_rate", ">=", 1.0)
    assert [o.status for o in at_least.check("recovery", {"success_rate": 0.999})] == ["fail"]


def test_gates_validate_on_construction() -> None:
    with pytest.raises(ValueError, match="unknown operator"):
        FieldGate("x", "f", "v", "!=")
    with pytest.raises(ValueError, match="'empty' takes no value"):
        FieldGate("x", "f", "v", "empty", 3)
    with pytest.raises(ValueError, match="need one"):
        FieldGate("x", "f", "v", "<=")


def test_latency_against_its_documented_target() -> None:
    outcomes = TargetGate("benchmarks", per=("strategy", "case")).check("benchmarks", [
        {"strategy": "trigger", "case": "levels_up", "operation": "lock_hold", "p99_ms": 51.0, "unstable": []},
        {"strategy": "coupled", "case": "levels_up", "operation": "lock_hold", "p99_ms": 3.0,
         "unstable": ["the standard deviation is 12% of the mean"]},
        {"strategy": "coupled", "operation": "level_up", "p99_ms": 1e9}])  # no documented target: not gated
    assert [(o.subject, o.status) for o in outcomes] == [("trigger/levels_up", "fail"), ("coupled/levels_up", "pass")]
    assert failures(outcomes) == ["benchmarks: trigger/levels_up: atomic update lock hold: 51 (needs p99_ms <= 50 ms) "
                                  "[001: lock hold 10-50 ms]"]
    assert outcomes[1].note == " [001: lock hold 10-50 ms] [unstable: the standard deviation is 12% of the mean]"


def test_a_target_covers_sizes_up_to_the_documented_one() -> None:
    gate = TargetGate("benchmarks", per=("users",))
    outcomes = gate.check("benchmarks", [
        {"operation": "find_desync_issues", "users": 10_000, "max_ms": 4000.0},
        {"operation": "find_desync_issues", "users": 1_000_000, "max_ms": 9000.0},  # 002 says nothing at 1M
        {"operation": "auto_sync_all", "desyncs": 100, "max_ms": 12_000.0},
        {"operation": "auto_sync_all", "desyncs": 1000, "max_ms": 12_000.0}])  # documented for 100 only
    assert [(o.gate, o.status) for o in outcomes] == [("find desync issues (10k users)", "pass"),
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
    run.write_json("migrate", {"at_head": True})
    run.write_json("orphans", {"exact": True, "left_after": 2})
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
    from plsync.gates import MatchGate
    from plsync.stages.soak import GATES

    runs = MatchGate("all runs", "soak", "runs_executed", "runs_expected")
    assert [o.status for o in runs.check("soak", {"runs_executed": 144, "runs_expected": 144})] == ["pass"]
    assert failures(runs.check("soak", {"runs_executed": 143, "runs_expected": 144})) == [
        "soak: all runs: 143 (needs == runs_expected (144))"]
    growth = FieldGate("growth", "soak", "rss_growth_pct", "<", 5)
    assert [o.status for o in growth.check("soak", {"rss_growth_pct": 5.0})] == ["fail"]
    assert [o.status for o in growth.check("soak", {"rss_growth_pct": 4.99})] == ["pass"]
    phases = next(g for g in GATES if g.source == "soak_phases")
    outcomes = phases.check("soak", [{"phase": "overrun", "holds": True, "note": ""},
                                     {"phase": "restart", "holds": None, "note": "not measured: external database"}])
    assert [(o.subject, o.status) for o in outcomes] == [("overrun", "pass"), ("restart", "not_measured")]
    assert outcomes[1].message.endswith("(not measured: external database)")
    # In a verdict, a subject the stage wrote as not measured is shown as such, not turned into a failure.
    run = RunDirectory(tmp_path)
    run.write_json("soak_phases", [{"phase": "restart", "holds": None, "note": "not measured"}])
    verdict = judge(run, [StageRecord("soak", "ran")], "smoke")
    assert not any("soak_phases" in f or "restart" in f for f in verdict.failures)
    assert ("soak", "restart", "not_measured") in {(g.stage, g.subject, g.status) for g in verdict.gates}
