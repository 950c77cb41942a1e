"""``legacy``: the P1 design. Progress and license in separate transactions, Python read-modify-write
without row locks, and sync hooks that log their errors instead of failing the operation."""

from __future__ import annotations

from sqlalchemy.orm import Session

from system.services.checkpoints import AFTER_LICENSE_WRITE, AFTER_PROGRESS_WRITE
from system.services.license_service import LicenseService
from system.services.specialization_service import SpecializationService
from system.services.sync_service import ProgressLicenseSyncService
from system.services.types import (
    AdvanceLicenseRequest,
    Direction,
    LevelUpRequest,
    LevelUpResult,
    LicenseResult,
    SyncResult,
)
from system.strategies.base import Strategy, log, register


@register
class LegacyStrategy(Strategy):
    name = "legacy"
    description = "P1: separate transactions, unlocked read-modify-write, non-blocking sync hooks"

    def level_up(self, request: LevelUpRequest) -> LevelUpResult:
        update = self.transaction(lambda s: SpecializationService().update_progress(
            session=s, request=request, lock=False, checkpoint=self.ctx.at))
        license_level, hook_error = None, None
        if update.leveled_up:  # the P1 hook fires on a level-up only, in a transaction of its own
            def hook(session: Session) -> int:
                self.ctx.at(AFTER_PROGRESS_WRITE, session)  # progress is committed, the license is not
                return ProgressLicenseSyncService().sync_progress_to_license(
                    session=session, user_id=request.user_id, specialization=request.specialization,
                    reason=request.reason).level_after

            try:
                license_level = self.transaction(hook)
            except Exception as exc:  # non-blocking by design: the 6-hourly job is the safety net
                hook_error = f"{type(exc).__name__}: {exc}"
                log.error("auto-sync after level-up failed for %s/%s: %s", request.user_id,
                          request.specialization, hook_error)
        return LevelUpResult(request.user_id, request.specialization, update.previous_level, update.level,
                             update.total_xp, license_level, self.name, hook_error=hook_error)

    def advance_license(self, request: AdvanceLicenseRequest) -> LicenseResult:
        update = self.transaction(lambda s: LicenseService().advance_license(session=s, request=request, lock=False))
        progress_level, hook_error = None, None
        if update.changed:
            def hook(session: Session) -> int:
                self.ctx.at(AFTER_LICENSE_WRITE, session)  # the license is committed, progress is not
                return ProgressLicenseSyncService().sync_license_to_progress(
                    session=session, user_id=request.user_id, specialization=request.specialization,
                    reason=request.reason).level_after

            try:
                progress_level = self.transaction(hook)
            except Exception as exc:
                hook_error = f"{type(exc).__name__}: {exc}"
                log.error("auto-sync after license advance failed for %s/%s: %s", request.user_id,
                          request.specialization, hook_error)
        return LicenseResult(request.user_id, request.specialization, update.previous_level, update.level,
                             progress_level, self.name, hook_error=hook_error)

    def sync(self, user_id: int, specialization: str, direction: Direction) -> SyncResult:
        return self.transaction(lambda s: ProgressLicenseSyncService().sync_pair(
            session=s, user_id=user_id, specialization=specialization, direction=direction,
            checkpoint=self.ctx.at))
