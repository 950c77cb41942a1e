"""The preventive rules of the edge-case analysis that act on single values and rows.

Rule 2 (boundary validator) and Rule 6 (state validator) live here; Rule 7 (audit logger) too, since
every level change goes through it. The level range always comes from the database.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from system.errors import InvalidInputError, NotFoundError
from system.models import AuditLogEntry, SpecializationProgress, User
from system.services.catalog import SpecializationRules
from system.services.types import LevelUpRequest

#: PostgreSQL ``integer``: ids, levels, XP, sessions and hours are all stored in this range.
INT32_MAX = 2**31 - 1


class BoundaryValidator:
    """Rule 2: reject out-of-range levels and negative amounts with a message the caller can act on."""

    @staticmethod
    def validate_level(rules: SpecializationRules, level: int) -> None:
        if not isinstance(level, int) or isinstance(level, bool):
            raise InvalidInputError(f"level must be an integer, got {level!r}")
        if not 1 <= level <= rules.max_levels:
            raise InvalidInputError(
                f"level {level} is out of range for {rules.specialization} (1-{rules.max_levels})"
            )

    @staticmethod
    def validate_amount(name: str, value: int) -> None:
        if not isinstance(value, int) or isinstance(value, bool):
            raise InvalidInputError(f"{name} must be an integer, got {value!r}")
        if value < 0:
            raise InvalidInputError(f"{name} cannot be negative (got {value}); use a separate penalty system")
        if value > INT32_MAX:
            raise InvalidInputError(f"{name} {value} is too large (at most {INT32_MAX:,})")

    @staticmethod
    def validate_id(name: str, value: int) -> None:
        if not isinstance(value, int) or isinstance(value, bool):
            raise InvalidInputError(f"{name} must be an integer, got {value!r}")
        if not 1 <= value <= INT32_MAX:
            raise InvalidInputError(f"{name} {value} is out of range (1-{INT32_MAX:,})")


    @staticmethod
    def validate_level_up(request: LevelUpRequest) -> None:
        """Everything a level-up request carries, before any of it reaches the database."""
        BoundaryValidator.validate_id("user id", request.user_id)
        for name in ("xp", "sessions", "theory_hours", "practice_hours"):
            BoundaryValidator.validate_amount(name, getattr(request, name))


class StateValidator:
    """Rule 6: a progress row about to be written must be valid."""

    @staticmethod
    def validate_progress(progress: SpecializationProgress, rules: SpecializationRules) -> None:
        for name in ("total_xp", "completed_sessions", "theory_hours", "practice_hours"):
            if getattr(progress, name) < 0:
                raise InvalidInputError(f"{name} would become negative ({getattr(progress, name)})")
        BoundaryValidator.validate_level(rules, progress.current_level)


def require_user(*, session: Session, user_id: int) -> User:
    BoundaryValidator.validate_id("user id", user_id)
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(f"unknown user {user_id}")
    return user


class AuditLogger:
    """Rule 7: one row per level change of either table."""

    @staticmethod
    def record(*, session: Session, user_id: int, specialization: str, entity: str, old_level: int | None,
               new_level: int, reason: str) -> None:
        session.add(AuditLogEntry(user_id=user_id, specialization_id=specialization, entity=entity,
                                  old_level=old_level, new_level=new_level, reason=reason))
