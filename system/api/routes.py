"""Endpoints: level-ups and licenses for the swarms, the four admin sync endpoints, integrity health.

Every operation documents each status it can refuse with (system.api.errors.documented): 401 and 403
from the dependencies, 422 from validation or the services' rules, 404 for unknown users and
specializations, 409 for lock and serialization trouble, 503 when the database fails.

Every operation is ``async def`` and runs the system's synchronous code through ``comp.run`` (the greenlet
bridge of system.api.bridge): no request waits for a thread, and every strategy is served the same way.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter
from sqlalchemy import text

from system.api.deps import Admin, Components, SelfOrStaff, Staff
from system.api.errors import documented
from system.api.responses import (
    AutoSyncOut,
    ConsistencyOut,
    DesyncIssuesOut,
    IntegrityOut,
    LevelUpOut,
    LicenseOut,
    SyncOut,
    SyncUserAllOut,
)
from system.api.schemas import (
    AdvanceLicenseBody,
    BulkSyncBody,
    LevelUpBody,
    SpecializationFilter,
    SpecializationId,
    SyncAllSpecializationsBody,
    SyncUserBody,
    UserId,
)
from system.errors import NotFoundError
from system.services.catalog import load_rules
from system.services.coupler import ProgressLicenseCoupler
from system.services.integrity import IntegrityChecker
from system.services.rules import require_user
from system.services.sync_service import ProgressLicenseSyncService
from system.services.types import (
    AdvanceLicenseRequest,
    AutoSyncReport,
    ConsistencyStatus,
    DesyncIssue,
    LevelUpRequest,
    SyncResult,
)

router = APIRouter()
#: Every operation reads the database (the caller's role at least): lock or statement timeouts and an
#: unreachable server can refuse any of them.
AUTHENTICATED = (401, 403, 409, 422, 503)
#: 413 and 408 from system.api.limits, before the body is read (or while it is).
WITH_BODY = (400, 408, 413, *AUTHENTICATED)


def sync_out(result: SyncResult) -> dict[str, Any]:
    return asdict(result) | {"success": result.success}


@router.post("/api/v1/progress/{user_id}/{specialization}/level-up", response_model=LevelUpOut,
             responses=documented(*WITH_BODY, 404))
async def level_up(user_id: UserId, specialization: SpecializationId, body: LevelUpBody, comp: Components,
                   _who: SelfOrStaff) -> dict[str, Any]:
    result = await comp.run(comp.strategy.level_up, LevelUpRequest(
        user_id, specialization, body.xp, body.sessions, body.theory_hours, body.practice_hours, body.reason))
    return asdict(result) | {"leveled_up": result.leveled_up}


@router.post("/api/v1/licenses/{user_id}/{specialization}/advance", response_model=LicenseOut,
             responses=documented(*WITH_BODY, 404))
async def advance_license(user_id: UserId, specialization: SpecializationId, body: AdvanceLicenseBody,
                          comp: Components, who: Staff) -> dict[str, Any]:
    result = await comp.run(comp.strategy.advance_license, AdvanceLicenseRequest(
        user_id, specialization, body.target_level, who.user_id, body.reason))
    return asdict(result)


@router.get("/api/v1/licenses/{user_id}/{specialization}/consistency", response_model=ConsistencyOut,
            responses=documented(*AUTHENTICATED, 404))
async def consistency(user_id: UserId, specialization: SpecializationId, comp: Components,
                      _who: SelfOrStaff) -> dict[str, Any]:
    def read() -> ConsistencyStatus:
        with comp.transaction() as session:
            status = ProgressLicenseCoupler(lock_rows=False).validate_consistency(
                session=session, user_id=user_id, specialization=specialization)
            if not status.progress_exists and not status.license_exists:
                # Nothing found: say so when the user or specialization does not exist (no cost on the hot path).
                load_rules(session=session, specialization=specialization)
                require_user(session=session, user_id=user_id)
        return status

    return asdict(await comp.run(read))


@router.get("/api/v1/licenses/admin/sync/desync-issues", response_model=DesyncIssuesOut,
            responses=documented(*AUTHENTICATED, 404))
async def desync_issues(comp: Components, _who: Staff, specialization: SpecializationFilter = None) -> dict[str, Any]:
    def find() -> list[DesyncIssue]:
        with comp.transaction() as session:
            return ProgressLicenseSyncService().find_desync_issues(session=session, specialization=specialization)

    issues = await comp.run(find)
    return {"count": len(issues), "issues": [asdict(i) for i in issues]}


@router.post("/api/v1/licenses/admin/sync/user/{user_id}", response_model=SyncOut,
             responses=documented(*WITH_BODY, 404))
async def sync_user(user_id: UserId, body: SyncUserBody, comp: Components, _who: Staff) -> dict[str, Any]:
    return sync_out(await comp.run(comp.strategy.sync, user_id, body.specialization, body.direction))


@router.post("/api/v1/licenses/admin/sync/user/{user_id}/all", response_model=SyncUserAllOut,
             responses=documented(*WITH_BODY, 404))
async def sync_user_all(user_id: UserId, body: SyncAllSpecializationsBody, comp: Components,
                        _who: Staff) -> dict[str, Any]:
    def sync_all() -> list[SyncResult]:
        with comp.transaction() as session:
            specs = list(session.execute(text(
                "SELECT specialization_id FROM specialization_progress WHERE student_id = :u UNION "
                "SELECT specialization_type FROM user_licenses WHERE user_id = :u ORDER BY 1"),
                {"u": user_id}).scalars())
        if not specs:
            raise NotFoundError(f"user {user_id} has no progress or license to sync")
        return [comp.strategy.sync(user_id, spec, body.direction) for spec in specs]

    return {"user_id": user_id, "results": [sync_out(r) for r in await comp.run(sync_all)]}


@router.post("/api/v1/licenses/admin/sync/all", response_model=AutoSyncOut, responses=documented(*WITH_BODY))
async def bulk_sync(body: BulkSyncBody, comp: Components, who: Admin) -> dict[str, Any]:
    def sync_all() -> AutoSyncReport:
        with comp.transaction() as session:
            return ProgressLicenseSyncService().auto_sync_all(session=session, direction=body.direction,
                                                              dry_run=body.dry_run, synced_by=who.user_id)

    return asdict(await comp.run(sync_all))


@router.get("/health/integrity", response_model=IntegrityOut, responses=documented(409, 503))
async def integrity(comp: Components) -> dict[str, Any]:
    def check() -> tuple[dict[str, int], int]:
        with comp.transaction() as session:
            checker = IntegrityChecker()
            return checker.check_orphan_records(session=session), checker.check_desync_count(session=session)

    orphans, desync = await comp.run(check)
    has_orphans = any(orphans.values())
    return {"orphan_records": orphans | {"has_issues": has_orphans}, "desync_count": desync,
            "healthy": not has_orphans and desync == 0}
