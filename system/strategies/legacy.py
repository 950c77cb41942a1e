"""``legacy``: the P1 design. Progress and license in separate transactions, Python read-modify-write
without row locks, and sync hooks that log their errors instead of failing the operation."""

from __future__ import annotations

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
        def progress_step(session):  # type: ignore[no-untyped-def]
            update = SpecializationService().update_progress(session=session, request=request, lock=False)
            self.ctx.at("after_progress_write", session)
            return update

        update = self.transaction(progress_step)
        license_level, hook_error = None, None
        if update.leveled_up:  # the P1 hook fires on a level-up only
            self.ctx.at("between_transactions", None)
            try:
                synced = self.transaction(lambda s: ProgressLicenseSyncService().sync_progress_to_license(
                    session=s, user_id=request.user_id, specialization=request.specialization,
                    reason=request.reason))
                license_level = synced.level_after
            except Exception as exc:  # non-blocking by design: the 6-hourly job is the safety net
                hook_error = f"{type(exc).__name__}: {exc}"
                log.error("auto-sync after level-up failed for %s/%s: %s", request.user_id,
                          request.specialization, hook_error)
        return LevelUpResult(request.user_id, request.specialization, update.previous_level, update.level,
                             update.total_xp, license_level, self.name, hook_error=hook_error)

    def advance_license(self, request: AdvanceLicenseRequest) -> LicenseResult:
        def license_step(session):  # type: ignore[no-untyped-def]
            update = LicenseService().advance_license(session=session, request=request, lock=False)
            self.ctx.at("after_license_write", session)
            return update

        update = self.transaction(license_step)
        progress_level, hook_error = None, None
        if update.changed:
            self.ctx.at("between_transactions", None)
            try:
                synced = self.transaction(lambda s: ProgressLicenseSyncService().sync_license_to_progress(
                    session=s, user_id=request.user_id, specialization=request.specialization,
                    reason=request.reason))
                progress_level = synced.level_after
            except Exception as exc:
                hook_error = f"{type(exc).__name__}: {exc}"
                log.error("auto-sync after license advance failed for %s/%s: %s", request.user_id,
                          request.specialization, hook_error)
        return LicenseResult(request.user_id, request.specialization, update.previous_level, update.level,
                             progress_level, self.name, hook_error=hook_error)

    def sync(self, user_id: int, specialization: str, direction: Direction) -> SyncResult:
        return self.transaction(lambda s: ProgressLicenseSyncService().sync_pair(
            session=s, user_id=user_id, specialization=specialization, direction=direction))
