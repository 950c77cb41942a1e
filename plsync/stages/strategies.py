"""Stage ``strategies``: per strategy, single-threaded level-up latency, then N threads levelling up one
student at once, each judged by the invariant checker against the operations' ledger."""

from __future__ import annotations

from fixtures.population import add_students
from plsync.gates import FieldGate
from plsync.progress import progress_bar
from plsync.records.files import CONCURRENCY, LATENCY
from plsync.records.strategies import ConcurrencyRecord
from plsync.rundir import to_jsonable
from plsync.stages.base import Stage, StageContext
from scenarios.concurrency import ConcurrencyOutcome, run_concurrent_level_ups
from scenarios.latency import measure_level_up_latency
from scenarios.runner import StrategyRunner

LATENCY_STUDENTS = 20


def concurrency_record(outcome: ConcurrencyOutcome) -> ConcurrencyRecord:
    """The outcome as its record, with the ratios its gates read computed here, by the producer."""
    return ConcurrencyRecord.model_validate(to_jsonable(outcome) | {
        "failed_ratio": (outcome.failed + outcome.unknown) / max(1, outcome.operations),
        "invariant_violations": sum(r.violations for r in outcome.invariants.results)})


def run(ctx: StageContext) -> None:
    profile = ctx.profile
    latency, concurrency = [], []
    with progress_bar(ctx.console) as progress:
        task = progress.add_task("strategies", total=len(ctx.strategies) * 2)
        for name in ctx.strategies:
            with ctx.db.transaction() as session:
                students = add_students(session, LATENCY_STUDENTS + 1, seed=ctx.settings.seed)
            with StrategyRunner(ctx.config, name, connections=profile.threads + 2) as runner:
                progress.update(task, description=f"{name}: latency ({profile.latency_ops} level-ups)")
                latency.append(measure_level_up_latency(runner, user_ids=students[1:],
                                                        operations=profile.latency_ops))
                progress.advance(task)
                progress.update(task, description=f"{name}: {profile.threads} threads x "
                                                  f"{profile.ops_per_thread} level-ups on one student")
                concurrency.append(concurrency_record(run_concurrent_level_ups(
                    runner, user_id=students[0], threads=profile.threads, ops_per_thread=profile.ops_per_thread)))
                progress.advance(task)
    ctx.run.write_record(LATENCY, latency)
    ctx.run.write_record(CONCURRENCY, concurrency)


def _per_strategy(name: str, field: str, op: str, value: float) -> FieldGate:
    return FieldGate(name, CONCURRENCY, field, op, value, per=("strategy",), exempt=("legacy",))


STAGE = Stage(
    "strategies", "single-threaded latency and N threads on one student, per strategy", run,
    # Its level-up latency is reported, not gated: 001's 10-50 ms is a lock hold time, which the
    # benchmarks stage measures (lock_hold) and gates.
    gates=(
        _per_strategy("lost XP", "lost_xp", "<=", 0),
        _per_strategy("desynced pairs", "desynced_pairs", "<=", 0),
        _per_strategy("invariant violations", "invariant_violations", "<=", 0),
        _per_strategy("failed or unknown operations ratio", "failed_ratio", "<=", 0.05),
    ))
