"""Apply a repair plan with one set-based statement per kind of action.

Each statement reads the partner row's level at apply time (not the level seen when planning), only
changes pairs that still disagree, never creates a partner for an orphan (a row whose user is gone:
that is the orphan recovery tool's job, and the skipped pair counts as not synced), and writes the
license progression and audit rows in the same statement through data-modifying CTEs.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from system.sync.planner import (
    CREATE_LICENSE,
    CREATE_PROGRESS,
    SET_LICENSE_LEVEL,
    SET_PROGRESS_LEVEL,
    RepairAction,
)

_PAIRS = "SELECT * FROM unnest(CAST(:uids AS integer[]), CAST(:specs AS text[])) AS v(user_id, spec)"

_SQL = {
    SET_LICENSE_LEVEL: f"""
        WITH v AS ({_PAIRS}),
        upd AS (
            UPDATE user_licenses l
               SET current_level = p.current_level,
                   max_achieved_level = greatest(l.max_achieved_level, p.current_level),
                   last_advanced_at = now(), updated_at = now()
              FROM v, specialization_progress p, user_licenses o
             WHERE l.user_id = v.user_id AND l.specialization_type = v.spec
               AND p.student_id = l.user_id AND p.specialization_id = l.specialization_type
               AND o.id = l.id AND l.current_level <> p.current_level
            RETURNING l.id, l.user_id, l.specialization_type AS spec, o.current_level AS old_level,
                      l.current_level AS new_level),
        prog AS (
            INSERT INTO license_progressions (user_license_id, from_level, to_level, advanced_by, reason)
            SELECT id, old_level, new_level, CAST(:by AS integer), :reason FROM upd)
        INSERT INTO audit_log (user_id, specialization_id, entity, old_level, new_level, reason)
        SELECT user_id, spec, 'license', old_level, new_level, :reason FROM upd
        RETURNING 1
    """,
    SET_PROGRESS_LEVEL: f"""
        WITH v AS ({_PAIRS}),
        upd AS (
            UPDATE specialization_progress p
               SET current_level = l.current_level, updated_at = now()
              FROM v, user_licenses l, specialization_progress o
             WHERE p.student_id = v.user_id AND p.specialization_id = v.spec
               AND l.user_id = p.student_id AND l.specialization_type = p.specialization_id
               AND o.id = p.id AND p.current_level <> l.current_level
            RETURNING p.student_id AS user_id, p.specialization_id AS spec, o.current_level AS old_level,
                      p.current_level AS new_level)
        INSERT INTO audit_log (user_id, specialization_id, entity, old_level, new_level, reason)
        SELECT user_id, spec, 'progress', old_level, new_level, :reason FROM upd
        RETURNING 1
    """,
    CREATE_LICENSE: f"""
        WITH v AS ({_PAIRS}),
        ins AS (
            INSERT INTO user_licenses (user_id, specialization_type, current_level, max_achieved_level,
                                       last_advanced_at)
            SELECT p.student_id, p.specialization_id, p.current_level, p.current_level, now()
              FROM v JOIN specialization_progress p ON p.student_id = v.user_id AND p.specialization_id = v.spec
              JOIN users u ON u.id = p.student_id  -- an orphan gets no partner: it is recovered, not synced
            ON CONFLICT (user_id, specialization_type) DO NOTHING
            RETURNING id, user_id, specialization_type AS spec, current_level),
        prog AS (
            INSERT INTO license_progressions (user_license_id, from_level, to_level, advanced_by, reason)
            SELECT id, 0, current_level, CAST(:by AS integer), :reason FROM ins)
        INSERT INTO audit_log (user_id, specialization_id, entity, old_level, new_level, reason)
        SELECT user_id, spec, 'license', NULL, current_level, :reason FROM ins
        RETURNING 1
    """,
    CREATE_PROGRESS: f"""
        WITH v AS ({_PAIRS}),
        ins AS (
            INSERT INTO specialization_progress (student_id, specialization_id, current_level)
            SELECT l.user_id, l.specialization_type, l.current_level
              FROM v JOIN user_licenses l ON l.user_id = v.user_id AND l.specialization_type = v.spec
              JOIN users u ON u.id = l.user_id  -- an orphan gets no partner: it is recovered, not synced
            ON CONFLICT (student_id, specialization_id) DO NOTHING
            RETURNING student_id AS user_id, specialization_id AS spec, current_level)
        INSERT INTO audit_log (user_id, specialization_id, entity, old_level, new_level, reason)
        SELECT user_id, spec, 'progress', NULL, current_level, :reason FROM ins
        RETURNING 1
    """,
}


def apply_plan(*, session: Session, plan: list[RepairAction], synced_by: int | None,
               reason: str) -> dict[str, int]:
    """Apply every action; returns how many pairs each kind of action actually changed."""
    applied: dict[str, int] = {}
    for action, sql in _SQL.items():
        chosen = [a for a in plan if a.action == action]
        if not chosen:
            continue
        params = {"uids": [a.user_id for a in chosen], "specs": [a.specialization for a in chosen],
                  "by": synced_by, "reason": reason}
        applied[action] = len(session.execute(text(sql), params).all())
    return applied
