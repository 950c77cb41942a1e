"""Rule 4, the integrity checker: set-based queries for everything that must never be in the tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from system.services.sync_service import ProgressLicenseSyncService

CHECKS: dict[str, str] = {
    "orphan_progress": """
        SELECT p.id, p.student_id AS user_id, p.specialization_id AS specialization
          FROM specialization_progress p
          LEFT JOIN users u ON u.id = p.student_id
          LEFT JOIN specializations s ON s.id = p.specialization_id
         WHERE u.id IS NULL OR s.id IS NULL ORDER BY p.id""",
    "orphan_licenses": """
        SELECT l.id, l.user_id, l.specialization_type AS specialization
          FROM user_licenses l
          LEFT JOIN users u ON u.id = l.user_id
          LEFT JOIN specializations s ON s.id = l.specialization_type
         WHERE u.id IS NULL OR s.id IS NULL ORDER BY l.id""",
    "duplicate_progress": """
        SELECT student_id AS user_id, specialization_id AS specialization, count(*) AS copies
          FROM specialization_progress GROUP BY 1, 2 HAVING count(*) > 1 ORDER BY 1, 2""",
    "duplicate_licenses": """
        SELECT user_id, specialization_type AS specialization, count(*) AS copies
          FROM user_licenses GROUP BY 1, 2 HAVING count(*) > 1 ORDER BY 1, 2""",
    "out_of_range_levels": """
        SELECT 'progress' AS entity, p.id, p.student_id AS user_id, p.specialization_id AS specialization,
               p.current_level AS level, s.max_levels
          FROM specialization_progress p JOIN specializations s ON s.id = p.specialization_id
         WHERE p.current_level < 1 OR p.current_level > s.max_levels
        UNION ALL
        SELECT 'license', l.id, l.user_id, l.specialization_type, l.current_level, s.max_levels
          FROM user_licenses l JOIN specializations s ON s.id = l.specialization_type
         WHERE l.current_level < 1 OR l.current_level > s.max_levels
         ORDER BY 1, 2""",
    "negative_values": """
        SELECT id, student_id AS user_id, specialization_id AS specialization, total_xp, completed_sessions,
               theory_hours, practice_hours
          FROM specialization_progress
         WHERE total_xp < 0 OR completed_sessions < 0 OR theory_hours < 0 OR practice_hours < 0
         ORDER BY id""",
}


@dataclass(frozen=True)
class IntegrityReport:
    """Each finding maps to the rows that prove it; ``desync_count`` counts pairs that disagree."""

    findings: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    desync_count: int = 0

    @property
    def healthy(self) -> bool:
        return self.desync_count == 0 and not any(self.findings.values())

    def counts(self) -> dict[str, int]:
        return {name: len(rows) for name, rows in self.findings.items()} | {"desync": self.desync_count}


class IntegrityChecker:
    def check(self, *, session: Session, include_desync: bool = True) -> IntegrityReport:
        findings = {name: [dict(r._mapping) for r in session.execute(text(sql))] for name, sql in CHECKS.items()}
        desync = len(ProgressLicenseSyncService().find_desync_issues(session=session)) if include_desync else 0
        return IntegrityReport(findings, desync)

    def check_orphan_records(self, *, session: Session) -> dict[str, int]:
        progress = len(session.execute(text(CHECKS["orphan_progress"])).all())
        licenses = len(session.execute(text(CHECKS["orphan_licenses"])).all())
        return {"orphan_progress": progress, "orphan_licenses": licenses}

    def check_desync_count(self, *, session: Session) -> int:
        return len(ProgressLicenseSyncService().find_desync_issues(session=session))
