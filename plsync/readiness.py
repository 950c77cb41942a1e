"""The readiness pipeline: provision, then run the declared stages in order; each writes its JSON into the
run directory and owns its gates; the verdict iterates the stages and applies their gates."""

from __future__ import annotations

import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field

from rich.console import Console
from rich.markup import escape

from fixtures.provision import provision
from plsync.gates import NOT_MEASURED, GateOutcome, check_gates, failures, not_measured
from plsync.profiles import Profile
from plsync.records.files import VERDICT
from plsync.rundir import RunDirectory
from plsync.safety import require_disposable
from plsync.settings import HarnessSettings
from plsync.stages import STAGES, Stage, StageContext, select_stages
from system.db import Database
from system.strategies import strategy_class, strategy_names

ERRORS_LOG = "stage-errors.log"


@dataclass(frozen=True)
class StageRecord:
    name: str
    status: str  # ran | error | skipped
    seconds: float = 0.0
    error: str | None = None


@dataclass(frozen=True)
class Verdict:
    passed: bool
    failures: list[str]
    profile: str
    stages: list[StageRecord]
    gates: list[GateOutcome] = field(default_factory=list)


def choose_strategies(names: Sequence[str]) -> list[str]:
    for name in names:
        strategy_class(name)  # unknown -> ConfigurationError before anything starts
    return list(names) or strategy_names()


def run_readiness(settings: HarnessSettings, profile: Profile, console: Console, *, strategies: Sequence[str] = (),
                  only: Sequence[str] = (), skip: Sequence[str] = ()) -> RunDirectory:
    chosen = choose_strategies(strategies)
    stages = select_stages(STAGES, only, skip)
    settings.require_shared_redis(chosen)
    run = RunDirectory.create(settings.runs_root, "readiness")
    console.print(f"[bold]plsync readiness[/] ({profile.name} profile: {profile.description}) -> {run.path}",
                  highlight=False)
    records: list[StageRecord] = []
    with provision(settings.servers()) as env:
        require_disposable(env, "seed students and load-test the database")
        config = settings.system_config(env.database_url, env.redis_url, sync_log_dir=run.path / "sync_jobs")
        db = Database.connect(config)
        try:
            ctx = StageContext(settings, profile, run, env, config, db, console, chosen)
            for number, stage in enumerate(stages, 1):
                records.append(_run_stage(stage, ctx, f"[{number}/{len(stages)}]"))
        finally:
            db.dispose()
    ran = {r.name: r for r in records}
    in_order = [ran.get(s.name) or StageRecord(s.name, "skipped") for s in STAGES]
    run.write_record(VERDICT, judge(run, in_order, profile.name))
    return run


def _run_stage(stage: Stage, ctx: StageContext, counter: str) -> StageRecord:
    ctx.console.print(f"[bold]{counter} {stage.name}[/]: {stage.description}", highlight=False)
    began = time.perf_counter()
    try:
        stage.run(ctx)
    except Exception as exc:
        # One stage failing must not hide the others' results: record it, keep the traceback, go on.
        # (Ctrl-C and SystemExit are not Exceptions: they still stop the run.)
        with (ctx.run.path / ERRORS_LOG).open("a") as log:
            log.write(f"--- stage {stage.name}\n{traceback.format_exc()}\n")
        message = f"{type(exc).__name__}: {exc}"
        ctx.console.print(f"[red]{counter} {stage.name} failed: {escape(message)}[/] (traceback in {ERRORS_LOG})",
                          highlight=False)
        return StageRecord(stage.name, "error", time.perf_counter() - began, message)
    seconds = time.perf_counter() - began
    ctx.console.print(f"[dim]{counter} {stage.name} done in {seconds:.1f} s[/]", highlight=False)
    return StageRecord(stage.name, "ran", seconds)


def judge(run: RunDirectory, records: Sequence[StageRecord], profile: str) -> Verdict:
    """Apply every stage's gates to what the run directory holds; a stage that failed is a failure."""
    outcomes: list[GateOutcome] = []
    errors = []
    status = {r.name: r for r in records}
    for stage in STAGES:
        record = status.get(stage.name)
        if record is None or record.status == "skipped":
            outcomes += [not_measured(stage.name, g) for g in stage.gates]
            continue
        if record.status == "error":
            errors.append(f"{stage.name}: the stage failed: {record.error}")
        outcomes += check_gates(stage.name, stage.gates, run.read_record, run.has)
    failed = errors + failures(outcomes)
    # A gate whose file a stage that ran never wrote fails; a subject the stage wrote as not measured (null,
    # with its reason) stays not measured.
    measured_nothing = [o for o in outcomes if o.status == NOT_MEASURED and status.get(o.stage)
                        and status[o.stage].status == "ran" and not run.has(o.source.removesuffix(".json"))]
    failed += [f"{o.stage}: {o.gate}: the stage wrote no {o.source}" for o in measured_nothing]
    return Verdict(not failed, failed, profile, list(records), outcomes)
