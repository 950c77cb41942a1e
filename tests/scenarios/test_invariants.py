"""Each invariant fires on a case built to break it (a check that cannot fail is worthless)."""

from __future__ import annotations

from sqlalchemy import text

from fixtures.reset import truncate_data
from scenarios.invariants import check_invariants
from scenarios.ledger import Ledger, LedgerEntry, Outcome
from system.db import Database


def _check(db: Database, ledger: Ledger | None = None, baseline: dict | None = None):  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        return check_invariants(session, ledger, baseline)


def test_a_clean_database_passes(db: Database, students: list[int]) -> None:
    assert _check(db).passed


def test_desync_fires(db: Database, students: list[int]) -> None:
    with db.transaction() as session:
        session.execute(text("UPDATE user_licenses SET current_level = 2, max_achieved_level = 2 "
                             "WHERE user_id = :u AND specialization_type = 'COACH'"), {"u": students[0]})
    report = _check(db)
    assert report.failed_names() == ["desynced_pairs"]
    assert report.get("desynced_pairs").evidence == [{"user_id": students[0], "specialization": "COACH",
                                                      "kind": "level_mismatch", "progress_level": 1,
                                                      "license_level": 2}]


def test_lost_update_and_unacknowledged_write_fire(db: Database, students: list[int]) -> None:
    a, b = students[:2]
    ledger = Ledger()
    ledger.record(LedgerEntry("level_up", a, "PLAYER", 100, Outcome.OK, 0.001))  # acknowledged, never stored
    ledger.record(LedgerEntry("level_up", a, "PLAYER", 50, Outcome.UNKNOWN, 0.001))
    with db.transaction() as session:  # b gets XP nobody was told about
        session.execute(text("UPDATE specialization_progress SET total_xp = 70 WHERE student_id = :u "
                             "AND specialization_id = 'PLAYER'"), {"u": b})
    report = _check(db, ledger, {(a, "PLAYER"): 0, (b, "PLAYER"): 0})
    assert report.failed_names() == ["lost_updates", "unacknowledged_writes"]
    assert report.get("lost_updates").amount == 100
    assert report.get("unacknowledged_writes").amount == 70
    # The unknown-outcome 50 XP may or may not have landed: storing it is not a violation.
    with db.transaction() as session:
        session.execute(text("UPDATE specialization_progress SET total_xp = 150 WHERE student_id = :u "
                             "AND specialization_id = 'PLAYER'"), {"u": a})
        session.execute(text("UPDATE specialization_progress SET total_xp = 0 WHERE student_id = :u "
                             "AND specialization_id = 'PLAYER'"), {"u": b})
    assert _check(db, ledger, {(a, "PLAYER"): 0, (b, "PLAYER"): 0}).passed


def test_duplicates_out_of_range_negative_and_orphans_fire(db: Database, students: list[int]) -> None:
    with db.transaction() as session:
        # Bypass what the schema forbids, as a damaged database would.
        for constraint in ("uq_specialization_progress_user_spec", "ck_specialization_progress_level_range"):
            session.execute(text(f"ALTER TABLE specialization_progress DROP CONSTRAINT {constraint}"))
        session.execute(text("ALTER TABLE specialization_progress "
                             "DROP CONSTRAINT ck_specialization_progress_total_xp_non_negative"))
        session.execute(text("INSERT INTO specialization_progress (student_id, specialization_id, current_level) "
                             "VALUES (:u, 'PLAYER', 1)"), {"u": students[0]})
        session.execute(text("UPDATE specialization_progress SET current_level = 9, total_xp = -5 "
                             "WHERE student_id = :u AND specialization_id = 'COACH'"), {"u": students[1]})
        session.execute(text("SET LOCAL session_replication_role = replica"))
        session.execute(text("INSERT INTO user_licenses (user_id, specialization_type) VALUES (424242, 'PLAYER')"))
    try:
        report = _check(db)
        for name in ("duplicate_rows", "out_of_range_levels", "negative_values", "orphans"):
            assert report.violations(name) >= 1, name
        assert report.get("out_of_range_levels").evidence[0]["level"] == 9
    finally:
        with db.transaction() as session:
            truncate_data(session)
            session.execute(text("ALTER TABLE specialization_progress ADD CONSTRAINT "
                                 "uq_specialization_progress_user_spec UNIQUE (student_id, specialization_id)"))
            session.execute(text("ALTER TABLE specialization_progress ADD CONSTRAINT "
                                 "ck_specialization_progress_level_range CHECK (current_level >= 1 AND "
                                 "current_level <= CASE specialization_id WHEN 'COACH' THEN 8 "
                                 "WHEN 'INTERNSHIP' THEN 3 WHEN 'PLAYER' THEN 8 END)"))
            session.execute(text("ALTER TABLE specialization_progress ADD CONSTRAINT "
                                 "ck_specialization_progress_total_xp_non_negative CHECK (total_xp >= 0)"))
