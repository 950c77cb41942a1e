"""CHECKs: level within 1..max_levels of its specialization, non-negative XP, sessions and hours.

The level bounds are read from ``specializations`` at migration time (the database is the source of
truth), so the CHECK matches whatever max_levels the database holds.

Revision ID: 0005_check_constraints
Revises: 0004_foreign_keys
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_check_constraints"
down_revision = "0004_foreign_keys"
branch_labels = None
depends_on = None

NON_NEGATIVE = ["total_xp", "completed_sessions", "theory_hours", "practice_hours"]


def level_range_sql(column: str, spec_column: str) -> str:
    rows = op.get_bind().execute(sa.text("SELECT id, max_levels FROM specializations ORDER BY id")).all()
    cases = " ".join(f"WHEN '{spec_id}' THEN {max_levels}" for spec_id, max_levels in rows)
    # An unknown specialization yields NULL here; the foreign key rejects it instead.
    return f"{column} >= 1 AND {column} <= CASE {spec_column} {cases} END"


def upgrade() -> None:
    op.create_check_constraint("ck_specialization_progress_level_range", "specialization_progress",
                               level_range_sql("current_level", "specialization_id"))
    op.create_check_constraint("ck_user_licenses_level_range", "user_licenses",
                               level_range_sql("current_level", "specialization_type"))
    op.create_check_constraint("ck_user_licenses_max_achieved", "user_licenses",
                               "max_achieved_level >= current_level")
    for column in NON_NEGATIVE:
        op.create_check_constraint(f"ck_specialization_progress_{column}_non_negative",
                                   "specialization_progress", f"{column} >= 0")


def downgrade() -> None:
    for column in reversed(NON_NEGATIVE):
        op.drop_constraint(f"ck_specialization_progress_{column}_non_negative", "specialization_progress",
                           type_="check")
    op.drop_constraint("ck_user_licenses_max_achieved", "user_licenses", type_="check")
    op.drop_constraint("ck_user_licenses_level_range", "user_licenses", type_="check")
    op.drop_constraint("ck_specialization_progress_level_range", "specialization_progress", type_="check")
