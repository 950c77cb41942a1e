"""Every migration downgrades and upgrades again with data present; the dedupe step keeps the right row."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text

from fixtures.suite_server import SuiteServer
from system import migrate
from system.config import parse_database_url


@pytest.fixture
def engine(pg_server: SuiteServer) -> Iterator[Engine]:
    eng = create_engine(parse_database_url(pg_server.create_database("plsync_migrations")))
    yield eng
    eng.dispose()


def _add_users(engine: Engine, count: int = 3) -> None:
    with engine.begin() as conn:
        for i in range(1, count + 1):
            conn.execute(text("INSERT INTO users (id, email, name) VALUES (:i, :e, 'n')"), {"i": i, "e": f"{i}@x"})


def _data(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT p.student_id, p.specialization_id, p.current_level, p.total_xp, l.current_level "
            "FROM specialization_progress p JOIN user_licenses l "
            "ON l.user_id = p.student_id AND l.specialization_type = p.specialization_id ORDER BY 1, 2"))]


def test_each_step_downgrades_and_upgrades_with_data_present(engine: Engine) -> None:
    migrate.upgrade(engine)
    _add_users(engine)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO specialization_progress (student_id, specialization_id, current_level, "
                          "total_xp) VALUES (1, 'PLAYER', 3, 1600), (2, 'INTERNSHIP', 2, 2500)"))
        conn.execute(text("INSERT INTO user_licenses (user_id, specialization_type, current_level, "
                          "max_achieved_level) VALUES (1, 'PLAYER', 3, 3), (2, 'INTERNSHIP', 2, 2)"))
    before = _data(engine)
    revisions = migrate.revisions()
    for previous in reversed(revisions[:-1]):  # head-1 down to the first revision, one step at a time
        migrate.downgrade(engine, previous)
        assert migrate.current_revision(engine) == previous
        assert _data(engine) == before
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()
    assert _data(engine) == before


def test_downgrade_to_base_then_upgrade_to_head_round_trips(engine: Engine) -> None:
    migrate.upgrade(engine)
    _add_users(engine)
    migrate.downgrade(engine, "base")
    with engine.connect() as conn:
        tables = conn.execute(text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' "
                                   "AND tablename <> 'alembic_version'")).scalar()
    assert tables == 0
    migrate.upgrade(engine)
    with engine.connect() as conn:
        maxima = dict(conn.execute(text("SELECT id, max_levels FROM specializations")).all())
        levels = conn.execute(text("SELECT count(*) FROM level_requirements WHERE specialization_id = 'INTERNSHIP'"))
        assert levels.scalar() == 3
    assert maxima == {"PLAYER": 8, "COACH": 8, "INTERNSHIP": 3}


def test_dedupe_keeps_highest_level_then_newest(engine: Engine) -> None:
    migrate.upgrade(engine, "0001_base_schema")
    _add_users(engine)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO specialization_progress (id, student_id, specialization_id, current_level, total_xp, "
            "updated_at) VALUES "
            "(1, 1, 'PLAYER', 2, 10, '2025-01-01'), (2, 1, 'PLAYER', 4, 20, '2025-01-01'),"  # highest level wins
            "(3, 1, 'PLAYER', 4, 30, '2025-03-01'),"                                          # ...then newest
            "(4, 2, 'COACH', 1, 40, '2025-01-01'), (5, 2, 'COACH', 1, 50, '2024-01-01'),"   # same level: newest
            "(6, 3, 'PLAYER', 1, 60, '2025-01-01')"))                                        # no duplicate
    assert migrate.revisions()[1] == "0002_unique_progress"
    migrate.upgrade(engine, "0002_unique_progress")
    with engine.connect() as conn:
        kept = conn.execute(text("SELECT id FROM specialization_progress ORDER BY id")).scalars().all()
    assert kept == [3, 4, 6]


def test_internship_max_levels_fix_is_reversible(engine: Engine) -> None:
    migrate.upgrade(engine, "0002_unique_progress")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT max_levels FROM specializations WHERE id = 'INTERNSHIP'")).scalar() == 5
    migrate.upgrade(engine, "0003_internship_max_levels")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT max_levels FROM specializations WHERE id = 'INTERNSHIP'")).scalar() == 3
    migrate.downgrade(engine, "0002_unique_progress")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT max_levels FROM specializations WHERE id = 'INTERNSHIP'")).scalar() == 5
