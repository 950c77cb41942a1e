"""Stage ``swarms``: a hot-spot Locust swarm per strategy (direct transport), each judged like
``plsync swarm``: its thresholds, and the invariant checker against the ledgers."""

from __future__ import annotations

from plsync.gates import FieldGate
from plsync.rundir import RunDirectory
from plsync.stages.base import Stage, StageContext
from plsync.swarm import SwarmOptions, run_swarm


def run(ctx: StageContext) -> None:
    profile, results = ctx.profile, []
    for name in ctx.strategies:
        ctx.say(f"swarm: {name}, {profile.swarm_users} users on 10 hot students, {profile.swarm_seconds}s")
        options = SwarmOptions(strategy=name, workload="hotspot", users=profile.swarm_users,
                               spawn_rate=profile.swarm_users, run_time_s=profile.swarm_seconds,
                               students=profile.swarm_students)
        results.append(run_swarm(ctx.env, ctx.config, options, RunDirectory(ctx.run.path / "swarms" / name),
                                 seed=ctx.settings.seed))
    ctx.run.write_json("swarms", results)


STAGE = Stage("swarms", "a hot-spot Locust swarm per strategy, judged by ledger and invariants", run, gates=(
    FieldGate("swarm thresholds and invariants", "swarms", "failures_of_gates", "empty", per=("strategy",),
              exempt=("legacy",)),
))
