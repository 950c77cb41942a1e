"""Endpoints: level-ups and licenses for the swarms, the four admin sync endpoints, integrity health."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, HTTPException
from sqlalchemy import text

from system.api.deps import Components, CurrentCaller, require
from system.api.schemas import (
    AdvanceLicenseBody,
    BulkSyncBody,
    LevelUpBody,
    SyncAllSpecializationsBody,
    SyncUserBody,
)
from system.services.coupler import ProgressLicenseCoupler
from system.services.integrity import IntegrityChecker
from system.services.sync_service import ProgressLicenseSyncService
from system.services.types import AdvanceLicenseRequest, Direction, LevelUpRequest

STAFF = ("instructor", "admin")
router = APIRouter()


@router.post("/api/v1/progress/{user_id}/{specialization}/level-up")
def level_up(user_id: int, specialization: str, body: LevelUpBody, comp: Components,
             who: CurrentCaller) -> dict[str, Any]:
    if who.user_id != user_id:
        require(who, *STAFF)
    result = comp.strategy.level_up(LevelUpRequest(user_id, specialization, body.xp, body.sessions,
                                                   body.theory_hours, body.practice_hours, body.reason))
    return asdict(result) | {"leveled_up": result.leveled_up}


@router.post("/api/v1/licenses/{user_id}/{specialization}/advance")
def advance_license(user_id: int, specialization: str, body: AdvanceLicenseBody, comp: Components,
                    who: CurrentCaller) -> dict[str, Any]:
    require(who, *STAFF)
    result = comp.strategy.advance_license(AdvanceLicenseRequest(user_id, specialization, body.target_level,
                                                                 who.user_id, body.reason))
    return asdict(result)


@router.get("/api/v1/licenses/{user_id}/{specialization}/consistency")
def consistency(user_id: int, specialization: str, comp: Components, who: CurrentCaller) -> dict[str, Any]:
    if who.user_id != user_id:
        require(who, *STAFF)
    with comp.db.transaction() as session:
        status = ProgressLicenseCoupler(lock_rows=False).validate_consistency(
            session=session, user_id=user_id, specialization=specialization)
    return asdict(status)


@router.get("/api/v1/licenses/admin/sync/desync-issues")
def desync_issues(comp: Components, who: CurrentCaller, specialization: str | None = None) -> dict[str, Any]:
    require(who, *STAFF)
    with comp.db.transaction() as session:
        issues = ProgressLicenseSyncService().find_desync_issues(session=session, specialization=specialization)
    return {"count": len(issues), "issues": [asdict(i) for i in issues]}


@router.post("/api/v1/licenses/admin/sync/user/{user_id}")
def sync_user(user_id: int, body: SyncUserBody, comp: Components, who: CurrentCaller) -> dict[str, Any]:
    require(who, *STAFF)
    result = comp.strategy.sync(user_id, body.specialization, Direction.parse(body.direction))
    return asdict(result) | {"success": result.success}


@router.post("/api/v1/licenses/admin/sync/user/{user_id}/all")
def sync_user_all(user_id: int, body: SyncAllSpecializationsBody, comp: Components,
                  who: CurrentCaller) -> dict[str, Any]:
    require(who, *STAFF)
    direction = Direction.parse(body.direction)
    with comp.db.transaction() as session:
        specs = list(session.execute(text(
            "SELECT specialization_id FROM specialization_progress WHERE student_id = :u UNION "
            "SELECT specialization_type FROM user_licenses WHERE user_id = :u ORDER BY 1"), {"u": user_id}).scalars())
    if not specs:
        raise HTTPException(404, f"user {user_id} has no progress or license to sync")
    results = [comp.strategy.sync(user_id, spec, direction) for spec in specs]
    return {"user_id": user_id, "results": [asdict(r) for r in results]}


@router.post("/api/v1/licenses/admin/sync/all")
def bulk_sync(body: BulkSyncBody, comp: Components, who: CurrentCaller) -> dict[str, Any]:
    require(who, "admin")
    with comp.db.transaction() as session:
        report = ProgressLicenseSyncService().auto_sync_all(session=session, direction=Direction.parse(body.direction),
                                                            dry_run=body.dry_run, synced_by=who.user_id)
    return asdict(report)


@router.get("/health/integrity")
def integrity(comp: Components) -> dict[str, Any]:
    with comp.db.transaction() as session:
        checker = IntegrityChecker()
        orphans = checker.check_orphan_records(session=session)
        desync = checker.check_desync_count(session=session)
    has_orphans = any(orphans.values())
    return {"orphan_records": orphans | {"has_issues": has_orphans}, "desync_count": desync,
            "healthy": not has_orphans and desync == 0}
