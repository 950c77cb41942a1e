"""ProgressLicenseCoupler, the P2 fix: progress and license change together in the caller's transaction.

Both rows are locked with ``SELECT ... FOR UPDATE`` (when ``lock_rows``), always progress first and
license second, so two couplers never wait on each other in opposite orders. Any error propagates
and the caller's transaction rolls back whole. With ``lock_rows=False`` the same code runs for the
strategies that serialise by other means (advisory lock, Redis lock, SERIALIZABLE).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from system.services.catalog import load_rules
from system.services.checkpoints import AFTER_LICENSE_WRITE, AFTER_PROGRESS_WRITE, Checkpoint, reach
from system.services.fast_level_up import level_up_fast
from system.services.fast_sync import sync_pair_fast
from system.services.license_service import LicenseService, record_license_created, set_license_level
from system.services.readers import read_pair_one_statement
from system.services.rows import ensure_license, ensure_progress, get_license, get_progress
from system.services.rules import AuditLogger, BoundaryValidator, require_user
from system.services.specialization_service import SpecializationService
from system.services.sync_service import ProgressLicenseSyncService
from system.services.types import (
    AdvanceLicenseRequest,
    ConsistencyStatus,
    Direction,
    LevelUpRequest,
    LicenseUpdate,
    ProgressUpdate,
    SyncResult,
)


class ProgressLicenseCoupler:
    def __init__(self, *, lock_rows: bool = True) -> None:
        self.lock_rows = lock_rows
        self._progress = SpecializationService()
        self._licenses = LicenseService()
        self._sync = ProgressLicenseSyncService()

    def _lock_pair(self, session: Session, user_id: int, specialization: str) -> None:
        """Take the row locks in the one fixed order: progress, then license."""
        if self.lock_rows:
            get_progress(session=session, user_id=user_id, specialization=specialization, lock=True)
            get_license(session=session, user_id=user_id, specialization=specialization, lock=True)

    def level_up_atomic(self, *, session: Session, request: LevelUpRequest,
                        checkpoint: Checkpoint | None = None) -> tuple[ProgressUpdate, SyncResult]:
        """Add XP (and sessions, hours); level up when earned; the license follows in the same transaction."""
        BoundaryValidator.validate_level_up(request)
        fast = level_up_fast(session, request, lock=self.lock_rows, checkpoint=checkpoint)
        if fast is not None:
            return fast
        uid, spec = request.user_id, request.specialization
        # A row is missing: the general path creates it (or names who is unknown). Lock order:
        # progress, then license; the rows read here are handed on, never re-read.
        progress = get_progress(session=session, user_id=uid, specialization=spec, lock=self.lock_rows)
        lic = get_license(session=session, user_id=uid, specialization=spec, lock=self.lock_rows)
        update = self._progress.update_progress(session=session, request=request, lock=self.lock_rows,
                                                progress=progress, checkpoint=checkpoint)
        reach(checkpoint, AFTER_PROGRESS_WRITE, session)
        held = None
        if progress is not None:
            held = (progress, lic)
        synced = self._sync.sync_progress_to_license(session=session, user_id=uid, specialization=spec,
                                                     lock=self.lock_rows, reason=request.reason, held=held)
        return update, synced

    def advance_license_atomic(self, *, session: Session, request: AdvanceLicenseRequest,
                               checkpoint: Checkpoint | None = None) -> tuple[LicenseUpdate, SyncResult]:
        self._lock_pair(session, request.user_id, request.specialization)
        update = self._licenses.advance_license(session=session, request=request, lock=self.lock_rows)
        reach(checkpoint, AFTER_LICENSE_WRITE, session)
        synced = self._sync.sync_license_to_progress(session=session, user_id=request.user_id,
                                                     specialization=request.specialization,
                                                     lock=self.lock_rows, reason=request.reason)
        return update, synced

    def update_level_atomic(self, *, session: Session, user_id: int, specialization: str, new_level: int,
                            xp_change: int = 0, sessions_change: int = 0, theory_hours_change: int = 0,
                            practice_hours_change: int = 0, advanced_by: int | None = None,
                            reason: str = "atomic level update") -> tuple[int, int]:
        """Set both rows to ``new_level`` and add the deltas. Returns (progress level, license level)."""
        rules = load_rules(session=session, specialization=specialization)
        BoundaryValidator.validate_level(rules, new_level)
        for name, value in (("xp_change", xp_change), ("sessions_change", sessions_change),
                            ("theory_hours_change", theory_hours_change),
                            ("practice_hours_change", practice_hours_change)):
            BoundaryValidator.validate_amount(name, value)
        require_user(session=session, user_id=user_id)
        progress, _ = ensure_progress(session=session, user_id=user_id, specialization=specialization,
                                      lock=self.lock_rows, level=new_level)
        lic, created = ensure_license(session=session, user_id=user_id, specialization=specialization,
                                      lock=self.lock_rows, level=new_level)
        before = progress.current_level
        progress.current_level = new_level
        progress.total_xp += xp_change
        progress.completed_sessions += sessions_change
        progress.theory_hours += theory_hours_change
        progress.practice_hours += practice_hours_change
        if before != new_level:
            AuditLogger.record(session=session, user_id=user_id, specialization=specialization,
                               entity="progress", old_level=before, new_level=new_level, reason=reason)
        if created:
            record_license_created(session=session, license_row=lic, advanced_by=advanced_by, reason=reason)
        else:
            set_license_level(session=session, license_row=lic, level=new_level, advanced_by=advanced_by,
                              reason=reason)
        session.flush()
        return progress.current_level, lic.current_level

    def sync_existing_records_atomic(self, *, session: Session, user_id: int, specialization: str,
                                     source: str, checkpoint: Checkpoint | None = None) -> SyncResult:
        """Fix a desynced pair; ``source`` is 'progress' or 'license' (the side that wins)."""
        direction = Direction.PROGRESS_TO_LICENSE if source == "progress" else Direction.parse(
            "license_to_progress" if source == "license" else source)
        # One statement reads (and locks, progress then license) both rows; the general path is left for a
        # pair with neither row, or a partner created by someone else meanwhile.
        fast = sync_pair_fast(session, user_id, specialization, direction, lock=self.lock_rows,
                              checkpoint=checkpoint)
        if fast is not None:
            return fast
        self._lock_pair(session, user_id, specialization)
        return self._sync.sync_pair(session=session, user_id=user_id, specialization=specialization,
                                    direction=direction, lock=self.lock_rows, checkpoint=checkpoint, fast=False)

    def validate_consistency(self, *, session: Session, user_id: int, specialization: str,
                             checkpoint: Checkpoint | None = None) -> ConsistencyStatus:
        # One statement, one snapshot: two statements under READ COMMITTED can straddle a level-up's commit and
        # report "Desync detected" for a pair that was never out of step (the read_reader_paused_* rows).
        seen = read_pair_one_statement(session=session, user_id=user_id, specialization=specialization,
                                       checkpoint=checkpoint)
        p_level, l_level = seen.progress_level, seen.license_level
        if p_level is None and l_level is None:
            return ConsistencyStatus(True, "No progress and no license", False, False, None, None, 0, "none")
        if p_level is None:
            return ConsistencyStatus(False, f"License without progress (license={l_level})", False, True,
                                     None, l_level, 0, "create_progress_from_license")
        if l_level is None:
            return ConsistencyStatus(False, f"Progress without license (progress={p_level})", True, False,
                                     p_level, None, 0, "create_license_from_progress")
        if p_level == l_level:
            return ConsistencyStatus(True, "Data is consistent", True, True, p_level, l_level, 0, "none")
        return ConsistencyStatus(False, f"Desync detected: Progress={p_level}, License={l_level}", True, True,
                                 p_level, l_level, abs(p_level - l_level), "sync_to_higher_level")
