"""The common case of syncing one pair, in as few round trips as the level-up's fast path: one statement
reads (and, for ``coupled``, locks) both rows, one writes the side that follows with its progression and
audit rows, then the caller commits. The general path took nine statements for the same work (lock
both, read both to learn which exist, read both again, write three rows).

Only a pair whose two rows exist takes this path; a missing row returns None and the general path
creates the partner (or says who is unknown). Results, rows written and checkpoints are the general
path's: AFTER_SYNC_READ is reached once both rows are read and nothing is written.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, CursorResult
from sqlalchemy.orm import Session

from system.services.checkpoints import AFTER_SYNC_READ, Checkpoint, reach
from system.services.fast_level_up import STATEMENTS as LEVEL_UP_STATEMENTS
from system.services.prepared import run_prepared
from system.services.rules import BoundaryValidator
from system.services.types import Direction, SyncResult

STATEMENTS = {
    **LEVEL_UP_STATEMENTS,  # the pair read, locked or not, is the level-up's
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
                   reason: str, synced_by: int | None = None,
                   checkpoint: Checkpoint | None = None) -> SyncResult | None:
    """Make the side that follows ``direction`` match the other; None when a row of the pair is missing."""
    BoundaryValidator.validate_id("user id", user_id)
    conn = session.connection()
    row = _run(conn, "plsync_read_locked" if lock else "plsync_read_plain", user_id, specialization).first()
    if row is None:
        return None
    progress_id, progress_level, *_, license_id, license_level, _max_achieved = tuple(row)
    reach(checkpoint, AFTER_SYNC_READ, session)
    if direction is Direction.PROGRESS_TO_LICENSE:
        before, after = license_level, progress_level
    else:
        before, after = progress_level, license_level
    if before == after:
        return SyncResult(user_id, specialization, direction, "already_in_sync", before, after)
    if direction is Direction.PROGRESS_TO_LICENSE:
        _run(conn, "plsync_sync_license", license_id, before, after, synced_by, reason, user_id, specialization)
    else:
        _run(conn, "plsync_sync_progress", progress_id, before, after, reason, user_id, specialization)
    return SyncResult(user_id, specialization, direction, "updated", before, after)
