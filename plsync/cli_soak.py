"""``plsync soak``: the scheduler soak alone, into its own run directory, judged by the soak stage's gates."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from plsync.options import (
    AsJson,
    DatabaseMode,
    DatabaseUrl,
    Disposable,
    RedisUrl,
    RunsDir,
    Strategy,
    console,
    duration_option,
    emit_json,
    out,
    say,
    settings_from,
)

DEFAULT_LOAD = "ops=16,threads=2,faults=20"


def soak_cmd(hours: Annotated[float, typer.Option("--hours", help="Hours of schedule (the steady phase)")] = 24,
             interval: Annotated[int, duration_option("--interval", help="Between two runs of the job")] = 600,
             clock: Annotated[str, typer.Option("--clock", help="virtual (time skipped, seconds) or real (wall "
                                                                "time compressed by --speedup)")] = "virtual",
             speedup: Annotated[float, typer.Option("--speedup", help="Real clock: interval, misfire grace and "
                                                                      "health limit divided by this")] = 300,
             users: Annotated[int, typer.Option("--users", help="Population seeded for the soak")] = 10_000,
             load: Annotated[str, typer.Option("--load", help="Between two runs: client operations, concurrent "
                                                              "clients, injected faults")] = DEFAULT_LOAD,
             warmup_runs: Annotated[int, typer.Option("--warmup-runs", help="Runs left out of the memory "
                                                                            "regression")] = 12,
             seed: Annotated[int, typer.Option("--seed")] = 42,
             strategy: Strategy = "coupled", runs_dir: RunsDir = Path("runs"), as_json: AsJson = False,
             database_url: DatabaseUrl = None, database: DatabaseMode = None, redis_url: RedisUrl = None,
             disposable: Disposable = False) -> None:
    """Soak the background sync job: its production scheduler, load and faults between runs, then an overrun, a
    database restart and an outage. Exit 1 when a gate fails."""
    from plsync.errors import RunFailedError
    from plsync.gates import check_gates, failures
    from plsync.records.files import SOAK
    from plsync.rundir import RunDirectory
    from plsync.safety import require_disposable
    from plsync.session import open_system
    from plsync.stages.soak import GATES, soak_shown
    from reports.run_reader import RunReader
    from reports.soak import phases_table, soak_table
    from scenarios.soak import SoakOptions
    from scenarios.soak.clock import make_clock
    from scenarios.soak.load import LoadSize
    from system.strategies import strategy_class

    strategy_class(strategy)  # every input is checked before anything starts
    defaults = SoakOptions()
    options = SoakOptions(hours=hours, interval_s=interval, clock=clock, speedup=speedup, users=users,
                          strategy=strategy, load=LoadSize.parse(load, defaults.load), warmup_runs=warmup_runs,
                          seed=seed)
    make_clock(clock, speedup)
    settings = settings_from(database_url, database, redis_url, disposable, runs_root=runs_dir, seed=seed)
    settings.require_shared_redis([strategy])
    run = RunDirectory.create(settings.runs_root, "soak")
    console.print(f"[bold]plsync soak[/]: {options.runs_expected} runs over {hours:g} h, {clock} clock -> "
                  f"{run.path}", highlight=False)
    with open_system(settings, with_redis=strategy == "redis", demo_data=False, run=run) as system:
        require_disposable(system.env, "replace the data with a soak population")
        soak_shown(system.config, system.env, run, options, console)
    outcomes = check_gates("soak", GATES, run.read_record, run.has)
    run.write_json("soak_gates", outcomes)
    failed = failures(outcomes)
    reader = RunReader(run.path)
    if as_json:
        emit_json(reader.load(SOAK).model_dump(mode="json"))
    else:
        soak = reader.load(SOAK)
        out.print(soak_table(soak))
        out.print(phases_table(soak.phases))
        say(f"results: {run.path}")
    if failed:
        raise RunFailedError("soak failed:\n  " + "\n  ".join(failed))
    if not as_json:
        say(f"soak: PASS ({len(outcomes)} gates)", style="bold green")


def register(app: typer.Typer) -> None:
    app.command("soak")(soak_cmd)
