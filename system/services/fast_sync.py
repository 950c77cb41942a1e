"""Syncing one pair in two statements: one reads (and, for ``coupled``, locks, progress first) both rows,
one writes the side that follows, or creates the missing partner, with its progression and audit rows;
then the caller commits. The general path took nine to twelve statements for the same work (lock both,
read both to learn which exist, read both again, write three rows), and under load every round trip
costs milliseconds.

Results, rows written, errors and checkpoints are the general path's: AFTER_SYNC_READ is reached once
both rows are read and nothing is written. A pair with neither row, or a partner another transaction
created first, returns None: the general path then explains or reads what is there.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, CursorResult
from sqlalchemy.orm import Session

from system.services.checkpoints import AFTER_SYNC_READ, Checkpoint, reach
from system.services.prepared import run_prepared
from system.services.rules import BoundaryValidator
from system.services.types import Direction, SyncResult

#: What the audit and progression rows say, by the direction a sync actually went.
SYNC_REASONS = {Direction.PROGRESS_TO_LICENSE: "progress to license sync",
                Direction.LICENSE_TO_PROGRESS: "license to progress sync"}

# Both rows, either possibly missing: each CTE locks its own row (progress is referenced, so locked, first).
_READ = """
    WITH p AS (SELECT id, current_level FROM specialization_progress
                WHERE student_id = $1 AND specialization_id = $2 {lock}),
         l AS (SELECT id, current_level FROM user_licenses WHERE user_id = $1 AND specialization_type = $2 {lock})
    SELECT p.id, p.current_level, l.id, l.current_level FROM (SELECT 1) one LEFT JOIN p ON true LEFT JOIN l ON true
"""
STATEMENTS = {
    "plsync_sync_read_locked": _READ.format(lock="FOR UPDATE"),
    "plsync_sync_read_plain": _READ.format(lock=""),
    # $1 user, $2 specialization, $3 level, $4 synced by, $5 reason
    "plsync_create_license": """
        WITH created AS (
            INSERT INTO user_licenses (user_id, specialization_type, current_level, max_achieved_level)
            VALUES ($1, $2, $3, $3) ON CONFLICT (user_id, specialization_type) DO NOTHING RETURNING id),
        progression AS (
            INSERT INTO license_progressions (user_license_id, from_level, to_level, advanced_by, reason)
            SELECT id, 0, $3, $4, $5 FROM created)
        INSERT INTO audit_log (user_id, specialization_id, entity, old_level, new_level, reason)
        SELECT $1, $2, 'license', NULL, $3, $5 FROM created RETURNING 1""",
    # $1 user, $2 specialization, $3 level, $4 reason
    "plsync_create_progress": """
        WITH created AS (
            INSERT INTO specialization_progress (student_id, specialization_id, current_level)
            VALUES ($1, $2, $3) ON CONFLICT (student_id, specialization_id) DO NOTHING RETURNING id)
        INSERT INTO audit_log (user_id, specialization_id, entity, old_level, new_level, reason)
        SELECT $1, $2, 'progress', NULL, $3, $4 FROM created RETURNING 1""",
    # $1 license id, $2 old level, $3 new level, $4 synced by, $5 reason, $6 user, $7 specialization
    "plsync_sync_license": """
        WITH moved AS (
            UPDATE user_licenses SET current_level = $3, max_achieved_level = greatest(max_achieved_level, $3),
                   last_advanced_at = now(), updated_at = now()
             WHERE id = $1 RETURNING id),
        progression AS (
            INSERT INTO license_progressions (user_license_id, from_level, to_level, advanced_by, reason)
            SELECT id, $2, $3, $4, $5 FROM moved)
        INSERT INTO audit_log (user_id, specialization_id, entity, old_level, new_level, reason)
        SELECT $6, $7, 'license', $2, $3, $5 FROM moved""",
    # $1 progress id, $2 old level, $3 new level, $4 reason, $5 user, $6 specialization
    "plsync_sync_progress": """
        WITH moved AS (
            UPDATE specialization_progress SET current_level = $3, updated_at = now() WHERE id = $1 RETURNING id)
        INSERT INTO audit_log (user_id, specialization_id, entity, old_level, new_level, reason)
        SELECT $5, $6, 'progress', $2, $3, $4 FROM moved""",
}


def _run(conn: Connection, name: str, *args: object) -> CursorResult[Any]:
    return run_prepared(conn, STATEMENTS, name, *args)


def sync_pair_fast(session: Session, user_id: int, specialization: str, direction: Direction, *, lock: bool,
                   synced_by: int | None = None,
                   checkpoint: Checkpoint | None = None) -> SyncResult | None:
    """Make the side that follows ``direction`` match the other (a pair with one row is completed from it,
    whatever the direction, as the general path does); None leaves the pair to the general path."""
    BoundaryValidator.validate_id("user id", user_id)
    conn = session.connection()
    read = "plsync_sync_read_locked" if lock else "plsync_sync_read_plain"
    progress_id, progress_level, license_id, license_level = tuple(_run(conn, read, user_id, specialization).one())
    if progress_id is None and license_id is None:
        return None
    reach(checkpoint, AFTER_SYNC_READ, session)
    if license_id is None or progress_id is None:
        return _create_partner(conn, user_id, specialization, progress_level, license_level, synced_by)
    if direction is Direction.PROGRESS_TO_LICENSE:
        before, after = license_level, progress_level
    else:
        before, after = progress_level, license_level
    if before == after:
        return SyncResult(user_id, specialization, direction, "already_in_sync", before, after)
    reason = SYNC_REASONS[direction]
    if direction is Direction.PROGRESS_TO_LICENSE:
        _run(conn, "plsync_sync_license", license_id, before, after, synced_by, reason, user_id, specialization)
    else:
        _run(conn, "plsync_sync_progress", progress_id, before, after, reason, user_id, specialization)
    return SyncResult(user_id, specialization, direction, "updated", before, after)


def _create_partner(conn: Connection, user_id: int, specialization: str, progress_level: int | None,
                    license_level: int | None, synced_by: int | None) -> SyncResult | None:
    if progress_level is not None:  # the license is missing: it is created from progress
        direction, level = Direction.PROGRESS_TO_LICENSE, progress_level
        created = _run(conn, "plsync_create_license", user_id, specialization, level, synced_by,
                       SYNC_REASONS[direction]).first()
    else:
        assert license_level is not None
        direction, level = Direction.LICENSE_TO_PROGRESS, license_level
        created = _run(conn, "plsync_create_progress", user_id, specialization, level,
                       SYNC_REASONS[direction]).first()
    if created is None:  # another transaction created it since we read: the general path reads it
        return None
    return SyncResult(user_id, specialization, direction, "created", None, level)
