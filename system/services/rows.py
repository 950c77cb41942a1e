"""Reading and creating the two rows of a pair, with or without ``SELECT ... FOR UPDATE``.

Creation uses ``INSERT ... ON CONFLICT DO NOTHING`` and reads back, so two transactions that both
find a row missing do not fail on the unique pair: one inserts, the other reads (and, when
locking, waits for) that row.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from system.models import SpecializationProgress, UserLicense
from system.services.rules import BoundaryValidator


def get_progress(*, session: Session, user_id: int, specialization: str,
                 lock: bool) -> SpecializationProgress | None:
    BoundaryValidator.validate_id("user id", user_id)
    stmt = select(SpecializationProgress).where(SpecializationProgress.student_id == user_id,
                                                SpecializationProgress.specialization_id == specialization)
    if lock:
        stmt = stmt.with_for_update()
    return session.execute(stmt.execution_options(populate_existing=True)).scalars().first()


def get_license(*, session: Session, user_id: int, specialization: str, lock: bool) -> UserLicense | None:
    BoundaryValidator.validate_id("user id", user_id)
    stmt = select(UserLicense).where(UserLicense.user_id == user_id,
                                     UserLicense.specialization_type == specialization)
    if lock:
        stmt = stmt.with_for_update()
    return session.execute(stmt.execution_options(populate_existing=True)).scalars().first()


def ensure_progress(*, session: Session, user_id: int, specialization: str, lock: bool,
                    level: int = 1) -> tuple[SpecializationProgress, bool]:
    """The progress row, created at ``level`` when missing. Returns (row, created)."""
    row = get_progress(session=session, user_id=user_id, specialization=specialization, lock=lock)
    if row is not None:
        return row, False
    inserted = session.execute(
        insert(SpecializationProgress)
        .values(student_id=user_id, specialization_id=specialization, current_level=level)
        .on_conflict_do_nothing(index_elements=["student_id", "specialization_id"])
        .returning(SpecializationProgress.id)
    ).first()
    row = get_progress(session=session, user_id=user_id, specialization=specialization, lock=lock)
    assert row is not None
    return row, inserted is not None


def ensure_license(*, session: Session, user_id: int, specialization: str, lock: bool,
                   level: int) -> tuple[UserLicense, bool]:
    """The license row, created at ``level`` when missing. Returns (row, created)."""
    row = get_license(session=session, user_id=user_id, specialization=specialization, lock=lock)
    if row is not None:
        return row, False
    inserted = session.execute(
        insert(UserLicense)
        .values(user_id=user_id, specialization_type=specialization, current_level=level,
                max_achieved_level=level)
        .on_conflict_do_nothing(index_elements=["user_id", "specialization_type"])
        .returning(UserLicense.id)
    ).first()
    row = get_license(session=session, user_id=user_id, specialization=specialization, lock=lock)
    assert row is not None
    return row, inserted is not None
