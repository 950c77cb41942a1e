from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from system.models.base import Base, utc_now_column


class SpecializationProgress(Base):
    """The student's side of the pair: XP, sessions, hours and the level they earned."""

    __tablename__ = "specialization_progress"
    __table_args__ = (UniqueConstraint("student_id", "specialization_id", name="uq_specialization_progress_user_spec"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    specialization_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("specializations.id", ondelete="RESTRICT")
    )
    current_level: Mapped[int] = mapped_column(default=1)
    total_xp: Mapped[int] = mapped_column(default=0)
    completed_sessions: Mapped[int] = mapped_column(default=0)
    theory_hours: Mapped[int] = mapped_column(default=0)
    practice_hours: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = utc_now_column()
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
