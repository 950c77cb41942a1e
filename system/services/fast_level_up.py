"""The common case of a coupled level-up in two statements, for the strategies that share the coupler.

When both rows of the pair exist (nearly always), one ``SELECT ... FOR UPDATE OF p, l`` reads and
locks progress then license, and one ``UPDATE`` writes the new totals and the level earned, computed
in SQL from the database's own requirements. License, progression and audit rows are written only
when the level changes. A missing row returns None: the general path creates it (or says who is
unknown). Totals are written as absolute values computed from the row read, exactly like the
general path, so whatever serialises callers (row locks, an advisory or Redis lock, SERIALIZABLE)
is still what protects the XP.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, CursorResult
from sqlalchemy.orm import Session

from system.services.checkpoints import AFTER_PROGRESS_READ, AFTER_PROGRESS_WRITE, Checkpoint, reach
from system.services.prepared import run_prepared
from system.services.types import Direction, LevelUpRequest, ProgressUpdate, SyncResult

# Positional ($n) statements, prepared once per database connection: planning them on every call
# costs the server more than running them.
_READ = """
    SELECT p.id, p.current_level, p.total_xp, p.completed_sessions, p.theory_hours, p.practice_hours,
           l.id, l.current_level, l.max_achieved_level
      FROM specialization_progress p
      JOIN user_licenses l ON l.user_id = p.student_id AND l.specialization_type = p.specialization_id
     WHERE p.student_id = $1 AND p.specialization_id = $2
"""
STATEMENTS = {
    "plsync_read_locked": _READ + " FOR UPDATE OF p, l",
    "plsync_read_plain": _READ,
    # $1 xp, $2 sessions, $3 theory, $4 practice, $5 level now, $6 specialization, $7 progress id
    "plsync_write_progress": """
        UPDATE specialization_progress
           SET total_xp = $1, completed_sessions = $2, theory_hours = $3, practice_hours = $4,
               current_level = greatest($5, coalesce((
                   SELECT max(r.level) FROM level_requirements r JOIN specializations s ON s.id = r.specialization_id
                    WHERE r.specialization_id = $6 AND r.level <= s.max_levels AND r.required_xp <= $1
                      AND r.required_sessions <= $2 AND r.required_theory_hours <= $3
                      AND r.required_practice_hours <= $4), 1)),
               updated_at = now()
         WHERE id = $7
        RETURNING current_level""",
    # $1 license id, $2 old level, $3 new level, $4 reason
    "plsync_write_license": """
        WITH moved AS (
            UPDATE user_licenses SET current_level = $3, max_achieved_level = greatest(max_achieved_level, $3),
                   last_advanced_at = now(), updated_at = now()
             WHERE id = $1 RETURNING id)
        INSERT INTO license_progressions (user_license_id, from_level, to_level, advanced_by, reason)
        SELECT id, $2, $3, NULL, $4 FROM moved""",
    # $1 user, $2 specialization, $3 entity, $4 old level, $5 new level, $6 reason
    "plsync_audit": "INSERT INTO audit_log (user_id, specialization_id, entity, old_level, new_level, reason) "
                    "VALUES ($1, $2, $3, $4, $5, $6)",
}


def _run(conn: Connection, name: str, *args: object) -> CursorResult[Any]:
    return run_prepared(conn, STATEMENTS, name, *args)


def level_up_fast(session: Session, request: LevelUpRequest, *, lock: bool,
                  checkpoint: Checkpoint | None) -> tuple[ProgressUpdate, SyncResult] | None:
    conn = session.connection()
    uid, spec = request.user_id, request.specialization
    row = _run(conn, "plsync_read_locked" if lock else "plsync_read_plain", uid, spec).first()
    if row is None:
        return None
    pid, level, xp, sessions, theory, practice, lid, license_level, _max_achieved = tuple(row)
    reach(checkpoint, AFTER_PROGRESS_READ, session)
    totals = {"xp": xp + request.xp, "sessions": sessions + request.sessions,
              "theory": theory + request.theory_hours, "practice": practice + request.practice_hours}
    new_level = _run(conn, "plsync_write_progress", totals["xp"], totals["sessions"], totals["theory"],
                     totals["practice"], level, spec, pid).scalar_one()
    if new_level != level:
        _run(conn, "plsync_audit", uid, spec, "progress", level, new_level, request.reason)
    reach(checkpoint, AFTER_PROGRESS_WRITE, session)
    direction = Direction.PROGRESS_TO_LICENSE
    if license_level == new_level:
        synced = SyncResult(uid, spec, direction, "already_in_sync", license_level, new_level)
    else:
        _run(conn, "plsync_write_license", lid, license_level, new_level, request.reason)
        _run(conn, "plsync_audit", uid, spec, "license", license_level, new_level, request.reason)
        synced = SyncResult(uid, spec, direction, "updated", license_level, new_level)
    update = ProgressUpdate(uid, spec, level, new_level, totals["xp"], totals["sessions"])
    return update, synced
