"""Requests and results of the services: plain frozen dataclasses, JSON-friendly via ``asdict``."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Direction(StrEnum):
    PROGRESS_TO_LICENSE = "progress_to_license"
    LICENSE_TO_PROGRESS = "license_to_progress"

    @classmethod
    def parse(cls, raw: str) -> Direction:
        from system.errors import InvalidInputError

        try:
            return cls(raw)
        except ValueError:
            choices = ", ".join(d.value for d in cls)
            raise InvalidInputError(f"unknown sync direction {raw!r} (choose from {choices})") from None


@dataclass(frozen=True)
class LevelUpRequest:
    user_id: int
    specialization: str
    xp: int
    sessions: int = 0
    theory_hours: int = 0
    practice_hours: int = 0
    reason: str = "level-up"


@dataclass(frozen=True)
class AdvanceLicenseRequest:
    user_id: int
    specialization: str
    target_level: int
    advanced_by: int | None = None
    reason: str = "license advanced"


@dataclass(frozen=True)
class ProgressUpdate:
    user_id: int
    specialization: str
    previous_level: int
    level: int
    total_xp: int
    completed_sessions: int
    created: bool = False

    @property
    def leveled_up(self) -> bool:
        return self.level > self.previous_level


@dataclass(frozen=True)
class LicenseUpdate:
    user_id: int
    specialization: str
    previous_level: int | None
    level: int
    created: bool = False

    @property
    def changed(self) -> bool:
        return self.previous_level != self.level


@dataclass(frozen=True)
class SyncResult:
    """Outcome of syncing one pair. ``action`` is 'already_in_sync', 'updated' or 'created'."""

    user_id: int
    specialization: str
    direction: Direction
    action: str
    level_before: int | None
    level_after: int

    @property
    def success(self) -> bool:
        return True


@dataclass(frozen=True)
class LevelUpResult:
    user_id: int
    specialization: str
    previous_level: int
    level: int
    total_xp: int
    license_level: int | None
    strategy: str
    attempts: int = 1
    hook_error: str | None = None

    @property
    def leveled_up(self) -> bool:
        return self.level > self.previous_level


@dataclass(frozen=True)
class LicenseResult:
    user_id: int
    specialization: str
    previous_level: int | None
    level: int
    progress_level: int | None
    strategy: str
    attempts: int = 1
    hook_error: str | None = None


@dataclass(frozen=True)
class DesyncIssue:
    user_id: int
    specialization: str
    kind: str  # level_mismatch | progress_without_license | license_without_progress
    progress_level: int | None
    license_level: int | None


@dataclass(frozen=True)
class ConsistencyStatus:
    consistent: bool
    message: str
    progress_exists: bool
    license_exists: bool
    progress_level: int | None
    license_level: int | None
    difference: int
    recommended_action: str


@dataclass(frozen=True)
class AutoSyncReport:
    direction: Direction
    dry_run: bool
    issues_found: int
    planned: int
    synced: int
    failed: int
    by_action: dict[str, int] = field(default_factory=dict)
