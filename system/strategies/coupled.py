"""``coupled`` (the P2 Coupling Enforcer) and the strategies that differ from it only in how they
serialise callers: ``advisory`` (PostgreSQL advisory lock), ``redis`` (Redis lock) and
``serializable`` (SERIALIZABLE isolation with bounded retry). All four run the same coupler code in
one transaction; only ``coupled`` takes row locks."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import text
from sqlalchemy.orm import Session

from system.services.coupler import ProgressLicenseCoupler
from system.services.types import (
    AdvanceLicenseRequest,
    Direction,
    LevelUpRequest,
    LevelUpResult,
    LicenseResult,
    SyncResult,
)
from system.strategies.base import Strategy, StrategyContext, register

T = TypeVar("T")


@register
class CoupledStrategy(Strategy):
    name = "coupled"
    description = "P2: one transaction, SELECT ... FOR UPDATE on progress then license"
    lock_rows = True

    def __init__(self, ctx: StrategyContext) -> None:
        super().__init__(ctx)
        self.coupler = ProgressLicenseCoupler(lock_rows=self.lock_rows)

    def guarded(self, user_id: int, specialization: str, work: Callable[[Session], T]) -> tuple[T, int]:
        """Run ``work`` under this strategy's protection; returns (result, attempts)."""
        return self.transaction(work), 1

    def level_up(self, request: LevelUpRequest) -> LevelUpResult:
        (update, synced), attempts = self.guarded(request.user_id, request.specialization, lambda s: (
            self.coupler.level_up_atomic(session=s, request=request, checkpoint=self.ctx.at)))
        return LevelUpResult(request.user_id, request.specialization, update.previous_level, update.level,
                             update.total_xp, synced.level_after, self.name, attempts)

    def advance_license(self, request: AdvanceLicenseRequest) -> LicenseResult:
        (update, synced), attempts = self.guarded(request.user_id, request.specialization, lambda s: (
            self.coupler.advance_license_atomic(session=s, request=request, checkpoint=self.ctx.at)))
        return LicenseResult(request.user_id, request.specialization, update.previous_level, update.level,
                             synced.level_after, self.name, attempts)

    def sync(self, user_id: int, specialization: str, direction: Direction) -> SyncResult:
        source = "progress" if direction is Direction.PROGRESS_TO_LICENSE else "license"
        result, _ = self.guarded(user_id, specialization, lambda s: self.coupler.sync_existing_records_atomic(
            session=s, user_id=user_id, specialization=specialization, source=source, checkpoint=self.ctx.at))
        return result


@register
class AdvisoryLockStrategy(CoupledStrategy):
    name = "advisory"
    description = "one transaction serialised by pg_advisory_xact_lock(user, hashtext(specialization))"
    lock_rows = False

    def guarded(self, user_id: int, specialization: str, work: Callable[[Session], T]) -> tuple[T, int]:
        def take_lock(session: Session) -> None:
            # The cast makes an id past int4 a "value out of range" (bad input), not a missing function.
            session.execute(text("SELECT pg_advisory_xact_lock(CAST(:uid AS integer), hashtext(:spec))"),
                            {"uid": user_id, "spec": specialization})

        return self.transaction(work, prepare=take_lock), 1
