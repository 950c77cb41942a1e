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

from sqlalchemy import text
from sqlalchemy.orm import Session

from system.services.checkpoints import AFTER_PROGRESS_READ, AFTER_PROGRESS_WRITE, Checkpoint, reach
from system.services.types import Direction, LevelUpRequest, ProgressUpdate, SyncResult

_READ = """
    SELECT p.id, p.current_level, p.total_xp, p.completed_sessions, p.theory_hours, p.practice_hours,
           l.id, l.current_level, l.max_achieved_level
      FROM specialization_progress p
      JOIN user_licenses l ON l.user_id = p.student_id AND l.specialization_type = p.specialization_id
     WHERE p.student_id = :uid AND p.specialization_id = :spec
"""
READ_LOCKED = text(_READ + " FOR UPDATE OF p, l")
READ_PLAIN = text(_READ)
WRITE_PROGRESS = text("""
    UPDATE specialization_progress
       SET total_xp = :xp, completed_sessions = :sessions, theory_hours = :theory, practice_hours = :practice,
           current_level = greatest(:level, coalesce((
               SELECT max(r.level) FROM level_requirements r JOIN specializations s ON s.id = r.specialization_id
                WHERE r.specialization_id = :spec AND r.level <= s.max_levels AND r.required_xp <= :xp
                  AND r.required_sessions <= :sessions AND r.required_theory_hours <= :theory
                  AND r.required_practice_hours <= :practice), 1)),
           updated_at = now()
     WHERE id = :pid
    RETURNING current_level
""")
WRITE_LICENSE = text("""
    WITH moved AS (
        UPDATE user_licenses SET current_level = :new, max_achieved_level = greatest(max_achieved_level, :new),
               last_advanced_at = now(), updated_at = now()
         WHERE id = :lid RETURNING id)
    INSERT INTO license_progressions (user_license_id, from_level, to_level, advanced_by, reason)
    SELECT id, :old, :new, NULL, :reason FROM moved
""")
AUDIT = text("INSERT INTO audit_log (user_id, specialization_id, entity, old_level, new_level, reason) "
             "VALUES (:uid, :spec, :entity, :old, :new, :reason)")


def level_up_fast(session: Session, request: LevelUpRequest, *, lock: bool,
                  checkpoint: Checkpoint | None) -> tuple[ProgressUpdate, SyncResult] | None:
    conn = session.connection()
    uid, spec = request.user_id, request.specialization
    row = conn.execute(READ_LOCKED if lock else READ_PLAIN, {"uid": uid, "spec": spec}).first()
    if row is None:
        return None
    pid, level, xp, sessions, theory, practice, lid, license_level, _max_achieved = row
    reach(checkpoint, AFTER_PROGRESS_READ, session)
    totals = {"xp": xp + request.xp, "sessions": sessions + request.sessions,
              "theory": theory + request.theory_hours, "practice": practice + request.practice_hours}
    new_level = conn.execute(WRITE_PROGRESS, totals | {"level": level, "spec": spec, "pid": pid}).scalar_one()
    if new_level != level:
        conn.execute(AUDIT, {"uid": uid, "spec": spec, "entity": "progress", "old": level, "new": new_level,
                             "reason": request.reason})
    reach(checkpoint, AFTER_PROGRESS_WRITE, session)
    direction = Direction.PROGRESS_TO_LICENSE
    if license_level == new_level:
        synced = SyncResult(uid, spec, direction, "already_in_sync", license_level, new_level)
    else:
        conn.execute(WRITE_LICENSE, {"lid": lid, "old": license_level, "new": new_level, "reason": request.reason})
        conn.execute(AUDIT, {"uid": uid, "spec": spec, "entity": "license", "old": license_level, "new": new_level,
                             "reason": request.reason})
        synced = SyncResult(uid, spec, direction, "updated", license_level, new_level)
    update = ProgressUpdate(uid, spec, level, new_level, totals["xp"], totals["sessions"])
    return update, synced
