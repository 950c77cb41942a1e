"""Small helpers the tests share: table snapshots and strategy construction."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import text

from fixtures.reset import SNAPSHOT_TABLES
from system.config import SystemConfig
from system.db import Database
from system.strategies import Strategy, StrategyContext, create_strategy


def snapshot(db: Database) -> dict[str, list[Any]]:
    """Every row of the data tables, for before/after comparisons ("nothing changed")."""
    with db.transaction() as session:
        return {t: [tuple(r) for r in session.execute(text(f"SELECT * FROM {t} ORDER BY id"))]
                for t in SNAPSHOT_TABLES}


def pair_state(db: Database) -> list[tuple[Any, ...]]:
    """Progress and license of every pair, without ids or timestamps: comparable across strategies."""
    with db.transaction() as session:
        return [tuple(r) for r in session.execute(text(
            "SELECT p.student_id, p.specialization_id, p.current_level, p.total_xp, p.completed_sessions, "
            "p.theory_hours, p.practice_hours, l.current_level, l.max_achieved_level, "
            "(SELECT array_agg(from_level || '>' || to_level ORDER BY id) FROM license_progressions "
            "  WHERE user_license_id = l.id) "
            "FROM specialization_progress p FULL JOIN user_licenses l "
            "ON l.user_id = p.student_id AND l.specialization_type = p.specialization_id ORDER BY 1, 2"))]


@contextmanager
def strategy(name: str, db: Database, config: SystemConfig, **ctx: Any) -> Iterator[Strategy]:
    impl = create_strategy(name, StrategyContext(db=db, config=config, **ctx))
    try:
        yield impl
    finally:
        impl.close()


def run_in_own_process(probe: str, *, timeout_s: float = 120) -> str:
    """Run ``probe`` (Python source) in a fresh interpreter from the repository's root, for what is the whole
    process's (the garbage collector's settings); its standard output. Fails with its standard error."""
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=timeout_s,
                          cwd=Path(__file__).resolve().parents[1])
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()
