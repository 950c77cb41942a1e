"""``plsync scenarios``: the edge cases and faults under every strategy, as a measured matrix."""

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
    console,
    emit_json,
    out,
    say,
    settings_from,
)


def scenarios_cmd(strategies: Annotated[list[str] | None, typer.Option("--strategy", help="Repeat; default all")]
                  = None,
                  only: Annotated[list[str] | None, typer.Option("--only", help="Scenario name; repeat")] = None,
                  randomized: Annotated[bool, typer.Option("--randomized/--no-randomized")] = True,
                  skip_tag: Annotated[list[str] | None, typer.Option("--skip-tag", help="Leave out scenarios with "
                                                                     "this tag (e.g. pause, boundary); repeat")]
                  = None,
                  runs_dir: RunsDir = Path("runs"),
                  as_json: AsJson = False, database_url: DatabaseUrl = None, database: DatabaseMode = None,
                  redis_url: RedisUrl = None, disposable: Disposable = False) -> None:
    """Run the scenarios x strategies matrix; exit 1 when a cell is not what was expected."""
    from plsync.errors import RunFailedError
    from plsync.readiness import choose_strategies
    from plsync.records.files import MATRIX
    from plsync.rundir import RunDirectory
    from plsync.safety import require_disposable
    from plsync.session import open_system
    from plsync.stages.scenarios import LOG, run_matrix_shown
    from reports.matrix import contradictions, matrix_table
    from scenarios.catalog import scenario_named

    chosen = choose_strategies(strategies or ())
    for name in only or []:
        scenario_named(name)
    settings = settings_from(database_url, database, redis_url, disposable, runs_root=runs_dir)
    settings.require_shared_redis(chosen)
    run = RunDirectory.create(settings.runs_root, "scenarios")
    with open_system(settings, with_redis=True, demo_data=False, run=run) as system:
        require_disposable(system.env, "wipe the data and inject faults")
        cells = run_matrix_shown(system.config, system.env, run, chosen, console, only=only or (),
                                 skip_tags=(() if randomized else ("randomized",)) + tuple(skip_tag or ()))
    run.write_record(MATRIX, cells)
    recorded = run.read_record(MATRIX)
    if as_json:
        emit_json([cell.model_dump(mode="json") for cell in recorded])
    else:
        out.print(matrix_table(recorded))
        for line in contradictions(recorded):
            say(f"claim contradicted: {line}", style="yellow")
        say(f"results: {run.path} (the system's logs of injected faults: {LOG})")
    bad = [f"{c.scenario}/{c.strategy}: {c.observed} (expected {' or '.join(c.expected)})"
           for c in recorded if not c.matches]
    if bad:
        raise RunFailedError("scenario cells not as expected:\n  " + "\n  ".join(bad))


def register(app: typer.Typer) -> None:
    app.command("scenarios")(scenarios_cmd)
