"""``plsync bench``: the benchmark suite into a run directory, judged against the documented targets, and
optionally compared with an earlier run (``--compare``): a regression past a threshold (``--fail-on
median:10%``) fails the run when it is in a figure that may gate (a median over its raw-SQL ceiling timed in
the same rounds); raw medians are shown, and gate only over repeated runs (reports/compare.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from plsync.options import AsJson, DatabaseUrl, RedisUrl, RunsDir, emit_json, note, out, say, settings_from
from plsync.rundir import RunDirectory


def bench_cmd(ctx: typer.Context,
              profile: Annotated[str, typer.Option("--profile", help="smoke, standard (the quick suite) or full "
                                                                     "(everything, the slow scale points too)")]
              = "standard",
              slow: Annotated[bool | None, typer.Option("--slow/--no-slow", help="Run the slow benchmarks "
                                                                              "(default: as the profile says)")]
              = None,
              select: Annotated[str | None, typer.Option("-k", help="Only benchmarks matching this pytest "
                                                                    "expression")] = None,
              strategies: Annotated[list[str] | None, typer.Option("--strategy", help="Repeat; default: all")]
              = None,
              rounds: Annotated[int | None, typer.Option("--rounds", help="Rounds of every benchmark")] = None,
              compare: Annotated[Path | None, typer.Option("--compare", help="An earlier run directory, or a "
                                                                             "saved pytest-benchmark JSON file")]
              = None,
              fail_on: Annotated[list[str] | None, typer.Option("--fail-on", help="e.g. median:10% (repeat); "
                                                                                  "needs --compare")] = None,
              runs_dir: RunsDir = Path("runs"), as_json: AsJson = False,
              database_url: DatabaseUrl = None, redis_url: RedisUrl = None) -> None:
    """Run the benchmark suite; exit 1 on a missed target or a significant regression. Arguments after
    ``--`` go to pytest as they are."""
    from benchmarks.compare import benchmark_side, comparison_record
    from benchmarks.suite import SuiteRequest, run_suite
    from plsync.errors import RunFailedError
    from plsync.profiles import profile_named
    from plsync.readiness import choose_strategies
    from plsync.records.files import BENCHMARK_SCALE, BENCHMARKS
    from plsync.stages.benchmarks import write_suite
    from reports.benchmarks import notes, rich_table, scale_lines
    from reports.compare import Row, parse_thresholds
    from reports.compare_render import compare_table
    from system.errors import ConfigurationError, InvalidInputError, NotFoundError

    chosen = profile_named(profile)
    thresholds = fail_on or []
    if thresholds and compare is None:
        raise ConfigurationError("--fail-on needs --compare: a regression is relative to an earlier run")
    try:
        parse_thresholds(thresholds)
    except InvalidInputError as exc:
        raise ConfigurationError(str(exc)) from exc
    baseline = None
    if compare is not None:
        try:
            baseline = benchmark_side(compare)
        except (FileNotFoundError, ValueError) as exc:
            raise NotFoundError(str(exc)) from exc
    settings = settings_from(database_url, None, redis_url, runs_root=runs_dir)
    request = SuiteRequest(chosen, slow=chosen.bench_slow if slow is None else slow, select=select,
                           strategies=choose_strategies(strategies or ()) if strategies else (), rounds=rounds,
                           extra_args=list(ctx.args), database_url=settings.database_url,
                           redis_url=settings.redis_url)
    run = RunDirectory.create(settings.runs_root, "bench")
    note(f"benchmarks ({chosen.name} profile{', with the slow ones' if request.slow else ''}) -> {run.path}")
    suite = run_suite(request, run.path)
    write_suite(run, suite)
    rows = run.read_record(BENCHMARKS)
    failures = list(suite.failures)
    comparison: dict[str, Any] | None = None
    compared: list[Row] = []
    if baseline is not None and compare is not None:
        compared, comparison = comparison_record(str(compare), baseline, benchmark_side(run.path), thresholds)
        run.write_json("comparison", comparison)
        failures += [f"regression: {r}" for r in comparison["regressions"]]
    if as_json:
        emit_json({"run": run.path, "rows": [r.model_dump(mode="json") for r in rows],
                   "scale": [f.model_dump(mode="json") for f in run.read_record(BENCHMARK_SCALE)],
                   "comparison": comparison, "failures": failures})
    else:
        out.print(rich_table(rows, "Benchmarks: the service path beside its raw-SQL ceiling (~ unstable)"))
        for line in notes(rows) + [f"scale: {s}" for s in scale_lines(suite.scale)]:
            say(line)
        if compare is not None:
            out.print(compare_table(compared, str(compare), run.path.name))
        say(f"results: {run.path}")
    if failures:
        raise RunFailedError("benchmarks failed:\n  " + "\n  ".join(failures))


def register(app: typer.Typer) -> None:
    app.command("bench", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})(bench_cmd)
