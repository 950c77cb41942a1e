"""ProgressLicenseSyncService: bring the two rows of a pair into agreement, one pair or all of them."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from system.errors import NotFoundError
from system.models import SpecializationProgress, UserLicense
from system.services.catalog import load_rules, specialization_ids
from system.services.checkpoints import AFTER_SYNC_READ, Checkpoint, reach
from system.services.fast_sync import SYNC_REASONS, sync_pair_fast
from system.services.license_service import record_license_created, set_license_level
from system.services.rows import ensure_license, ensure_progress, get_license, get_progress
from system.services.rules import AuditLogger, require_user
from system.services.types import AutoSyncReport, DesyncIssue, Direction, SyncResult
from system.sync.applier import apply_plan
from system.sync.planner import count_by_action, plan_repairs

# One FULL OUTER JOIN finds all three kinds of issue in a single pass.
_DESYNC_SQL = """
    SELECT coalesce(p.student_id, l.user_id) AS user_id,
           coalesce(p.specialization_id, l.specialization_type) AS spec,
           CASE WHEN l.id IS NULL THEN 'progress_without_license'
                WHEN p.id IS NULL THEN 'license_without_progress'
                ELSE 'level_mismatch' END AS kind,
           p.current_level AS progress_level, l.current_level AS license_level
      FROM specialization_progress p
      FULL OUTER JOIN user_licenses l
        ON l.user_id = p.student_id AND l.specialization_type = p.specialization_id
     WHERE (p.id IS NULL OR l.id IS NULL OR p.current_level <> l.current_level)
       {spec_filter}
     ORDER BY 1, 2
