"""Workloads, stages and thresholds are data, validated on load, evaluated by pure functions."""

from __future__ import annotations

import pytest

from loadtests.stages import STAGES, Stage, users_at, validate
from loadtests.thresholds import SwarmThreshold, evaluate_swarm
from loadtests.workloads import Workload, workload_named
from plsync.swarm import SwarmOptions
from system.errors import ConfigurationError


def test_stages_drive_users_over_time() -> None:
    assert [users_at(STAGES["ramp"], t, 100, 40) for t in (0, 30, 60, 99)] == [10, 20, 30, 40]
    assert [users_at(STAGES["spike"], t, 100, 40) for t in (10, 45, 80)] == [10, 40, 10]
    assert users_at(STAGES["steady"], 100, 100, 40) is None
    with pytest.raises(ConfigurationError):
        validate((Stage(0.5, 1.0), Stage(0.4, 1.0)))


def test_workloads_and_options_refuse_nonsense() -> None:
    assert workload_named("hotspot", 3).hot_students == 3
    with pytest.raises(ConfigurationError, match="unknown workload"):
        workload_named("tsunami")
    with pytest.raises(ConfigurationError, match="bad weights"):
        Workload("x", "", {"teleport": 1})
    with pytest.raises(ConfigurationError, match="300 connections"):
        SwarmOptions(users=1000)
    with pytest.raises(ConfigurationError, match="unknown transport"):
        SwarmOptions(transport="carrier-pigeon")
    with pytest.raises(ConfigurationError, match="unknown nemesis"):
        SwarmOptions(workers=2, nemesis="meteor")
    with pytest.raises(ConfigurationError, match="--workers 2 or more"):
        SwarmOptions(nemesis="pause")  # freezing the only Locust process leaves nobody to race it
    assert SwarmOptions(transport="http", nemesis="pause").nemesis == "pause"


def test_thresholds_decide_from_stats_and_invariants() -> None:
    stats = {"requests": 1000, "failures": 80, "operations": {
        "level_up": {"requests": 1000, "failures": 80, "p95_ms": 1500, "p99_ms": 1900}}}
    invariants = {"results": [{"name": "lost_updates", "violations": 3}, {"name": "desynced_pairs", "violations": 0}]}
    assert evaluate_swarm(stats, invariants) == [
        "level-up p95: p95_ms = 1500 (allowed <= 1000)",
        "failed operations: failure_ratio = 0.08 (allowed <= 0.05)",
        "invariant lost_updates: 3 violation(s)",
    ]
    clean = {"requests": 10, "failures": 0, "operations": {"level_up": {"requests": 10, "failures": 0,
                                                                          "p95_ms": 5, "p99_ms": 9}}}
    assert evaluate_swarm(clean, {"results": []}) == []
    # A process frozen on purpose makes others wait and fail: reported, not gated; the invariants still are.
    assert evaluate_swarm(stats, invariants, faults_injected=True) == ["invariant lost_updates: 3 violation(s)"]
    with pytest.raises(ValueError, match="unknown metric"):
        SwarmThreshold("x", "p42_ms", "*", 1)
