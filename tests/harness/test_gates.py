"""The pure verdict function and the latency targets, against exact numbers."""

from __future__ import annotations

import pytest

from benchmarks.targets import LatencyTarget
from plsync.gates import evaluate


def outcome(strategy: str, lost: int = 0, desynced: int = 0, failed: int = 0) -> dict[str, object]:
    return {"strategy": strategy, "lost_xp": lost, "desynced_pairs": desynced, "failed": failed, "unknown": 0,
            "operations": 100, "invariants": {"results": [{"name": "lost_updates", "violations": int(lost > 0)}]}}


def latency(strategy: str, p99: float) -> dict[str, object]:
    return {"strategy": strategy, "operation": "level_up", "p99_ms": p99}


def test_a_clean_run_passes_and_legacy_is_measured_not_gated() -> None:
    assert evaluate([latency("coupled", 3.0)], [outcome("coupled"), outcome("legacy", lost=500)]) == []


def test_each_gate_fails_with_a_message() -> None:
    failures = evaluate([latency("trigger", 51.0)],
                        [outcome("coupled", lost=7), outcome("redis", desynced=1), outcome("serializable", failed=6)])
    assert failures == [
        "trigger: atomic level-up (lock hold): p99_ms 51.00 ms exceeds 50 ms (001: lock hold 10-50 ms)",
        "coupled: lost XP = 7 (allowed <= 0)",
        "coupled: invariant violations = 1 (allowed <= 0)",
        "redis: desynced pairs = 1 (allowed <= 0)",
        "serializable: failed or unknown operations ratio = 0.06 (allowed <= 0.05)",
    ]


def test_targets_validate_on_construction() -> None:
    with pytest.raises(ValueError, match="positive"):
        LatencyTarget("x", "level_up", "p99_ms", 0, "nowhere")
    with pytest.raises(ValueError, match="unknown metric"):
        LatencyTarget("x", "level_up", "p42_ms", 1, "nowhere")
