"""Base schema as the system first shipped it (spec_level_system).

No unique pair on progress, no foreign keys from progress/licenses, no CHECKs, and INTERNSHIP
recorded with max_levels = 5 although only three levels exist: the later revisions fix each.

Revision ID: 0001_base_schema
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_base_schema"
down_revision = None
branch_labels = None
depends_on = None

# (level, name, xp, sessions, theory hours, practice hours): cumulative requirements.
PLAYER = [
    (1, "Rookie", 0, 0, 0, 0), (2, "Amateur", 500, 5, 0, 0), (3, "Semi-Pro", 1500, 12, 0, 0),
    (4, "Pro", 3000, 20, 0, 0), (5, "Elite", 5000, 30, 0, 0), (6, "Star", 8000, 42, 0, 0),
    (7, "Legend", 12000, 56, 0, 0), (8, "Icon", 17000, 72, 0, 0),
]
COACH = [
    (1, "Assistant", 0, 0, 0, 0), (2, "Trainee Coach", 600, 4, 10, 15), (3, "Junior Coach", 1800, 10, 20, 30),
    (4, "Coach", 3600, 18, 35, 50), (5, "Senior Coach", 6000, 28, 50, 75), (6, "Head Coach", 9000, 40, 70, 100),
    (7, "Master Coach", 13000, 54, 90, 130), (8, "Grand Master Coach", 18000, 70, 120, 170),
]
INTERNSHIP = [(1, "Junior", 0, 0, 0, 0), (2, "Mid-level", 2000, 10, 0, 0), (3, "Senior", 6000, 30, 0, 0)]


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(255), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False, server_default="student"),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.UniqueConstraint("email", name="uq_users_email"),
        sa.CheckConstraint("role IN ('student', 'instructor', 'admin')", name="ck_users_role"),
    )
    specs = op.create_table(
        "specializations",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("max_levels", sa.Integer, nullable=False),
    )
    levels = op.create_table(
        "level_requirements",
        sa.Column("specialization_id", sa.String(32), sa.ForeignKey("specializations.id", ondelete="RESTRICT"),
                  primary_key=True),
        sa.Column("level", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("required_xp", sa.Integer, nullable=False, server_default="0"),
        sa.Column("required_sessions", sa.Integer, nullable=False, server_default="0"),
        sa.Column("required_theory_hours", sa.Integer, nullable=False, server_default="0"),
        sa.Column("required_practice_hours", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_table(
        "specialization_progress",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("student_id", sa.Integer, nullable=False),
        sa.Column("specialization_id", sa.String(32), nullable=False),
        sa.Column("current_level", sa.Integer, nullable=False, server_default="1"),
        sa.Column("total_xp", sa.Integer, nullable=False, server_default="0"),
        sa.Column("completed_sessions", sa.Integer, nullable=False, server_default="0"),
        sa.Column("theory_hours", sa.Integer, nullable=False, server_default="0"),
        sa.Column("practice_hours", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.create_index("ix_specialization_progress_student", "specialization_progress", ["student_id"])
    op.create_table(
        "user_licenses",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("specialization_type", sa.String(32), nullable=False),
        sa.Column("current_level", sa.Integer, nullable=False, server_default="1"),
        sa.Column("max_achieved_level", sa.Integer, nullable=False, server_default="1"),
        sa.Column("started_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("last_advanced_at", sa.DateTime(timezone=True)),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.UniqueConstraint("user_id", "specialization_type", name="uq_user_licenses_user_spec"),
    )
    op.create_table(
        "license_progressions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_license_id", sa.Integer, sa.ForeignKey("user_licenses.id", ondelete="RESTRICT"),
                  nullable=False),
        sa.Column("from_level", sa.Integer, nullable=False),
        sa.Column("to_level", sa.Integer, nullable=False),
        sa.Column("advanced_by", sa.Integer),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        sa.Column("advanced_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.create_index("ix_license_progressions_license", "license_progressions", ["user_license_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("specialization_id", sa.String(32), nullable=False),
        sa.Column("entity", sa.String(16), nullable=False),
        sa.Column("old_level", sa.Integer),
        sa.Column("new_level", sa.Integer, nullable=False),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.bulk_insert(specs, [
        {"id": "PLAYER", "name": "Player", "max_levels": 8},
        {"id": "COACH", "name": "Coach", "max_levels": 8},
        {"id": "INTERNSHIP", "name": "Startup Spirit Internship", "max_levels": 5},  # the historical bug
    ])
    rows = []
    for spec, table in (("PLAYER", PLAYER), ("COACH", COACH), ("INTERNSHIP", INTERNSHIP)):
        for level, name, xp, sessions, theory, practice in table:
            rows.append({"specialization_id": spec, "level": level, "name": name, "required_xp": xp,
                         "required_sessions": sessions, "required_theory_hours": theory,
                         "required_practice_hours": practice})
    op.bulk_insert(levels, rows)


def downgrade() -> None:
    for table in ("audit_log", "license_progressions", "user_licenses", "specialization_progress",
                  "level_requirements", "specializations", "users"):
        op.drop_table(table)
