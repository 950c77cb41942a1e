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


def capacity_cmd(strategies: Annotated[list[str] | None, typer.Option("--strategy", help="Repeat for several, or "
                                                                       "'all'; default coupled")] = None,
                 profile: Annotated[str, typer.Option("--profile", help="smoke, standard or full: the sizes "
                                                      "of the search (each flag below overrides one)")] = "standard",
                 slo: Annotated[str, typer.Option("--slo", help="Response-time objective of the open model, "
                                                  "e.g. 'p99<=50ms' (p50, p90, p95, p99, p99.9)")] = "p99<=50ms",
                 workload: Annotated[str, typer.Option("--workload", help="hotspot or uniform")] = "hotspot",
                 transport: Annotated[str, typer.Option("--transport", help="direct or http")] = "direct",
                 start_rate: Annotated[str | None, typer.Option("--start-rate", help="The first step's rate")] = None,
                 min_rate: Annotated[str | None, typer.Option("--min-rate", help="The floor when the start rate "
                                                              "fails (the search steps down to it)")] = None,
                 max_rate: Annotated[str | None, typer.Option("--max-rate", help="No step above this rate")] = None,
                 growth: Annotated[float, typer.Option("--growth", help="Each geometric step's factor")] = 2.0,
                 bisections: Annotated[int | None, typer.Option("--bisections")] = None,
                 repeats: Annotated[int | None, typer.Option("--repeats", help="Runs at the boundary "
                                                             "(spread)")] = None,
                 step_time: Annotated[int | None, duration_option("--step-time", help="Each step's run time")] = None,
                 warmup: Annotated[float | None, typer.Option("--warmup", help="Seconds of each step left out of "
                                                              "its figures")] = None,
                 max_users: Annotated[int | None, typer.Option("--max-users", help="The pool of users (k6's "
                                                               "maxVUs)")] = None,
                 students: Annotated[int | None, typer.Option("--students")] = None,
                 shipping: Annotated[str, typer.Option("--shipping", help="The strategy that ships")] = "coupled",
                 runs_dir: RunsDir = Path("runs"), as_json: AsJson = False, database_url: DatabaseUrl = None,
                 database: DatabaseMode = None, redis_url: RedisUrl = None, disposable: Disposable = False) -> None:
    """Step the offered rate (geometric, then bisection) per strategy; report the capacity at the SLO."""
    from loadtests.arrivals import parse_rate
    from loadtests.capacity import SearchPlan, Slo
    from plsync.capacity import CapacityOptions, run_capacity
    from plsync.profiles import profile_named
    from plsync.rundir import RunDirectory
    from plsync.safety import require_disposable
    from plsync.session import open_system
    from reports.capacity import capacity_line, steps_table
    from system.errors import ConfigurationError
    from system.strategies import strategy_names

    if workload not in ("hotspot", "uniform"):
        raise ConfigurationError(f"unknown capacity workload {workload!r} (hotspot or uniform)")
    sizes = profile_named(profile)
    names = strategies or ["coupled"]
    chosen = tuple(dict.fromkeys(s for name in names for s in (strategy_names() if name == "all" else [name])))

    def rate(text: str | None, default: float) -> float:
        return default if text is None else parse_rate(text)

    search = SearchPlan(rate(start_rate, sizes.capacity_start_per_s), growth, rate(max_rate, sizes.capacity_max_per_s),
                        sizes.capacity_bisections if bisections is None else bisections,
                        sizes.capacity_repeats if repeats is None else repeats,
                        rate(min_rate, sizes.capacity_min_per_s))
    options = CapacityOptions(chosen, Slo.parse(slo), workload, transport,
                              sizes.capacity_users if max_users is None else max_users,
                              sizes.capacity_step_s if step_time is None else step_time,
                              sizes.capacity_warmup_s if warmup is None else warmup,
                              students=max(100, sizes.swarm_students) if students is None else students,
                              search=search, shipping=shipping)
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
