"""Stage ``scenarios``: the edge cases and injected faults under every strategy, as a matrix of observed
outcomes compared with what is expected and with what the seeds claim. It wipes the data per cell."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.markup import escape

from fixtures.provision import Environment
from plsync.gates import FieldGate
from plsync.logfiles import system_log_to
from plsync.progress import progress_bar
from plsync.records.files import MATRIX
from plsync.rundir import RunDirectory
from plsync.stages.base import Stage, StageContext
from scenarios.matrix import Cell, run_matrix, select_scenarios
from system.config import SystemConfig
from system.db import Database

LOG = "scenarios.log"


def run_matrix_shown(config: SystemConfig, env: Environment, run: RunDirectory, strategies: Sequence[str],
                     console: Console, *, only: Sequence[str] = (), skip_tags: Sequence[str] = ()) -> list[Cell]:
    """Run the matrix under a progress bar; the system's log lines of injected faults go to the run's
    ``scenarios.log``; a cell that is not as expected is printed as it happens."""
    chosen = select_scenarios(only, skip_tags)
    admin = Database.connect(config, application_name="plsync-scenarios", pre_ping=True)
    try:
        with system_log_to(run.path / LOG), progress_bar(console) as progress:
            task = progress.add_task("scenarios", total=len(chosen) * len(strategies))

            def shown(cell: Cell) -> None:
                progress.advance(task)
                progress.update(task, description=f"{cell.scenario} / {cell.strategy}")
                if not cell.matches:
                    console.print(f"[red]scenario {escape(cell.scenario)} / {cell.strategy}: observed "
                                  f"{cell.observed}, expected {' or '.join(cell.expected)}[/]"
                                  + (f" ({escape(str(cell.evidence.get('error')))})" if cell.observed == "error"
                                     else ""), highlight=False)

            return run_matrix(admin, config, list(strategies), postgres=env.postgres, only=list(only),
                              skip_tags=skip_tags, on_cell=shown)
    finally:
        admin.dispose()


def run(ctx: StageContext) -> None:
    cells = run_matrix_shown(ctx.config, ctx.env, ctx.run, ctx.strategies, ctx.console,
                             skip_tags=ctx.profile.skip_scenario_tags)
    ctx.run.write_record(MATRIX, cells)
    ctx.say(f"scenarios: {len(cells)} cells; the system's logs of injected faults are in {LOG}")


STAGE = Stage("scenarios", "edge cases and injected faults x strategies, against expectations and claims", run,
              gates=(FieldGate("scenario outcome as expected", MATRIX, "matches", "==", True,
                               per=("scenario", "strategy")),))
