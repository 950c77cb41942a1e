"""The two-statement pair sync writes exactly what the general path writes, in both directions."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from system.db import Database
from system.services.sync_service import ProgressLicenseSyncService
from system.services.types import Direction

SYNC = ProgressLicenseSyncService()


def _desync(db: Database, *users: int) -> None:
    with db.transaction() as session:
        session.execute(text("UPDATE specialization_progress SET current_level = 3 WHERE student_id = ANY(:u) "
                             "AND specialization_id = 'PLAYER'"), {"u": list(users)})


def _written(db: Database, user: int) -> list[Any]:
    """The pair, and the progression and audit rows written for it, without ids and times."""
    with db.transaction() as session:
        pair = session.execute(text(
            "SELECT p.current_level, l.current_level, l.max_achieved_level, l.last_advanced_at IS NOT NULL "
            "FROM specialization_progress p JOIN user_licenses l ON l.user_id = p.student_id "
            "AND l.specialization_type = p.specialization_id WHERE p.student_id = :u "
            "AND p.specialization_id = 'PLAYER'"), {"u": user}).one()
        progressions = session.execute(text(
            "SELECT x.from_level, x.to_level, x.advanced_by, x.reason FROM license_progressions x "
            "JOIN user_licenses l ON l.id = x.user_license_id WHERE l.user_id = :u ORDER BY x.id"), {"u": user}).all()
        audit = session.execute(text("SELECT specialization_id, entity, old_level, new_level, reason FROM audit_log "
                                     "WHERE user_id = :u ORDER BY id"), {"u": user}).all()
    return [tuple(pair), [tuple(r) for r in progressions], [tuple(r) for r in audit]]


@pytest.mark.parametrize("direction", list(Direction))
@pytest.mark.parametrize("lock", [True, False])
def test_fast_and_general_paths_write_the_same_rows(db: Database, students: list[int], direction: Direction,
                                                     lock: bool) -> None:
    fast_user, general_user = students[:2]
    _desync(db, fast_user, general_user)
    results = []
    for user, fast in ((fast_user, True), (general_user, False)):
        with db.transaction() as session:
            results.append(SYNC.sync_pair(session=session, user_id=user, specialization="PLAYER",
                                          direction=direction, lock=lock, fast=fast))
    assert [(r.action, r.level_before, r.level_after) for r in results] == (
        [("updated", 1, 3)] * 2 if direction is Direction.PROGRESS_TO_LICENSE else [("updated", 3, 1)] * 2)
    assert _written(db, fast_user) == _written(db, general_user)
    with db.transaction() as session:
        again = SYNC.sync_pair(session=session, user_id=fast_user, specialization="PLAYER", direction=direction)
    assert again.action == "already_in_sync"


@pytest.mark.parametrize("missing", ["user_licenses", "specialization_progress"])
@pytest.mark.parametrize("direction", list(Direction))
def test_a_missing_partner_is_created_the_same_way_by_both_paths(db: Database, students: list[int], missing: str,
                                                                 direction: Direction) -> None:
    fast_user, general_user = students[:2]
    _desync(db, fast_user, general_user)  # progress at 3, the license at 1
    column = "user_id" if missing == "user_licenses" else "student_id"
    spec_column = "specialization_type" if missing == "user_licenses" else "specialization_id"
    with db.transaction() as session:
        session.execute(text("DELETE FROM license_progressions"))
        session.execute(text(f"DELETE FROM {missing} WHERE {column} = ANY(:u) AND {spec_column} = 'PLAYER'"),
                        {"u": [fast_user, general_user]})
    results = []
    for user, fast in ((fast_user, True), (general_user, False)):
        with db.transaction() as session:
            results.append(SYNC.sync_pair(session=session, user_id=user, specialization="PLAYER",
                                          direction=direction, lock=True, fast=fast))
    level = 3 if missing == "user_licenses" else 1  # created from the row that is there, whatever the direction
    assert [(r.action, r.level_before, r.level_after) for r in results] == [("created", None, level)] * 2
    assert [r.direction for r in results] == [Direction.PROGRESS_TO_LICENSE if missing == "user_licenses"
                                              else Direction.LICENSE_TO_PROGRESS] * 2
    assert _written(db, fast_user)[1:] == _written(db, general_user)[1:]
