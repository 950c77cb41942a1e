"""Stage ``overload``: the HTTP API offered ``overload_factor`` x its calibrated capacity for ``overload_s``,
between two half-capacity phases (plsync/overload.py), the shipping strategy, sized by the profile.

Gated: goodput during the overload >= 80 % of capacity (the mean of a calibration before and one after): the plain
ratio when the generator ran on a core of its own and the system on the others (plsync/cpu_split.py), else per API
core (plsync/overload_figures.py: a generator sharing the API's cores takes more of them to offer 3x than to
calibrate); the API's memory growth < 50 MB, latency back to the pre-overload p99 within 2 s of the overload's end
(the issue's figures), nothing lost or desynced, no 5xx but the 503 of shedding and no request left without a
reply, and some load shed (a run whose overload never got past the API's queue measured the generator's pool, not
the API's shedding). A profile whose phases are short (smoke) has its timing gates (goodput, recovery) exempt:
measured and reported, not judged, never passed.
"""

from __future__ import annotations

from plsync.gates import FieldGate
from plsync.overload import OverloadOptions, run_overload
from plsync.records.files import OVERLOAD
from plsync.rundir import RunDirectory
from plsync.stages.base import Stage, StageContext

GOODPUT_MIN_RATIO = 0.8
RSS_GROWTH_MAX_MB = 50.0
RECOVERY_MAX_S = 2.0
GOODPUT_GATE = "goodput >= 80% of capacity under overload"
#: The subject of the timing gates when the profile's phases are too short to judge them.
SHORT = "short phases"


def options_for(ctx: StageContext) -> OverloadOptions:
    profile = ctx.profile
    return OverloadOptions(strategy=profile.shipping_strategy, factor=profile.overload_factor,
                           overload_s=profile.overload_s, phase_s=profile.overload_phase_s,
                           calibration_s=profile.overload_calibration_s, max_users=profile.overload_users,
                           students=max(100, profile.swarm_students))


def run(ctx: StageContext) -> None:
    options = options_for(ctx)
    ctx.say(f"overload: {options.strategy} over HTTP, {options.factor:g}x capacity for {options.overload_s}s between "
            f"{options.phase_s}s at half capacity ({options.sizing})")
    record = run_overload(ctx.env, ctx.config, options, RunDirectory(ctx.run.path / "overload"), say=ctx.say)
    ctx.run.write_record(OVERLOAD, record.model_copy(update={"run_dir": f"overload/{record.run_dir}"}))


def _timed(name: str, field: str, op: str, value: float) -> FieldGate:
    return FieldGate(name, OVERLOAD, field, op, value, per=("sizing",), exempt=(SHORT,))


STAGE = Stage("overload", "the HTTP API offered 3x its capacity for a while: goodput, memory, recovery, nothing "
              "lost", run, gates=(
                  _timed(GOODPUT_GATE, "goodput_judged_ratio", ">=", GOODPUT_MIN_RATIO),
                  _timed("latency back to its pre-overload p99 within 2 s", "recovery_bound_s", "<=",
                         RECOVERY_MAX_S),
                  FieldGate("the overload reached the API (it shed load)", OVERLOAD, "overload_shed", ">=", 1),
                  FieldGate("API memory growth under overload < 50 MB", OVERLOAD, "rss_growth_mb", "<",
                            RSS_GROWTH_MAX_MB),
                  FieldGate("lost XP under overload", OVERLOAD, "lost_xp", "<=", 0),
                  FieldGate("desynced pairs under overload", OVERLOAD, "desynced_pairs", "<=", 0),
                  FieldGate("invariant violations under overload", OVERLOAD, "invariant_violations", "<=", 0),
                  FieldGate("no 5xx but shedding's 503, no request without a reply", OVERLOAD, "errors", "<=", 0),
              ))
