"""Orphan recovery: exact detection, dry run by default, backup before delete, and a working restore."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import text

from system.db import Database
from system.recovery.orphans import recover_orphans, restore_orphans
from system.services.integrity import IntegrityChecker
from tests.helpers import snapshot


def _inject_orphans(db: Database) -> None:
    """Rows pointing at users that do not exist: only possible with foreign keys bypassed."""
    with db.transaction() as session:
        session.execute(text("SET LOCAL session_replication_role = replica"))
        session.execute(text("INSERT INTO specialization_progress (student_id, specialization_id, current_level) "
                             "VALUES (90001, 'PLAYER', 2), (90002, 'COACH', 1)"))
        lic = session.execute(text("INSERT INTO user_licenses (user_id, specialization_type, current_level, "
                                   "max_achieved_level) VALUES (90001, 'PLAYER', 2, 2) RETURNING id")).scalar()
        session.execute(text("INSERT INTO license_progressions (user_license_id, from_level, to_level) "
                             "VALUES (:l, 1, 2)"), {"l": lic})


def test_dry_run_finds_orphans_exactly_and_changes_nothing(db: Database, students: list[int]) -> None:
    _inject_orphans(db)
    before = snapshot(db)
    with db.transaction() as session:
        report = recover_orphans(session=session)
    assert report.dry_run
    assert sorted((r["user_id"], r["specialization"]) for r in report.orphan_progress) == [
        (90001, "PLAYER"), (90002, "COACH")]
    assert [(r["user_id"], r["specialization"]) for r in report.orphan_licenses] == [(90001, "PLAYER")]
    assert snapshot(db) == before


def test_apply_backs_up_then_deletes_and_restore_puts_rows_back(db: Database, students: list[int],
                                                                 tmp_path: Path) -> None:
    _inject_orphans(db)
    before = snapshot(db)
    with db.transaction() as session:
        report = recover_orphans(session=session, apply=True, backup_dir=tmp_path)
    assert report.deleted == {"license_progressions": 1, "user_licenses": 1, "specialization_progress": 2}
    backup = json.loads(Path(report.backup_file or "").read_text())
    assert len(backup["rows"]["specialization_progress"]) == 2
    with db.transaction() as session:
        assert IntegrityChecker().check_orphan_records(session=session) == {"orphan_progress": 0,
                                                                             "orphan_licenses": 0}
        backed_up = session.execute(text("SELECT count(*) FROM orphan_backups WHERE batch = :b"),
                                    {"b": report.batch}).scalar()
    assert backed_up == 4
    with db.transaction() as session:
        restored = restore_orphans(session=session, batch=report.batch or "")
    assert restored == {"specialization_progress": 2, "user_licenses": 1, "license_progressions": 1}
    assert snapshot(db) == before
