"""Stage ``swarms``: a hot-spot Locust swarm per strategy (direct transport), judged by its failure ratio and
the invariant checker against the ledgers. Its latencies come from the closed model (each user waits for
its reply, so a stall shows as a few slow requests): they are reported, with the thresholds they would
miss, and not gated; latency is gated by the capacity stage, on the open model."""

from __future__ import annotations

from typing import Any

from loadtests.thresholds import THRESHOLDS
from plsync.gates import FieldGate
from plsync.rundir import RunDirectory, to_jsonable
from plsync.stages.base import Stage, StageContext
from plsync.swarm import SwarmOptions, SwarmResult, run_swarm


def swarm_record(result: SwarmResult) -> dict[str, Any]:
    """The result as JSON, with its latency thresholds and its invariants apart: a slow swarm and a swarm
    that lost XP are different findings."""
    record: dict[str, Any] = to_jsonable(result)
    stats = {"operations": result.operations, "requests": result.requests, "failures": result.failures}
    missed = [(t.metric, m) for t in THRESHOLDS if (m := t.fails(stats))]
    record["threshold_failures"] = [m for metric, m in missed if metric == "failure_ratio"]
    #: Closed-model p95/p99 past their thresholds: a finding, not a gate.
    record["closed_latency_findings"] = [m for metric, m in missed if metric != "failure_ratio"]
    record["invariant_violations"] = sum(r["violations"] for r in record["invariants"]["results"])
    return record


def run(ctx: StageContext) -> None:
    profile, results = ctx.profile, []
    chosen = [s for s in ctx.strategies if not profile.swarm_strategies or s in profile.swarm_strategies]
    for name in chosen:
        ctx.say(f"swarm: {name}, {profile.swarm_users} users on 10 hot students, {profile.swarm_seconds}s")
        options = SwarmOptions(strategy=name, workload="hotspot", users=profile.swarm_users,
                               spawn_rate=profile.swarm_users, run_time_s=profile.swarm_seconds,
                               students=profile.swarm_students)
        results.append(swarm_record(run_swarm(ctx.env, ctx.config, options,
                                              RunDirectory(ctx.run.path / "swarms" / name), seed=ctx.settings.seed)))
    ctx.run.write_json("swarms", results)


def _per_strategy(name: str, field: str, op: str, value: float | None = None) -> FieldGate:
    return FieldGate(name, "swarms", field, op, value, per=("strategy",), exempt=("legacy",))


STAGE = Stage("swarms", "a hot-spot Locust swarm per strategy, judged by ledger and invariants", run, gates=(
    _per_strategy("swarm failure-ratio threshold", "threshold_failures", "empty"),
    _per_strategy("lost XP", "lost_xp", "<=", 0),
    _per_strategy("desynced pairs", "desynced_pairs", "<=", 0),
    _per_strategy("invariant violations", "invariant_violations", "<=", 0),
))
