"""LicenseService: advance a license to a target level, validated against the database's max."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from system.models import LicenseProgression, UserLicense
from system.services.catalog import load_rules
from system.services.rows import ensure_license
from system.services.rules import AuditLogger, BoundaryValidator, require_user
from system.services.types import AdvanceLicenseRequest, LicenseUpdate


def set_license_level(*, session: Session, license_row: UserLicense, level: int, advanced_by: int | None,
                      reason: str) -> None:
    """Move a license to ``level`` and write its progression and audit rows (no-op when equal)."""
    previous = license_row.current_level
    if previous == level:
        return
    license_row.current_level = level
    license_row.max_achieved_level = max(license_row.max_achieved_level, level)
    license_row.last_advanced_at = datetime.now(UTC)
    session.add(LicenseProgression(user_license_id=license_row.id, from_level=previous, to_level=level,
                                   advanced_by=advanced_by, reason=reason))
    AuditLogger.record(session=session, user_id=license_row.user_id,
                       specialization=license_row.specialization_type, entity="license", old_level=previous,
                       new_level=level, reason=reason)


def record_license_created(*, session: Session, license_row: UserLicense, advanced_by: int | None,
                           reason: str) -> None:
    session.add(LicenseProgression(user_license_id=license_row.id, from_level=0,
                                   to_level=license_row.current_level, advanced_by=advanced_by, reason=reason))
    AuditLogger.record(session=session, user_id=license_row.user_id,
                       specialization=license_row.specialization_type, entity="license", old_level=None,
                       new_level=license_row.current_level, reason=reason)


class LicenseService:
    def advance_license(self, *, session: Session, request: AdvanceLicenseRequest, lock: bool) -> LicenseUpdate:
        """Set the license to ``target_level`` (creating the license if the student has none)."""
        rules = load_rules(session=session, specialization=request.specialization)
        BoundaryValidator.validate_level(rules, request.target_level)
        require_user(session=session, user_id=request.user_id)
        if request.advanced_by is not None:
            require_user(session=session, user_id=request.advanced_by)
        row, created = ensure_license(session=session, user_id=request.user_id,
                                      specialization=request.specialization, lock=lock,
                                      level=request.target_level)
        if created:
            record_license_created(session=session, license_row=row, advanced_by=request.advanced_by,
                                   reason=request.reason)
            session.flush()
            return LicenseUpdate(request.user_id, request.specialization, None, row.current_level, True)
        previous = row.current_level
        set_license_level(session=session, license_row=row, level=request.target_level,
                          advanced_by=request.advanced_by, reason=request.reason)
        session.flush()
        return LicenseUpdate(request.user_id, request.specialization, previous, row.current_level)
