"""The ceilings: the work of each benchmarked operation written by hand as one prepared SQL statement, run
straight through the driver (no ORM, no service), so a reader sees how close the service path comes to
what PostgreSQL itself can do. Each writes the same rows as the service (the partner, the progression,
the audit entries) and skips the same ones (an already synced pair changes nothing; an orphan gets no
partner). The detection statements are the service's own text.
"""

from __future__ import annotations

from typing import Any

import psycopg2
from sqlalchemy.engine import make_url

from system.services.sync_service import _DESYNC_SQL
from system.services.sync_status import VIEW

ISSUES = _DESYNC_SQL.format(spec_filter="")
_ISSUES_UNORDERED = ISSUES[:ISSUES.rindex("ORDER BY")]

SYNC_PROGRESS_TO_LICENSE = """
WITH p AS (SELECT current_level FROM specialization_progress WHERE student_id = $1 AND specialization_id = $2),
     o AS (SELECT current_level FROM user_licenses WHERE user_id = $1 AND specialization_type = $2),
     up AS (INSERT INTO user_licenses AS l (user_id, specialization_type, current_level, max_achieved_level,
                                            last_advanced_at)
            SELECT $1, $2, p.current_level, p.current_level, now() FROM p
            ON CONFLICT (user_id, specialization_type) DO UPDATE
               SET current_level = excluded.current_level,
                   max_achieved_level = greatest(l.max_achieved_level, excluded.current_level),
                   last_advanced_at = now(), updated_at = now()
             WHERE l.current_level <> excluded.current_level
            RETURNING l.id, l.current_level),
     prog AS (INSERT INTO license_progressions (user_license_id, from_level, to_level, reason)
              SELECT up.id, coalesce((SELECT current_level FROM o), 0), up.current_level, 'raw sync' FROM up)
INSERT INTO audit_log (user_id, specialization_id, entity, old_level, new_level, reason)
SELECT $1, $2, 'license', (SELECT current_level FROM o), up.current_level, 'raw sync' FROM up
"""

SYNC_LICENSE_TO_PROGRESS = """
WITH l AS (SELECT current_level FROM user_licenses WHERE user_id = $1 AND specialization_type = $2),
     o AS (SELECT current_level FROM specialization_progress WHERE student_id = $1 AND specialization_id = $2),
     up AS (INSERT INTO specialization_progress AS p (student_id, specialization_id, current_level)
            SELECT $1, $2, l.current_level FROM l
            ON CONFLICT (student_id, specialization_id) DO UPDATE
               SET current_level = excluded.current_level, updated_at = now()
             WHERE p.current_level <> excluded.current_level
            RETURNING p.current_level)
INSERT INTO audit_log (user_id, specialization_id, entity, old_level, new_level, reason)
SELECT $1, $2, 'progress', (SELECT current_level FROM o), up.current_level, 'raw sync' FROM up
"""

DRY_RUN = f"SELECT kind, count(*) FROM ({_ISSUES_UNORDERED}) issues GROUP BY kind"

_REPAIR = """
WITH i AS ({issues}),
lvl AS ({set_level}),
ins_l AS (INSERT INTO user_licenses (user_id, specialization_type, current_level, max_achieved_level, last_advanced_at)
          SELECT i.user_id, i.spec, i.progress_level, i.progress_level, now() FROM i JOIN users u ON u.id = i.user_id
           WHERE i.kind = 'progress_without_license'
          RETURNING id, user_id, specialization_type AS spec, CAST(NULL AS integer) AS old_level,
                    current_level AS new_level),
ins_p AS (INSERT INTO specialization_progress (student_id, specialization_id, current_level)
          SELECT i.user_id, i.spec, i.license_level FROM i JOIN users u ON u.id = i.user_id
           WHERE i.kind = 'license_without_progress'
          RETURNING student_id AS user_id, specialization_id AS spec, current_level AS new_level),
lic AS (SELECT * FROM ins_l {license_moves}),
prog AS (INSERT INTO license_progressions (user_license_id, from_level, to_level, reason)
         SELECT id, coalesce(old_level, 0), new_level, 'raw repair' FROM lic),
aud AS (INSERT INTO audit_log (user_id, specialization_id, entity, old_level, new_level, reason)
        SELECT user_id, spec, 'license', old_level, new_level, 'raw repair' FROM lic
        UNION ALL SELECT user_id, spec, 'progress', NULL, new_level, 'raw repair' FROM ins_p
        {progress_moves})
SELECT (SELECT count(*) FROM lic) + (SELECT count(*) FROM ins_p) {count_progress}
"""

