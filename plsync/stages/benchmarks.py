"""Stage ``benchmarks``: the pytest-benchmark suites (benchmarks/) against this run's server, sized by the
profile (smoke: a few rounds; standard: the quick suite; full: everything, the slow scale points too).
Every result beside its raw-SQL ceiling; the documented targets are the gates."""

from __future__ import annotations

from benchmarks.results import PARAMS
from benchmarks.suite import SuiteRequest, SuiteRun, run_suite
from plsync.gates import FieldGate, TargetGate
from plsync.records.files import BENCHMARK_SCALE, BENCHMARK_SUITE, BENCHMARKS
from plsync.rundir import RunDirectory
from plsync.stages.base import Stage, StageContext


def run(ctx: StageContext) -> None:
    profile = ctx.profile
    ctx.say(f"benchmarks: {profile.name} profile{' with the slow scale points' if profile.bench_slow else ''} "
            f"(log in benchmarks/)")
    suite = run_suite(SuiteRequest(profile, slow=profile.bench_slow, strategies=ctx.strategies,
                                   database_url=ctx.env.database_url, redis_url=ctx.env.redis_url),
                      ctx.run.path / "benchmarks")
    write_suite(ctx.run, suite)


def write_suite(run: RunDirectory, suite: SuiteRun) -> None:
    """The suite's rows, scale fits and how it ran, through their records (also ``plsync bench``)."""
    run.write_record(BENCHMARKS, suite.rows)
    run.write_record(BENCHMARK_SCALE, [vars(f) | {"verdict": f.verdict} for f in suite.scale])
    run.write_record(BENCHMARK_SUITE, {"returncode": suite.returncode, "seconds": suite.seconds,
                                       "failures": suite.failures})


STAGE = Stage(
    "benchmarks", "the six operations of 002 under each strategy, beside their raw-SQL ceilings", run,
    gates=(
        TargetGate(BENCHMARKS, per=PARAMS),
        FieldGate("benchmark suite ran without failures", BENCHMARK_SUITE, "failures", "empty"),
    ))
