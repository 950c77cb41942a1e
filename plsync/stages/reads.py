"""Stage ``reads``: what readers see while level-ups commit. A read-heavy swarm per strategy, in process
(every in-process read mode) and through the API (its consistency endpoint), each judged by the read
checker over the history its processes recorded. The system's own readers (the service's
``validate_consistency`` and the endpoint over it) are gated: no fractured read, under every strategy but
legacy; the other modes are measured as what a reader *could* do."""

from __future__ import annotations

from dataclasses import replace

from plsync.gates import FieldGate
from plsync.records.files import READS, READS_SYSTEM, SWARM, SWARM_READS
from plsync.records.reads import ReadModeRow, ReadsRecord
from plsync.rundir import RunDirectory
from plsync.stages.base import Stage, StageContext
from plsync.swarm import SwarmOptions, run_swarm
from plsync.swarm_reads import judge_reads
from scenarios.read_modes import modes_for_transport

#: Seconds a reads swarm runs at most. A rate per thousand needs reads, not minutes: 20 s of 32 users gives a few
#: hundred reads per mode and strategy here, and 14 swarms of the full profile's 60 s would add half an hour.
MAX_SECONDS = 20


def _record(transport: str, row: ReadModeRow) -> ReadsRecord:
    return ReadsRecord(strategy=row.strategy, transport=transport, mode=row.mode, system_code=row.system_code,
                       reads=row.reads, torn=row.torn, between=row.between, visible=row.visible,
                       fractured=row.fractured if row.reads else None, rate_per_1000=row.rate_per_1000,
                       note="" if row.reads else "no successful read in this mode")


def _unread_system_modes(strategy: str, transport: str, rows: list[ReadModeRow]) -> list[ReadsRecord]:
    """A system mode of the transport with no row at all (never read): not measured, said as such, so the gate
    never passes on a reader that did not read."""
    read = {r.mode for r in rows}
    return [ReadsRecord(strategy=strategy, transport=transport, mode=m.name, system_code=True, reads=0, torn=0,
                        between=0, visible=0, fractured=None, rate_per_1000=None, note="never read in this swarm")
            for m in modes_for_transport(transport) if m.system_code and m.name not in read]


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
            sub.write_record(SWARM, run_swarm(ctx.env, ctx.config, options, sub, seed=ctx.settings.seed).record())
            judged = judge_reads(name, sub.path / "ledgers", workload_reads=True)
            sub.write_record(SWARM_READS, judged)
            records += [_record(options.transport, row) for row in judged.rows]
            records += _unread_system_modes(name, options.transport, judged.rows)
    ctx.run.write_record(READS, records)
    ctx.run.write_record(READS_SYSTEM, [r for r in records if r.system_code])


STAGE = Stage("reads", "what readers see: fractured reads per strategy and read mode, by a checker over the "
              "recorded history", run, gates=(
                  FieldGate("the system's reader shows no fractured read", READS_SYSTEM, "fractured", "==", 0,
                            per=("strategy", "mode"), exempt=("legacy/service", "legacy/api")),
              ))
