"""Stage ``benchmarks``: the pytest-benchmark suites (benchmarks/) against this run's server, sized by the
profile (smoke: a few rounds; standard: the quick suite; full: everything, the slow scale points too).
Every result beside its raw-SQL ceiling; the documented targets are the gates."""

from __future__ import annotations

from benchmarks.results import PARAMS
from benchmarks.suite import SuiteRequest, run_suite
from plsync.gates import FieldGate, TargetGate
from plsync.stages.base import Stage, StageContext


def run(ctx: StageContext) -> None:
    profile = ctx.profile
    ctx.say(f"benchmarks: {profile.name} profile{' with the slow scale points' if profile.bench_slow else ''} "
            f"(log in benchmarks/)")
    suite = run_suite(SuiteRequest(profile, slow=profile.bench_slow, strategies=ctx.strategies,
                                   database_url=ctx.env.database_url, redis_url=ctx.env.redis_url),
                      ctx.run.path / "benchmarks")
    ctx.run.write_json("benchmarks", suite.rows)
    ctx.run.write_json("benchmark_scale", [vars(f) | {"verdict": f.verdict} for f in suite.scale])
    ctx.run.write_json("benchmark_suite", {"returncode": suite.returncode, "seconds": suite.seconds,
                                           "failures": suite.failures})


STAGE = Stage(
    "benchmarks", "the six operations of 002 under each strategy, beside their raw-SQL ceilings", run,
    gates=(
        TargetGate("benchmarks", per=PARAMS),
        FieldGate("benchmark suite ran without failures", "benchmark_suite", "failures", "empty"),
    ))
