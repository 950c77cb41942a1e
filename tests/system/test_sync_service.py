"""Detection of the three desync kinds, and set-based repair: dry run, apply, idempotence, directions."""

from __future__ import annotations

from sqlalchemy import text

from system.db import Database
from system.services.sync_service import ProgressLicenseSyncService
from system.services.types import Direction
from tests.helpers import snapshot

SYNC = ProgressLicenseSyncService()


def _break(db: Database, students: list[int]) -> None:
    a, b, c, d = students[:4]
    with db.transaction() as session:
        session.execute(text("UPDATE specialization_progress SET current_level = 3 "
                             "WHERE student_id = :u AND specialization_id = 'PLAYER'"), {"u": a})  # license behind
        session.execute(text("UPDATE user_licenses SET current_level = 4, max_achieved_level = 4 "
                             "WHERE user_id = :u AND specialization_type = 'COACH'"), {"u": b})  # license ahead
        session.execute(text("DELETE FROM user_licenses WHERE user_id = :u AND specialization_type = 'PLAYER'"),
                        {"u": c})
        session.execute(text("DELETE FROM specialization_progress WHERE student_id = :u "
                             "AND specialization_id = 'INTERNSHIP'"), {"u": d})


def _issues(db: Database, spec: str | None = None) -> list[tuple[int, str, str]]:
    with db.transaction() as session:
        return [(i.user_id, i.specialization, i.kind)
                for i in SYNC.find_desync_issues(session=session, specialization=spec)]


def test_find_desync_issues_finds_exactly_what_was_broken(db: Database, students: list[int]) -> None:
    assert _issues(db) == []
    _break(db, students)
    a, b, c, d = students[:4]
    assert _issues(db) == sorted([(a, "PLAYER", "level_mismatch"), (b, "COACH", "level_mismatch"),
                                  (c, "PLAYER", "progress_without_license"),
                                  (d, "INTERNSHIP", "license_without_progress")])
    assert _issues(db, "COACH") == [(b, "COACH", "level_mismatch")]


def test_dry_run_changes_nothing_and_apply_fixes_everything_once(db: Database, students: list[int]) -> None:
    _break(db, students)
    before = snapshot(db)
    with db.transaction() as session:
        plan = SYNC.auto_sync_all(session=session)  # dry run is the default
    assert plan.dry_run and plan.planned == 4 and plan.synced == 0
    assert plan.by_action == {"set_license_level": 2, "create_license": 1, "create_progress": 1}
    assert snapshot(db) == before
    with db.transaction() as session:
        done = SYNC.auto_sync_all(session=session, dry_run=False)
    assert (done.synced, done.failed) == (4, 0)
    assert _issues(db) == []
    after = snapshot(db)
    assert len(after["license_progressions"]) == 3  # two level changes + one created license
    assert len(after["audit_log"]) == 4
    with db.transaction() as session:
        again = SYNC.auto_sync_all(session=session, dry_run=False)
    assert (again.issues_found, again.synced) == (0, 0)
    assert snapshot(db) == after


def test_license_as_source_moves_progress_instead(db: Database, students: list[int]) -> None:
    _break(db, students)
    a, b = students[:2]
    with db.transaction() as session:
        SYNC.auto_sync_all(session=session, direction=Direction.LICENSE_TO_PROGRESS, dry_run=False)
        levels = dict(session.execute(text(
            "SELECT student_id, current_level FROM specialization_progress WHERE (student_id = :a AND "
            "specialization_id = 'PLAYER') OR (student_id = :b AND specialization_id = 'COACH')"),
            {"a": a, "b": b}).all())
    assert levels == {a: 1, b: 4}
    assert _issues(db) == []


def test_pair_sync_is_idempotent(db: Database, students: list[int]) -> None:
    _break(db, students)
    a = students[0]
    with db.transaction() as session:
        first = SYNC.sync_progress_to_license(session=session, user_id=a, specialization="PLAYER")
    with db.transaction() as session:
        second = SYNC.sync_progress_to_license(session=session, user_id=a, specialization="PLAYER")
    assert (first.action, first.level_before, first.level_after) == ("updated", 1, 3)
    assert (second.action, second.success) == ("already_in_sync", True)
