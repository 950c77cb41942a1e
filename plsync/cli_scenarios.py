"""``plsync scenarios``: the edge cases and faults under every strategy, as a measured matrix."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from plsync.options import AsJson, DatabaseMode, DatabaseUrl, Disposable, RedisUrl, console, emit, out, settings_from


def scenarios_cmd(strategies: Annotated[list[str] | None, typer.Option("--strategy", help="Repeat; default all")]
                  = None,
                  only: Annotated[list[str] | None, typer.Option("--only", help="Scenario name; repeat")] = None,
                  randomized: Annotated[bool, typer.Option("--randomized/--no-randomized")] = True,
                  runs_dir: Annotated[Path, typer.Option("--runs-dir", envvar="PLSYNC_RUNS_DIR")] = Path("runs"),
                  as_json: AsJson = False, database_url: DatabaseUrl = None, database: DatabaseMode = None,
                  redis_url: RedisUrl = None, disposable: Disposable = False) -> None:
    """Run the scenarios x strategies matrix; exit 1 when a cell is not what was expected."""
    from plsync.errors import RunFailedError
    from plsync.rundir import RunDirectory
    from plsync.safety import require_disposable
    from plsync.session import open_system
    from reports.matrix import contradictions, matrix_table
    from scenarios.catalog import scenario_named
    from scenarios.matrix import run_matrix
    from system.strategies import strategy_class, strategy_names

    for name in strategies or []:
        strategy_class(name)
    for name in only or []:
        scenario_named(name)
    settings = settings_from(database_url, database, redis_url, disposable, runs_root=runs_dir)
    with open_system(settings, with_redis=True, demo_data=False) as system:
        require_disposable(system.env, "wipe the data and inject faults")
        from system.db import Database

        admin = Database.connect(system.config, application_name="plsync-scenarios", pre_ping=True)
        try:
            cells = run_matrix(admin, system.config, list(strategies or strategy_names()),
                               postgres=system.env.postgres, only=list(only or []), include_randomized=randomized,
                               on_cell=lambda c: console.print(f"[dim]{c.scenario} / {c.strategy}: {c.observed}[/]"))
        finally:
            admin.dispose()
    run = RunDirectory.create(settings.runs_root, "scenarios")
    run.write_json("matrix", cells)
    recorded = run.read_json("matrix")
    if as_json:
        emit(recorded, True)
    else:
        out.print(matrix_table(recorded))
        for line in contradictions(recorded):
            out.print(f"[yellow]claim contradicted:[/] {line}")
        out.print(f"results: {run.path}")
    bad = [f"{c['scenario']}/{c['strategy']}: {c['observed']} (expected {' or '.join(c['expected'])})"
           for c in recorded if not c["matches"]]
    if bad:
        raise RunFailedError("scenario cells not as expected:\n  " + "\n  ".join(bad))


def register(app: typer.Typer) -> None:
    app.command("scenarios")(scenarios_cmd)
