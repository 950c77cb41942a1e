from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from system.models.base import Base, utc_now_column


class AuditLogEntry(Base):
    """Rule 7: every level change of either table. No foreign keys: the trail outlives its rows."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int]
    specialization_id: Mapped[str] = mapped_column(String(32))
    entity: Mapped[str] = mapped_column(String(16))  # "progress" or "license"
    old_level: Mapped[int | None]
    new_level: Mapped[int]
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = utc_now_column()
