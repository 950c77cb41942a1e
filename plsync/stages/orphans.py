"""Stage ``orphans``: orphan rows injected with a manifest, found exactly by the recovery tool, backed
up (table and JSON file in the run directory), deleted, none left."""

from __future__ import annotations

from dataclasses import dataclass

from fixtures.faults import FaultMix, inject_faults
from plsync.gates import FieldGate
from plsync.stages.base import Stage, StageContext
from scenarios.detection import score
from system.recovery.orphans import recover_orphans
from system.services.integrity import IntegrityChecker

ORPHAN_MIX = "orphan_progress=10,orphan_license=10"


@dataclass(frozen=True)
class OrphanStageResult:
    injected: int
    found: int
    exact: bool
    deleted: int
    left_after: int
    backup_file: str | None


def run(ctx: StageContext) -> None:
    db = ctx.db
    truth = inject_faults(db.engine, FaultMix.parse(ORPHAN_MIX), seed=ctx.settings.seed)
    expected = {(f.kind, f.user_id, f.specialization) for f in truth.faults}
    with db.transaction() as session:
        report = recover_orphans(session=session)
    found = {("orphan_progress", r["user_id"], r["specialization"]) for r in report.orphan_progress}
    found |= {("orphan_license", r["user_id"], r["specialization"]) for r in report.orphan_licenses}
    with db.transaction() as session:
        applied = recover_orphans(session=session, apply=True, backup_dir=ctx.run.path / "orphan-backups")
    with db.transaction() as session:
        left = sum(IntegrityChecker().check_orphan_records(session=session).values())
    ctx.run.write_json("orphans", OrphanStageResult(len(truth.faults), report.found, score(expected, found).perfect,
                                                    sum(applied.deleted.values()), left, applied.backup_file))


STAGE = Stage("orphans", "orphan rows found exactly, backed up, deleted", run, gates=(
    FieldGate("found exactly the injected orphans", "orphans", "exact", "==", True),
    FieldGate("none left after recovery", "orphans", "left_after", "==", 0),
))