"""


class ProgressLicenseSyncService:
    def sync_progress_to_license(self, *, session: Session, user_id: int, specialization: str,
                                 synced_by: int | None = None, lock: bool = False,
                                 reason: str = SYNC_REASONS[Direction.PROGRESS_TO_LICENSE],
                                 held: tuple[SpecializationProgress, UserLicense | None] | None = None,
                                 checkpoint: Checkpoint | None = None) -> SyncResult:
        """Make the license match progress (creating it when missing). In sync already = success.

        ``held`` passes rows the caller already read (and locked) in this transaction: no re-read.
        """
        progress: SpecializationProgress | None
        if held is not None:
            progress, held_license = held
        else:
            progress = get_progress(session=session, user_id=user_id, specialization=specialization, lock=lock)
            held_license = None
            if progress is None:
                self._explain_missing(session, user_id, specialization, "progress")
        assert progress is not None
        level = progress.current_level
        if held_license is not None:
            row, created = held_license, False
        else:
            row, created = ensure_license(session=session, user_id=user_id, specialization=specialization,
                                          lock=lock, level=level)
        direction = Direction.PROGRESS_TO_LICENSE
        reach(checkpoint, AFTER_SYNC_READ, session)
        if created:
            record_license_created(session=session, license_row=row, advanced_by=synced_by, reason=reason)
            session.flush()
            return SyncResult(user_id, specialization, direction, "created", None, level)
        before = row.current_level
        if before == level:
            return SyncResult(user_id, specialization, direction, "already_in_sync", before, level)
        set_license_level(session=session, license_row=row, level=level, advanced_by=synced_by, reason=reason)
        session.flush()
        return SyncResult(user_id, specialization, direction, "updated", before, level)

    def sync_license_to_progress(self, *, session: Session, user_id: int, specialization: str,
                                 lock: bool = False, reason: str = SYNC_REASONS[Direction.LICENSE_TO_PROGRESS],
                                 checkpoint: Checkpoint | None = None) -> SyncResult:
        """Make progress match the license (creating progress when missing). In sync already = success."""
        lic = get_license(session=session, user_id=user_id, specialization=specialization, lock=lock)
        if lic is None:
            self._explain_missing(session, user_id, specialization, "license")
        assert lic is not None
        level = lic.current_level
        direction = Direction.LICENSE_TO_PROGRESS
        row, created = ensure_progress(session=session, user_id=user_id, specialization=specialization,
                                       lock=lock, level=level)
        reach(checkpoint, AFTER_SYNC_READ, session)
        if created:
            AuditLogger.record(session=session, user_id=user_id, specialization=specialization,
                               entity="progress", old_level=None, new_level=level, reason=reason)
            session.flush()
            return SyncResult(user_id, specialization, direction, "created", None, level)
        before = row.current_level
        if before == level:
            return SyncResult(user_id, specialization, direction, "already_in_sync", before, level)
        row.current_level = level
        AuditLogger.record(session=session, user_id=user_id, specialization=specialization, entity="progress",
                           old_level=before, new_level=level, reason=reason)
        session.flush()
        return SyncResult(user_id, specialization, direction, "updated", before, level)

    def sync_pair(self, *, session: Session, user_id: int, specialization: str, direction: Direction,
                  lock: bool = False, synced_by: int | None = None,
                  checkpoint: Checkpoint | None = None, fast: bool = True) -> SyncResult:
        """Sync one pair in ``direction``; a pair with only one row is completed from that row. ``fast``
        takes the two-statement path (system.services.fast_sync) wherever it can."""
        if fast:
            done = sync_pair_fast(session, user_id, specialization, direction, lock=lock, synced_by=synced_by,
                                  checkpoint=checkpoint)
            if done is not None:
                return done
        has_progress = get_progress(session=session, user_id=user_id, specialization=specialization,
                                    lock=False) is not None
        has_license = get_license(session=session, user_id=user_id, specialization=specialization,
                                  lock=False) is not None
        if (direction is Direction.LICENSE_TO_PROGRESS and has_license) or not has_progress:
            return self.sync_license_to_progress(session=session, user_id=user_id,
                                                 specialization=specialization, lock=lock, checkpoint=checkpoint)
        return self.sync_progress_to_license(session=session, user_id=user_id, specialization=specialization,
                                             synced_by=synced_by, lock=lock, checkpoint=checkpoint)

    def find_desync_issues(self, *, session: Session, specialization: str | None = None) -> list[DesyncIssue]:
        params: dict[str, object] = {}
        spec_filter = ""
        if specialization is not None:
            load_rules(session=session, specialization=specialization)  # unknown -> NotFoundError
            spec_filter = "AND coalesce(p.specialization_id, l.specialization_type) = :spec"
            params["spec"] = specialization
        rows = session.execute(text(_DESYNC_SQL.format(spec_filter=spec_filter)), params).all()
        return [DesyncIssue(r.user_id, r.spec, r.kind, r.progress_level, r.license_level) for r in rows]

    def auto_sync_all(self, *, session: Session, direction: Direction = Direction.PROGRESS_TO_LICENSE,
                      dry_run: bool = True, synced_by: int | None = None,
                      reason: str = "bulk auto-sync") -> AutoSyncReport:
        """Find every issue and fix them set-based. ``dry_run`` (the default) only reports the plan."""
        issues = self.find_desync_issues(session=session)
        plan = plan_repairs(issues, direction)
        planned = count_by_action(plan)
        if dry_run:
            return AutoSyncReport(direction, True, len(issues), len(plan), 0, 0, planned)
        applied = apply_plan(session=session, plan=plan, synced_by=synced_by, reason=reason)
        synced = sum(applied.values())
        return AutoSyncReport(direction, False, len(issues), len(plan), synced, len(plan) - synced, applied)

    def sync_user_all_specializations(self, *, session: Session, user_id: int, direction: Direction,
                                      lock: bool = False) -> list[SyncResult]:
        require_user(session=session, user_id=user_id)
        results = []
        for spec in specialization_ids(session=session):
            has_any = (get_progress(session=session, user_id=user_id, specialization=spec, lock=False)
                       or get_license(session=session, user_id=user_id, specialization=spec, lock=False))
            if has_any:
                results.append(self.sync_pair(session=session, user_id=user_id, specialization=spec,
                                              direction=direction, lock=lock))
        return results

    @staticmethod
    def _explain_missing(session: Session, user_id: int, specialization: str, side: str) -> None:
        load_rules(session=session, specialization=specialization)
        require_user(session=session, user_id=user_id)
        raise NotFoundError(f"user {user_id} has no {side} row for {specialization}: nothing to sync from")
