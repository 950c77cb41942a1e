"""Reading a pair's two levels for display, in the two ways a reader can: two statements or one.

Under READ COMMITTED every statement takes its own snapshot, so two statements can straddle a commit:
progress from before a level-up, license from after it, a pair that was never out of step shown as
desynced. One statement reads both rows from one snapshot; so do two statements inside a REPEATABLE
READ transaction (the caller chooses the isolation, as it owns the transaction). Both readers reach
BETWEEN_READS after their first statement, so a scenario can let a writer commit exactly there.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from system.services.checkpoints import BETWEEN_READS, Checkpoint, reach
from system.services.rows import get_license, get_progress
from system.services.rules import BoundaryValidator


@dataclass(frozen=True)
class PairReading:
    """What a reader saw: each side's level, None when that row was missing."""

    progress_level: int | None
    license_level: int | None


def read_pair_two_statements(*, session: Session, user_id: int, specialization: str,
                             checkpoint: Checkpoint | None = None) -> PairReading:
    """Progress, then license, one statement each (the ORM's natural way)."""
    progress = get_progress(session=session, user_id=user_id, specialization=specialization, lock=False)
    reach(checkpoint, BETWEEN_READS, session)
    lic = get_license(session=session, user_id=user_id, specialization=specialization, lock=False)
    return PairReading(progress.current_level if progress else None, lic.current_level if lic else None)


#: Both sides in one statement: one snapshot at any isolation level. A side with no row reads NULL.
_ONE_STATEMENT = text(
    "SELECT (SELECT current_level FROM specialization_progress WHERE student_id = :u AND specialization_id = :s),"
    " (SELECT current_level FROM user_licenses WHERE user_id = :u AND specialization_type = :s)")


def read_pair_one_statement(*, session: Session, user_id: int, specialization: str,
                            checkpoint: Checkpoint | None = None) -> PairReading:
    BoundaryValidator.validate_id("user id", user_id)
    progress_level, license_level = session.execute(_ONE_STATEMENT, {"u": user_id, "s": specialization}).one()
    reach(checkpoint, BETWEEN_READS, session)
    return PairReading(progress_level, license_level)
