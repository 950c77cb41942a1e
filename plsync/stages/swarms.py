"""Stage ``swarms``: a hot-spot Locust swarm per strategy (direct transport), judged by its failure ratio and
the invariant checker against the ledgers. Its latencies come from the closed model (each user waits for
its reply, so a stall shows as a few slow requests): they are reported, with the thresholds they would
miss, and not gated; latency is gated by the capacity stage, on the open model."""

from __future__ import annotations

from plsync.gates import FieldGate
from plsync.records.files import SWARMS
from plsync.rundir import RunDirectory
from plsync.stages.base import Stage, StageContext
from plsync.swarm import SwarmOptions, run_swarm


def run(ctx: StageContext) -> None:
    profile, results = ctx.profile, []
    chosen = [s for s in ctx.strategies if not profile.swarm_strategies or s in profile.swarm_strategies]
    for name in chosen:
        ctx.say(f"swarm: {name}, {profile.swarm_users} users on 10 hot students, {profile.swarm_seconds}s")
        options = SwarmOptions(strategy=name, workload="hotspot", users=profile.swarm_users,
                               spawn_rate=profile.swarm_users, run_time_s=profile.swarm_seconds,
                               students=profile.swarm_students)
        results.append(run_swarm(ctx.env, ctx.config, options, RunDirectory(ctx.run.path / "swarms" / name),
                                 seed=ctx.settings.seed).record())
    ctx.run.write_record(SWARMS, results)


def _per_strategy(name: str, field: str, op: str, value: float | None = None) -> FieldGate:
    return FieldGate(name, SWARMS, field, op, value, per=("strategy",), exempt=("legacy",))


STAGE = Stage("swarms", "a hot-spot Locust swarm per strategy, judged by ledger and invariants", run, gates=(
    _per_strategy("swarm failure-ratio threshold", "threshold_failures", "empty"),
    _per_strategy("lost XP", "lost_xp", "<=", 0),
    _per_strategy("desynced pairs", "desynced_pairs", "<=", 0),
    _per_strategy("invariant violations", "invariant_violations", "<=", 0),
    # Not exempt for legacy: a ledger that is empty, or did not arrive whole, judges nothing, whatever the strategy.
    FieldGate("operations in the ledger", SWARMS, "ledger_entries", ">=", 1, per=("strategy",)),
    FieldGate("every worker's ledger reached the master", SWARMS, "incomplete_workers", "empty", per=("strategy",)),
))
