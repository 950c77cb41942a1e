"""The Faker population: deterministic by seed, realistic, consistent with the level requirements."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from fixtures.bulk_population import PopulationSpec, populate
from scenarios.desync_recovery import reset_data
from scenarios.invariants import check_invariants
from system.errors import InvalidInputError
from system.services.catalog import load_rules


def _checksums(engine: Engine) -> dict[str, str]:
    """Checksums of the generated columns (timestamps are the load time, not data)."""
    queries = {
        "users": "SELECT md5(string_agg(concat_ws(',', id, email, name, role), '|' ORDER BY id)) FROM users",
        "specialization_progress": "SELECT md5(string_agg(concat_ws(',', student_id, specialization_id, "
        "current_level, total_xp, completed_sessions, theory_hours, practice_hours), '|' ORDER BY id)) "
        "FROM specialization_progress",
        "user_licenses": "SELECT md5(string_agg(concat_ws(',', user_id, specialization_type, current_level, "
        "max_achieved_level), '|' ORDER BY id)) FROM user_licenses",
    }
    with Session(engine) as session:
        return {name: session.execute(text(sql)).scalar_one() for name, sql in queries.items()}


def test_same_seed_same_data_other_seed_other_data(scratch_engine: Engine) -> None:
    populate(scratch_engine, PopulationSpec(users=1500, seed=9))
    first = _checksums(scratch_engine)
    reset_data(scratch_engine)
    populate(scratch_engine, PopulationSpec(users=1500, seed=9))
    assert _checksums(scratch_engine) == first
    reset_data(scratch_engine)
    populate(scratch_engine, PopulationSpec(users=1500, seed=10))
    assert _checksums(scratch_engine)["users"] != first["users"]


def test_rows_are_realistic_and_consistent(scratch_engine: Engine) -> None:
    summary = populate(scratch_engine, PopulationSpec(users=3000, seed=4, batch_size=700))  # several batches
    with Session(scratch_engine) as session:
        assert session.execute(text("SELECT count(*) FROM users")).scalar() == summary.users == 3000
        roles = dict(session.execute(text("SELECT role, count(*) FROM users GROUP BY role")).all())
        assert roles["student"] > 0.9 * 3000 and roles["instructor"] > 0 and "admin" in roles
        per_student = session.execute(text("SELECT min(c), max(c) FROM (SELECT count(*) c FROM "
                                           "specialization_progress GROUP BY student_id) x")).one()
        assert tuple(per_student) == (1, 3)
        assert check_invariants(session).passed  # every pair in sync, nothing out of range
        for spec in ("PLAYER", "COACH", "INTERNSHIP"):
            rules = load_rules(session=session, specialization=spec)
            rows = session.execute(text("SELECT current_level, total_xp, completed_sessions, theory_hours, "
                                        "practice_hours FROM specialization_progress WHERE specialization_id = :s"),
                                   {"s": spec}).all()
            assert all(rules.earned_level(xp=r[1], sessions=r[2], theory_hours=r[3], practice_hours=r[4]) == r[0]
                       for r in rows), spec
            by_level = [sum(1 for r in rows if r[0] == lvl) for lvl in (1, 2, 3)]
            assert by_level[0] > by_level[1] > by_level[2] > 0, (spec, by_level)  # skewed to the low end


def test_negative_user_count_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="cannot be negative"):
        PopulationSpec(users=-1)
