"""Bad input gets a clear error and changes nothing, under every strategy."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import text

from system.config import SystemConfig
from system.db import Database
from system.errors import InvalidInputError, NotFoundError
from system.services.types import AdvanceLicenseRequest, Direction, LevelUpRequest
from system.strategies import Strategy, strategy_names
from tests.helpers import snapshot, strategy

BAD_LEVEL_UPS = [
    (LevelUpRequest(1, "PLAYER", -5), InvalidInputError, "xp cannot be negative"),
    (LevelUpRequest(1, "PLAYER", 10, sessions=-1), InvalidInputError, "sessions cannot be negative"),
    (LevelUpRequest(9999, "PLAYER", 10), NotFoundError, "unknown user 9999"),
    (LevelUpRequest(1, "WIZARD", 10), NotFoundError, "unknown specialization 'WIZARD'"),
]
BAD_ADVANCES = [
    (AdvanceLicenseRequest(1, "INTERNSHIP", 4), InvalidInputError, r"level 4 is out of range for INTERNSHIP \(1-3\)"),
    (AdvanceLicenseRequest(1, "PLAYER", 9), InvalidInputError, r"out of range for PLAYER \(1-8\)"),
    (AdvanceLicenseRequest(1, "PLAYER", 0), InvalidInputError, "out of range"),
    (AdvanceLicenseRequest(9999, "PLAYER", 2), NotFoundError, "unknown user 9999"),
    (AdvanceLicenseRequest(1, "WIZARD", 2), NotFoundError, "unknown specialization"),
]


@pytest.mark.parametrize("name", strategy_names())
def test_bad_level_ups_change_nothing(name: str, db: Database, config: SystemConfig, students: list[int]) -> None:
    before = snapshot(db)
    with strategy(name, db, config) as impl:
        for request, error, message in BAD_LEVEL_UPS:
            with pytest.raises(error, match=message):
                impl.level_up(request)
    assert snapshot(db) == before


@pytest.mark.parametrize("name", strategy_names())
def test_bad_license_advances_change_nothing(name: str, db: Database, config: SystemConfig,
                                             students: list[int]) -> None:
    before = snapshot(db)
    with strategy(name, db, config) as impl:
        for request, error, message in BAD_ADVANCES:
            with pytest.raises(error, match=message):
                impl.advance_license(request)
    assert snapshot(db) == before


def test_max_level_comes_from_the_database_not_from_code(db: Database, config: SystemConfig,
                                                         students: list[int]) -> None:
    """Lower INTERNSHIP's max to 2 in the database: level 3 is refused at once, with the new bound."""
    with db.transaction() as session:
        session.execute(text("ALTER TABLE user_licenses DROP CONSTRAINT ck_user_licenses_level_range"))
        session.execute(text("UPDATE specializations SET max_levels = 2 WHERE id = 'INTERNSHIP'"))
    try:
        with strategy("coupled", db, config) as impl:
            with pytest.raises(InvalidInputError, match=r"out of range for INTERNSHIP \(1-2\)"):
                impl.advance_license(AdvanceLicenseRequest(students[0], "INTERNSHIP", 3))
            assert impl.level_up(LevelUpRequest(students[0], "INTERNSHIP", 100_000, 100)).level == 2
    finally:
        with db.transaction() as session:
            session.execute(text("UPDATE specializations SET max_levels = 3 WHERE id = 'INTERNSHIP'"))
            session.execute(text("UPDATE specialization_progress SET current_level = 1"))
            session.execute(text("ALTER TABLE user_licenses ADD CONSTRAINT ck_user_licenses_level_range CHECK "
                                 "(current_level >= 1 AND current_level <= CASE specialization_type "
                                 "WHEN 'COACH' THEN 8 WHEN 'INTERNSHIP' THEN 3 WHEN 'PLAYER' THEN 8 END)"))


def test_database_checks_reject_direct_writes_past_the_rules(db: Database, students: list[int]) -> None:
    """The last line of defence: even SQL that bypasses the services cannot store an invalid state."""
    from sqlalchemy.exc import IntegrityError

    for sql in ("UPDATE specialization_progress SET current_level = 999 WHERE student_id = :u",
                "UPDATE specialization_progress SET total_xp = -1 WHERE student_id = :u",
                "UPDATE user_licenses SET current_level = 4 WHERE user_id = :u AND specialization_type = 'INTERNSHIP'",
                "DELETE FROM users WHERE id = :u"):
        with pytest.raises(IntegrityError), db.transaction() as session:
            session.execute(text(sql), {"u": students[0]})


def driver_rejections(me: int) -> list[tuple[str, Callable[[Strategy], object]]]:
    """Values the services' own checks let through and psycopg2 or PostgreSQL then refuse (found by fuzzing)."""
    big = 3_000_000_000  # past int4
    up = Direction.PROGRESS_TO_LICENSE
    return [
        ("nul-specialization", lambda s: s.level_up(LevelUpRequest(me, "PL\x00", 10))),
        ("nul-reason", lambda s: s.level_up(LevelUpRequest(me, "PLAYER", 600, 6, reason="a\x00"))),
        ("surrogate-reason", lambda s: s.level_up(LevelUpRequest(me, "PLAYER", 600, 6, reason="a\ud800"))),
        ("user-past-int4", lambda s: s.level_up(LevelUpRequest(big, "PLAYER", 10))),
        ("xp-past-int4", lambda s: s.level_up(LevelUpRequest(me, "PLAYER", big))),
        ("total-past-int4", lambda s: [s.level_up(LevelUpRequest(me, "PLAYER", 2_000_000_000)) for _ in "ab"]),
        ("advance-nul-reason", lambda s: s.advance_license(AdvanceLicenseRequest(me, "PLAYER", 2, reason="\x00"))),
        ("advance-user-past-int4", lambda s: s.advance_license(AdvanceLicenseRequest(big, "PLAYER", 2))),
        ("sync-user-past-int4", lambda s: s.sync(big, "PLAYER", up)),
        ("sync-nul-specialization", lambda s: s.sync(me, "\x00", up)),
        ("sync-surrogate-specialization", lambda s: s.sync(me, "\udfff", up)),
    ]


@pytest.mark.parametrize("name", strategy_names())
def test_values_the_driver_refuses_are_invalid_input_and_change_nothing(
        name: str, db: Database, config: SystemConfig, students: list[int]) -> None:
    """A NUL, a lone surrogate or an int4 overflow reaching psycopg2 is the caller's error (422), not a crash
    (ValueError) nor database trouble (503); the transaction rolls back whole."""
    with strategy(name, db, config) as impl:
        for case, call in driver_rejections(students[0]):
            before = snapshot(db)
            with pytest.raises(InvalidInputError):
                call(impl)
            if case != "total-past-int4":  # its first call is a legitimate, committed level-up
                assert snapshot(db) == before, case
