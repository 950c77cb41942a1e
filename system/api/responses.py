"""What the API answers with on success: the services' results, as documented response models.

FastAPI checks every answer against these, and schemathesis checks that the OpenAPI built from them
matches what is sent.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from system.services.types import Direction


class LevelUpOut(BaseModel):
    user_id: int
    specialization: str
    previous_level: int
    level: int
    total_xp: int
    license_level: int | None
    strategy: str
    attempts: int
    hook_error: str | None
    leveled_up: bool


class LicenseOut(BaseModel):
    user_id: int
    specialization: str
    previous_level: int | None
    level: int
    progress_level: int | None
    strategy: str
    attempts: int
    hook_error: str | None


class ConsistencyOut(BaseModel):
    consistent: bool
    message: str
    progress_exists: bool
    license_exists: bool
    progress_level: int | None
    license_level: int | None
    difference: int
    recommended_action: Literal["none", "create_progress_from_license", "create_license_from_progress",
                                "sync_to_higher_level"]


class DesyncIssueOut(BaseModel):
    user_id: int
    specialization: str
    kind: Literal["level_mismatch", "progress_without_license", "license_without_progress"]
    progress_level: int | None
    license_level: int | None


class DesyncIssuesOut(BaseModel):
    count: int
    issues: list[DesyncIssueOut]


class SyncOut(BaseModel):
    user_id: int
    specialization: str
    direction: Direction
    action: Literal["already_in_sync", "updated", "created"]
    level_before: int | None
    level_after: int
    success: bool


class SyncUserAllOut(BaseModel):
    user_id: int
    results: list[SyncOut]


class AutoSyncOut(BaseModel):
    direction: Direction
    dry_run: bool
    issues_found: int
    planned: int
    synced: int
    failed: int
    by_action: dict[str, int]


class OrphanCounts(BaseModel):
    orphan_progress: int
    orphan_licenses: int
    has_issues: bool


class IntegrityOut(BaseModel):
    orphan_records: OrphanCounts
    desync_count: int
    healthy: bool
