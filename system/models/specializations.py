from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from system.models.base import Base


class Specialization(Base):
    """PLAYER, COACH, INTERNSHIP. ``max_levels`` here is the source of truth for the level range."""

    __tablename__ = "specializations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    max_levels: Mapped[int]


class LevelRequirement(Base):
    """What a student needs (cumulatively) to stand at ``level`` of a specialization."""

    __tablename__ = "level_requirements"

    specialization_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("specializations.id", ondelete="RESTRICT"), primary_key=True
    )
    level: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    required_xp: Mapped[int] = mapped_column(default=0)
    required_sessions: Mapped[int] = mapped_column(default=0)
    required_theory_hours: Mapped[int] = mapped_column(default=0)
    required_practice_hours: Mapped[int] = mapped_column(default=0)
