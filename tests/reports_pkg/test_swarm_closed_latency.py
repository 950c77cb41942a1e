"""The hot-spot swarm's closed-model p95/p99 are reported figures, labelled closed model, never gated."""

from __future__ import annotations

import json
from pathlib import Path

from plsync.gates import failures
from plsync.records.files import SWARMS
from plsync.records.swarms import SwarmRecord
from plsync.stages.swarms import STAGE
from reports.swarm import closed_latency_lines, swarm_markdown

RECORDED = Path(__file__).parent / "recorded_run" / "swarms.json"
MISSED = "hot-spot level-up p99: p99_ms = 5100 (allowed <= 2000)"


def slow(record: SwarmRecord) -> SwarmRecord:
    return record.model_copy(update={"closed_latency_findings": [MISSED]})


def test_a_slow_closed_swarm_is_reported_with_its_model_and_passes_its_gates() -> None:
    records: list[SwarmRecord] = SWARMS.decode(json.loads(RECORDED.read_text()))
    target = next(r for r in records if r.strategy != "legacy" and not r.failures_of_gates)
    records = [slow(r) if r is target else r for r in records]
    judged = [f for gate in STAGE.gates for f in failures(gate.check("swarms", records))]
    assert not [f for f in judged if f.startswith(f"swarms: {target.strategy}:")]  # a finding, not a gate
    (line,) = [line for line in closed_latency_lines(records) if line.startswith(f"{target.strategy}:")]
    assert "closed model, Locust's p95" in line and "reported, not gated" in line and MISSED in line
    assert f"- {line}" in swarm_markdown(records)
