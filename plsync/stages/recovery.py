"""Stage ``recovery``: the desync-recovery stress of seed 002. Seed a Faker population, inject the
default fault mix with its manifest, detect (scored against the manifest), dry-run, repair, repair
again; timings beside the same SQL run raw in the same run, and peak memory."""

from __future__ import annotations

from plsync.gates import FieldGate
from plsync.records.files import RECOVERY_STRESS
from plsync.stages.base import Stage, StageContext
from scenarios.desync_recovery import run_desync_recovery


def run(ctx: StageContext) -> None:
    result, manifest = run_desync_recovery(ctx.db.engine, users=ctx.profile.users, seed=ctx.settings.seed,
                                           on_progress=lambda m: ctx.say(f"recovery: {m}"))
    ctx.run.write_json("manifest", manifest.to_json())
    ctx.run.write_record(RECOVERY_STRESS, [result])


def _gate(name: str, field: str, op: str, value: float | bool) -> FieldGate:
    return FieldGate(name, RECOVERY_STRESS, field, op, value, per=("users",))


STAGE = Stage(
    "recovery", "seed + faults, detection against the manifest, dry run, repair, idempotence", run,
    gates=(
        _gate("detection matches the manifest exactly", "detection_perfect", "==", True),
        _gate("dry run changes nothing", "dry_run_unchanged", "==", True),
        _gate("every planned repair applied", "success_rate", ">=", 1.0),
        _gate("no issue left after repair", "remaining_issues", "==", 0),
        _gate("a second repair changes nothing", "second_run_changes", "==", 0),
        _gate("find_desync_issues over the population, ms (002: < 5 s at 10k)", "detect_ms", "<=", 5000),
        _gate("auto_sync_all of the desyncs, ms (002: < 10 s)", "repair_ms", "<=", 10000),
    ))
