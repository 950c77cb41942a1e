"""Stage ``reads``: what readers see while level-ups commit. A read-heavy swarm per strategy, in process
(every in-process read mode) and through the API (its consistency endpoint), each judged by the read
checker over the history its processes recorded. The system's own readers (the service's
``validate_consistency`` and the endpoint over it) are gated: no fractured read, under every strategy but
legacy; the other modes are measured as what a reader *could* do."""

from __future__ import annotations

from dataclasses import dataclass, replace

from plsync.gates import FieldGate
from plsync.rundir import RunDirectory
from plsync.stages.base import Stage, StageContext
from plsync.swarm import SwarmOptions, run_swarm
from plsync.swarm_reads import ReadRow, judge_reads

#: Seconds a reads swarm runs at most. A rate per thousand needs reads, not minutes: 20 s of 32 users gives a few
#: hundred reads per mode and strategy here, and 14 swarms of the full profile's 60 s would add half an hour.
MAX_SECONDS = 20


@dataclass(frozen=True)
class ReadsRecord:
    """One strategy and read mode over one swarm (``reads.json``; the system's modes also ``reads_system.json``)."""

    strategy: str
    transport: str
    mode: str
    system_code: bool
    reads: int
    torn: int
    between: int
    visible: int
    #: None when the mode was not read at all: not measured, never a pass.
    fractured: int | None
    rate_per_1000: float | None
    note: str = ""


def _record(transport: str, row: ReadRow) -> ReadsRecord:
    return ReadsRecord(row.strategy, transport, row.mode, row.system_code, row.reads, row.torn, row.between,
                       row.visible, row.fractured if row.reads else None, row.rate_per_1000,
                       "" if row.reads else "no successful read in this mode")


def run(ctx: StageContext) -> None:
    profile, records = ctx.profile, []
    chosen = [s for s in ctx.strategies if not profile.swarm_strategies or s in profile.swarm_strategies]
    for name in chosen:
        direct = SwarmOptions(strategy=name, workload="read_heavy", users=profile.swarm_users,
                              spawn_rate=profile.swarm_users, run_time_s=min(profile.swarm_seconds, MAX_SECONDS),
                              students=profile.swarm_students)
        for options in (direct, replace(direct, transport="http")):
            ctx.say(f"reads: {name}, {options.transport}, {options.users} users, half reads, {options.run_time_s}s")
            sub = RunDirectory(ctx.run.path / "reads" / f"{name}-{options.transport}")
            run_swarm(ctx.env, ctx.config, options, sub, seed=ctx.settings.seed)
            judged = judge_reads(name, sub.path / "ledgers", workload_reads=True)
            sub.write_json("reads", judged)
            records += [_record(options.transport, row) for row in judged.rows]
    ctx.run.write_json("reads", records)
    ctx.run.write_json("reads_system", [r for r in records if r.system_code])


STAGE = Stage("reads", "what readers see: fractured reads per strategy and read mode, by a checker over the "
              "recorded history", run, gates=(
                  FieldGate("the system's reader shows no fractured read", "reads_system", "fractured", "==", 0,
                            per=("strategy", "mode"), exempt=("legacy/service", "legacy/api")),
              ))
