"""Request bodies. Values are range-checked by the services (one code path), not here."""

from __future__ import annotations

from pydantic import BaseModel


class LevelUpBody(BaseModel):
    xp: int
    sessions: int = 0
    theory_hours: int = 0
    practice_hours: int = 0
    reason: str = "api level-up"


class AdvanceLicenseBody(BaseModel):
    target_level: int
    reason: str = "api license advance"


class SyncUserBody(BaseModel):
    specialization: str
    direction: str = "progress_to_license"


class SyncAllSpecializationsBody(BaseModel):
    direction: str = "progress_to_license"


class BulkSyncBody(BaseModel):
    direction: str = "progress_to_license"
    dry_run: bool = True  # bulk changes happen only when asked for explicitly
