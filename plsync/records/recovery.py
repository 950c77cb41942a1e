"""Records of the ``recovery`` stage (``recovery_stress.json``, also ``plsync stress``) and the ``orphans``
stage (``orphans.json``)."""

from __future__ import annotations

from plsync.records.base import Record


class RecoveryStressRecord(Record):
    users: int
    pairs: int
    faults: int
    seed_seconds: float
    inject_seconds: float
    detection_perfect: bool
    raw_detect_ms: float
    detect_ms: float
    detect_ratio: float
    issues_found: int
    dry_run_unchanged: bool
    raw_repair_ms: float
    repair_ms: float
    repair_ratio: float
    planned: int
    synced: int
    failed: int
    success_rate: float
    remaining_issues: int
    second_run_changes: int
    peak_rss_mb: float
    rss_growth_mb: float


class OrphansRecord(Record):
    injected: int
    found: int
    exact: bool
    deleted: int
    left_after: int
    backup_file: str | None