REPAIR_PROGRESS_TO_LICENSE = _REPAIR.format(
    issues=_ISSUES_UNORDERED,
    set_level="""UPDATE user_licenses l
                    SET current_level = i.progress_level,
                        max_achieved_level = greatest(l.max_achieved_level, i.progress_level),
                        last_advanced_at = now(), updated_at = now()
                   FROM i WHERE i.kind = 'level_mismatch' AND l.user_id = i.user_id AND l.specialization_type = i.spec
                 RETURNING l.id, l.user_id, l.specialization_type AS spec, i.license_level AS old_level,
                           l.current_level AS new_level""",
    license_moves="UNION ALL SELECT * FROM lvl", progress_moves="", count_progress="")

REPAIR_LICENSE_TO_PROGRESS = _REPAIR.format(
    issues=_ISSUES_UNORDERED,
    set_level="""UPDATE specialization_progress p SET current_level = i.license_level, updated_at = now()
                   FROM i WHERE i.kind = 'level_mismatch' AND p.student_id = i.user_id AND p.specialization_id = i.spec
                 RETURNING p.student_id AS user_id, p.specialization_id AS spec, i.progress_level AS old_level,
                           p.current_level AS new_level""",
    license_moves="", progress_moves="UNION ALL SELECT user_id, spec, 'progress', old_level, new_level, "
                                     "'raw repair' FROM lvl", count_progress="+ (SELECT count(*) FROM lvl)")

# $1 user, $2 specialization, $3 xp gained, $4 sessions gained
LEVEL_UP = """
WITH o AS (SELECT id, current_level, total_xp, completed_sessions, theory_hours, practice_hours
             FROM specialization_progress WHERE student_id = $1 AND specialization_id = $2),
     lo AS (SELECT id, current_level FROM user_licenses WHERE user_id = $1 AND specialization_type = $2),
     p AS (UPDATE specialization_progress t
              SET total_xp = o.total_xp + $3, completed_sessions = o.completed_sessions + $4, updated_at = now(),
                  current_level = greatest(o.current_level, coalesce((
                      SELECT max(r.level) FROM level_requirements r JOIN specializations s ON s.id = r.specialization_id
                       WHERE r.specialization_id = $2 AND r.level <= s.max_levels AND r.required_xp <= o.total_xp + $3
                         AND r.required_sessions <= o.completed_sessions + $4
                         AND r.required_theory_hours <= o.theory_hours
                         AND r.required_practice_hours <= o.practice_hours), 1))
             FROM o WHERE t.id = o.id
           RETURNING o.current_level AS old_level, t.current_level AS new_level),
     l AS (UPDATE user_licenses x
              SET current_level = p.new_level, max_achieved_level = greatest(x.max_achieved_level, p.new_level),
                  last_advanced_at = now(), updated_at = now()
             FROM p, lo WHERE x.id = lo.id AND lo.current_level <> p.new_level
           RETURNING x.id, lo.current_level AS old_level, x.current_level AS new_level),
     prog AS (INSERT INTO license_progressions (user_license_id, from_level, to_level, reason)
              SELECT id, old_level, new_level, 'raw level-up' FROM l)
INSERT INTO audit_log (user_id, specialization_id, entity, old_level, new_level, reason)
SELECT $1, $2, 'progress', old_level, new_level, 'raw level-up' FROM p WHERE old_level <> new_level
UNION ALL SELECT $1, $2, 'license', old_level, new_level, 'raw level-up' FROM l
"""

