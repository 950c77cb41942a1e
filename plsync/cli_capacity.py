"""``plsync capacity``: each strategy's highest offered rate (open model) that holds an SLO, with its curve."""

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
    duration_option,
    emit_json,
    note,
    out,
    say,
    settings_from,
)


def capacity_cmd(strategies: Annotated[list[str] | None, typer.Option("--strategy", help="Repeat for several; "
                                                                       "default coupled")] = None,
                 slo: Annotated[str, typer.Option("--slo", help="Response-time objective of the open model, "
                                                  "e.g. 'p99<=50ms' (p50, p90, p95, p99, p99.9)")] = "p99<=50ms",
                 workload: Annotated[str, typer.Option("--workload", help="hotspot or uniform")] = "hotspot",
                 transport: Annotated[str, typer.Option("--transport", help="direct or http")] = "direct",
                 start_rate: Annotated[str, typer.Option("--start-rate", help="The first step's rate")] = "10/s",
                 max_rate: Annotated[str, typer.Option("--max-rate", help="No step above this rate")] = "3200/s",
                 growth: Annotated[float, typer.Option("--growth", help="Each geometric step's factor")] = 2.0,
                 bisections: Annotated[int, typer.Option("--bisections")] = 2,
                 repeats: Annotated[int, typer.Option("--repeats", help="Runs at the boundary (spread)")] = 3,
                 step_time: Annotated[int, duration_option("--step-time", help="Each step's run time")] = 8,
                 max_users: Annotated[int, typer.Option("--max-users", help="The pool of users (k6's maxVUs)")] = 64,
                 students: Annotated[int, typer.Option("--students")] = 1000,
                 shipping: Annotated[str, typer.Option("--shipping", help="The strategy that ships")] = "coupled",
                 runs_dir: RunsDir = Path("runs"), as_json: AsJson = False, database_url: DatabaseUrl = None,
                 database: DatabaseMode = None, redis_url: RedisUrl = None, disposable: Disposable = False) -> None:
    """Step the offered rate (geometric, then bisection) per strategy; report the capacity at the SLO."""
    from loadtests.arrivals import parse_rate
    from loadtests.capacity import SearchPlan, Slo
    from plsync.capacity import CapacityOptions, run_capacity
    from plsync.rundir import RunDirectory
    from plsync.safety import require_disposable
    from plsync.session import open_system
    from reports.capacity import capacity_line, steps_table
    from system.errors import ConfigurationError

    if workload not in ("hotspot", "uniform"):
        raise ConfigurationError(f"unknown capacity workload {workload!r} (hotspot or uniform)")
    chosen = tuple(dict.fromkeys(strategies or ["coupled"]))
    options = CapacityOptions(chosen, Slo.parse(slo), workload, transport, max_users, step_time, students=students,
                              search=SearchPlan(parse_rate(start_rate), growth, parse_rate(max_rate), bisections,
                                                repeats), shipping=shipping)
    settings = settings_from(database_url, database, redis_url, disposable, runs_root=runs_dir)
    settings.require_shared_redis(list(chosen))
    run = RunDirectory.create(settings.runs_root, "capacity")
    with open_system(settings, with_redis=True, demo_data=False) as system:
        require_disposable(system.env, "replace the data with a capacity population")
        document = run_capacity(system.env, system.config, options, run, say=note)
    if as_json:
        emit_json(document.model_dump(mode="json"))
        return
    for entry in document.strategies:
        out.print(steps_table(document, entry))
    for entry in document.strategies:
        say(capacity_line(document, entry))
    say(f"results: {run.path}")


def register(app: typer.Typer) -> None:
    app.command("capacity")(capacity_cmd)
