"""Detection through the materialized sync-status view (migration 0008): cheap to read, but only as fresh
as its last refresh. A desync made after a refresh is invisible until the next one; the live query
(``ProgressLicenseSyncService.find_desync_issues``) always sees it. The benchmarks measure both sides of
that trade-off: refresh cost, read cost, and the staleness window."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from system.services.types import DesyncIssue

VIEW = "progress_license_sync_status"

_DESYNCED = text(f"""
    SELECT student_id, specialization_id,
           CASE WHEN license_level IS NULL THEN 'progress_without_license'
                WHEN progress_level IS NULL THEN 'license_without_progress'
                ELSE 'level_mismatch' END AS kind,
           progress_level, license_level
      FROM {VIEW}
     WHERE sync_status = 'desynced'
     ORDER BY 1, 2
""")


class SyncStatusView:
    def refresh(self, *, session: Session, concurrently: bool = True) -> None:
        """Recompute the view. ``concurrently`` lets readers go on reading the old rows meanwhile (it costs
        more: PostgreSQL diffs the new result against the old one)."""
        session.execute(text(f"REFRESH MATERIALIZED VIEW {'CONCURRENTLY ' if concurrently else ''}{VIEW}"))

    def find_desync_issues(self, *, session: Session) -> list[DesyncIssue]:
        """The issues as of the last refresh, in the live query's order and shape."""
        return [DesyncIssue(r.student_id, r.specialization_id, r.kind, r.progress_level, r.license_level)
                for r in session.execute(_DESYNCED)]
