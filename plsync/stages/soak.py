"""Stage ``soak``: the 24-hour scheduler soak of seed 002 (the production job on APScheduler, 144 runs with
clients and fresh faults between them, then an overrun, a database restart and an outage), on the profile's
clock. ``plsync soak`` runs the same code and judges it by the same gates."""

from __future__ import annotations

import csv

from rich.console import Console

from fixtures.provision import Environment
from plsync.gates import FieldGate, MatchGate
from plsync.logfiles import system_log_to
from plsync.profiles import Profile
from plsync.progress import progress_bar
from plsync.records.files import SOAK, SOAK_PHASES
from plsync.rundir import RunDirectory, to_jsonable
from plsync.stages.base import Stage, StageContext
from scenarios.soak import RunRecord, SoakOptions, SoakResult, run_soak
from scenarios.soak.load import LoadSize
from scenarios.soak.results import csv_rows
from system.config import SystemConfig

#: Where a soak keeps what is not a result: the job's JSON logs, the faults' ground truth, the log lines.
FOLDER = "soak"
#: Runs of the phases beyond the steady ones (overrun 2, restart 2, outage 1): the progress bar's total.
PHASE_RUNS = 5


def options_for(profile: Profile, seed: int) -> SoakOptions:
    return SoakOptions(hours=profile.soak_hours, interval_s=profile.soak_interval_s, clock=profile.soak_clock,
                       speedup=profile.soak_speedup, users=profile.soak_users,
                       load=LoadSize(profile.soak_load_ops, profile.soak_load_threads, profile.soak_faults),
                       warmup_runs=profile.soak_warmup_runs, seed=seed)


def soak_shown(config: SystemConfig, env: Environment, run: RunDirectory, options: SoakOptions,
               console: Console) -> SoakResult:
    """Soak under a progress bar, the system's and APScheduler's log lines into the run, results written."""
    folder = run.path / FOLDER
    runs = options.runs_expected
    with system_log_to(folder / "soak.log", ("system", "apscheduler")), \
            progress_bar(console, count="{task.completed:,} runs") as progress:
        task = progress.add_task(f"soak ({options.clock} clock)", total=runs + PHASE_RUNS)

        def shown(record: RunRecord) -> None:
            progress.advance(task)
            progress.update(task, description=f"soak: run {record.run} ({record.phase}, {record.status})")

        result = run_soak(config, options, log_dir=folder / "sync_jobs", postgres=env.postgres,
                          truth=folder / "faults.jsonl", on_run=shown,
                          on_progress=lambda m: console.print(f"[dim]soak: {m}[/]", highlight=False))
    write_results(run, result)
    return result


def write_results(run: RunDirectory, result: SoakResult) -> None:
    """``soak.json`` (everything, the per-run series included), ``soak_phases.json`` (what the phase gate
    reads) and ``soak_runs.csv`` (the series for a spreadsheet)."""
    payload = to_jsonable(result)
    run.write_record(SOAK, payload)
    run.write_record(SOAK_PHASES, payload["phases"])
    header, rows = csv_rows(result.runs)
    with (run.path / "soak_runs.csv").open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)


def run(ctx: StageContext) -> None:
    soak_shown(ctx.config, ctx.env, ctx.run, options_for(ctx.profile, ctx.settings.seed), ctx.console)
    # The restart phase ended every server session, the pooled ones of the pipeline's engine too.
    ctx.db.engine.dispose()


def _gate(name: str, field: str, op: str, value: float | bool) -> FieldGate:
    return FieldGate(name, SOAK, field, op, value)


GATES = (
    MatchGate("every fire time of the steady phase ran (144 in 24 h at 10 min)", SOAK, "runs_executed",
              "runs_expected"),
    _gate("no run failed in the steady phase", "runs_failed", "==", 0),
    _gate("no overlapping run in the steady phase (max_instances events)", "overlapping_runs", "==", 0),
    _gate("no missed run in the steady phase (misfire events)", "missed_runs", "==", 0),
    _gate("no desync left after any successful run (that started after the work before it)",
          "max_desyncs_left_after_run", "==", 0),
    _gate("RSS growth over the steady runs after the warm-up, %", "rss.growth_pct", "<", 5),
    _gate("no significant positive RSS slope (one-sided t test at 1 %, beyond the tolerance)",
          "rss.slope.significant", "==", False),
    _gate("health monitor silent while the job runs", "health_false_alarms", "==", 0),
    _gate("health monitor alerted during the outage", "health_alert_fired", "==", True),
    FieldGate("phase behaved as designed", SOAK_PHASES, "holds", "==", True, per=("phase",)),
    _gate("the job's JSON logs agree with what the soak observed", "log_cross_check_agrees", "==", True),
    _gate("invariants hold after the soak (ledger against the database)", "invariants_hold", "==", True),
)

STAGE = Stage("soak", "the scheduler soak: the production job on APScheduler, load and faults between runs, "
                      "overrun, database restart, outage", run, gates=GATES)
