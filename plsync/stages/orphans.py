"""Stage ``orphans``: orphan rows injected with a manifest, found exactly by the recovery tool, backed
up (table and JSON file in the run directory), deleted, none left."""

from __future__ import annotations

from fixtures.faults import FaultMix, inject_faults
from plsync.gates import FieldGate
from plsync.records.files import ORPHANS
from plsync.records.recovery import OrphansRecord
from plsync.stages.base import Stage, StageContext
from scenarios.detection import score
from system.recovery.orphans import recover_orphans
from system.services.integrity import IntegrityChecker

ORPHAN_MIX = "orphan_progress=10,orphan_license=10"


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
    ctx.run.write_record(ORPHANS, OrphansRecord(
        injected=len(truth.faults), found=report.found, exact=score(expected, found).perfect,
        deleted=sum(applied.deleted.values()), left_after=left, backup_file=applied.backup_file))


STAGE = Stage("orphans", "orphan rows found exactly, backed up, deleted", run, gates=(
    FieldGate("found exactly the injected orphans", ORPHANS, "exact", "==", True),
    FieldGate("none left after recovery", ORPHANS, "left_after", "==", 0),
))
