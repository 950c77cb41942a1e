from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from system.models.base import Base, utc_now_column


class UserLicense(Base):
    """The credential side of the pair: the level the student is licensed at."""

    __tablename__ = "user_licenses"
    __table_args__ = (UniqueConstraint("user_id", "specialization_type", name="uq_user_licenses_user_spec"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    specialization_type: Mapped[str] = mapped_column(
        String(32), ForeignKey("specializations.id", ondelete="RESTRICT")
    )
    current_level: Mapped[int] = mapped_column(default=1)
    max_achieved_level: Mapped[int] = mapped_column(default=1)
    started_at: Mapped[datetime] = utc_now_column()
    last_advanced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class LicenseProgression(Base):
    """One row per change of a license's level."""

    __tablename__ = "license_progressions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_license_id: Mapped[int] = mapped_column(ForeignKey("user_licenses.id", ondelete="RESTRICT"))
    from_level: Mapped[int]
    to_level: Mapped[int]
    advanced_by: Mapped[int | None]
    reason: Mapped[str] = mapped_column(Text, default="")
    advanced_at: Mapped[datetime] = utc_now_column()
