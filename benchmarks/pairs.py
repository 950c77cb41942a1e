"""Choosing the pairs a per-pair benchmark works on, and putting a pair's rows back as they were."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text

from benchmarks.populations import BenchDatabase
from fixtures.faults import InjectedFault


def fault_of_kind(bench_db: BenchDatabase, kind: str) -> InjectedFault:
    return next(f for f in bench_db.manifest.faults if f.kind == kind)


@dataclass(frozen=True)
class PairRows:
    """Everything a level-up or a sync may change on a pair that is in sync."""

    user_id: int
    specialization: str
    level: int
    total_xp: int
    completed_sessions: int
    theory_hours: int
    practice_hours: int

    def put_back(self, bench_db: BenchDatabase, **changes: int) -> None:
        """Both rows at this state (with ``changes`` to the progress totals), the license at ``level``."""
        values = {**vars(self), **changes}
        with bench_db.engine.begin() as conn:
            conn.execute(text(
                "UPDATE specialization_progress SET current_level = :level, total_xp = :total_xp, "
                "completed_sessions = :completed_sessions, theory_hours = :theory_hours, "
                "practice_hours = :practice_hours WHERE student_id = :user_id AND specialization_id = :specialization"),
                values)
            conn.execute(text(
                "UPDATE user_licenses SET current_level = :level WHERE user_id = :user_id "
                "AND specialization_type = :specialization"), values)


def in_sync_pair(bench_db: BenchDatabase, nth: int, specialization: str = "PLAYER") -> PairRows:
    """The ``nth`` pair (by student id) of ``specialization`` that is in sync and two levels or more below
    the top (so a level-up has somewhere to go)."""
    with bench_db.engine.connect() as conn:
        found = conn.execute(text(
            "SELECT p.student_id, p.specialization_id, p.current_level, p.total_xp, p.completed_sessions, "
            "p.theory_hours, p.practice_hours FROM specialization_progress p "
            "JOIN user_licenses l ON l.user_id = p.student_id AND l.specialization_type = p.specialization_id "
            "JOIN specializations s ON s.id = p.specialization_id "
            "WHERE p.specialization_id = :s AND p.current_level = l.current_level "
            "AND p.current_level <= s.max_levels - 2 "
            "ORDER BY p.student_id OFFSET :n LIMIT 1"), {"s": specialization, "n": nth}).one()
    return PairRows(*found)


def requirement(bench_db: BenchDatabase, specialization: str, level: int) -> tuple[int, int]:
    """(required XP, required sessions) of ``level``."""
    with bench_db.engine.connect() as conn:
        xp, sessions = conn.execute(text(
            "SELECT required_xp, required_sessions FROM level_requirements "
            "WHERE specialization_id = :s AND level = :l"), {"s": specialization, "l": level}).one()
    return int(xp), int(sessions)
