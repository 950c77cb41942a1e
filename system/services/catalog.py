"""Reference data read from the database on every use: the database is the source of truth for levels."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from system.errors import NotFoundError


@dataclass(frozen=True)
class LevelRequirementView:
    level: int
    name: str
    required_xp: int
    required_sessions: int
    required_theory_hours: int
    required_practice_hours: int


@dataclass(frozen=True)
class SpecializationRules:
    specialization: str
    max_levels: int
    levels: tuple[LevelRequirementView, ...]

    def requirement(self, level: int) -> LevelRequirementView | None:
        if not 1 <= level <= self.max_levels:
            return None
        return next((r for r in self.levels if r.level == level), None)

    def earned_level(self, *, xp: int, sessions: int, theory_hours: int, practice_hours: int) -> int:
        """The highest level (up to max_levels) whose cumulative requirements are all met."""
        earned = 1
        for req in self.levels:
            if req.level > self.max_levels:
                break
            if (xp >= req.required_xp and sessions >= req.required_sessions
                    and theory_hours >= req.required_theory_hours
                    and practice_hours >= req.required_practice_hours):
                earned = max(earned, req.level)
        return earned


_RULES_SQL = text(
    """
    SELECT s.max_levels, r.level, r.name, r.required_xp, r.required_sessions,
           r.required_theory_hours, r.required_practice_hours
      FROM specializations s
      LEFT JOIN level_requirements r ON r.specialization_id = s.id
     WHERE s.id = :spec
     ORDER BY r.level
    """
)


def load_rules(*, session: Session, specialization: str) -> SpecializationRules:
    rows = session.execute(_RULES_SQL, {"spec": specialization}).all()
    if not rows:
        known = ", ".join(session.execute(text("SELECT id FROM specializations ORDER BY id")).scalars())
        raise NotFoundError(f"unknown specialization {specialization!r} (known: {known})")
    levels = tuple(
        LevelRequirementView(r.level, r.name, r.required_xp, r.required_sessions, r.required_theory_hours,
                             r.required_practice_hours)
        for r in rows if r.level is not None
    )
    return SpecializationRules(specialization, rows[0].max_levels, levels)


def specialization_ids(*, session: Session) -> list[str]:
    return list(session.execute(text("SELECT id FROM specializations ORDER BY id")).scalars())