LOCK_PAIR = """
SELECT p.id, l.id FROM specialization_progress p
  JOIN user_licenses l ON l.user_id = p.student_id AND l.specialization_type = p.specialization_id
 WHERE p.student_id = $1 AND p.specialization_id = $2 FOR UPDATE OF p, l
"""

# $1 first user id, $2 last: users, then one to three specializations per student at a level drawn with
# the same skew, XP and sessions at that level's requirement; licenses matching. Server-side generation:
# no rows cross the wire at all.
SEED_POPULATION = """
WITH u AS (
    INSERT INTO users (id, email, name, role)
    SELECT g, 'user.' || g || '@example.org', 'User ' || g,
           CASE WHEN r < 0.94 THEN 'student' WHEN r < 0.99 THEN 'instructor' ELSE 'admin' END
      FROM (SELECT g, random() AS r FROM generate_series($1, $2) g) x
    RETURNING id, role),
pairs AS (
    SELECT u.id, s.id AS spec, least(s.max_levels, 1 + floor(ln(1 - random()) / ln(0.55))::integer) AS level
      FROM u CROSS JOIN specializations s
     WHERE u.role = 'student' AND random() < 0.52),
pr AS (
    INSERT INTO specialization_progress (student_id, specialization_id, current_level, total_xp,
                                         completed_sessions, theory_hours, practice_hours)
    SELECT pairs.id, pairs.spec, pairs.level, r.required_xp, r.required_sessions, r.required_theory_hours,
           r.required_practice_hours
      FROM pairs JOIN level_requirements r ON r.specialization_id = pairs.spec AND r.level = pairs.level
    RETURNING student_id, specialization_id, current_level)
INSERT INTO user_licenses (user_id, specialization_type, current_level, max_achieved_level)
SELECT student_id, specialization_id, current_level, current_level FROM pr
"""

STATEMENTS: dict[str, tuple[str, str]] = {  # name: (parameter types, statement)
    "sync_progress_to_license": ("integer, text", SYNC_PROGRESS_TO_LICENSE),
    "sync_license_to_progress": ("integer, text", SYNC_LICENSE_TO_PROGRESS),
    "find_desync_issues": ("", ISSUES),
    "find_desync_issues_view": ("", f"SELECT * FROM {VIEW} WHERE sync_status = 'desynced' ORDER BY 1, 2"),
    "auto_sync_dry_run": ("", DRY_RUN),
    "repair_progress_to_license": ("", REPAIR_PROGRESS_TO_LICENSE),
    "repair_license_to_progress": ("", REPAIR_LICENSE_TO_PROGRESS),
    "level_up": ("integer, text, integer, integer", LEVEL_UP),
    "lock_pair": ("integer, text", LOCK_PAIR),
    "seed_population": ("integer, integer", SEED_POPULATION),
}


class RawSql:
    """One driver connection of its own; each statement is prepared on first use and run by name."""

    def __init__(self, database_url: str) -> None:
        url = make_url(database_url)
        self.conn = psycopg2.connect(host=url.host, port=url.port, user=url.username, password=url.password,
                                     dbname=url.database, connect_timeout=5, application_name="plsync-raw-sql")
        self.conn.autocommit = True
        self._prepared: set[str] = set()

    def execute(self, name: str, *args: Any) -> list[tuple[Any, ...]]:
        """Run one prepared statement (in its own transaction unless one is open) and fetch what it returns."""
        with self.conn.cursor() as cur:
            if name not in self._prepared:
                types, statement = STATEMENTS[name]
                cur.execute(f"PREPARE raw_{name}{f'({types})' if types else ''} AS {statement}")
                self._prepared.add(name)
            cur.execute(f"EXECUTE raw_{name}{'(' + ', '.join(['%s'] * len(args)) + ')' if args else ''}", args)
            return cur.fetchall() if cur.description else []

    def command(self, sql: str) -> None:
        with self.conn.cursor() as cur:
            cur.execute(sql)

    def close(self) -> None:
        self.conn.close()

