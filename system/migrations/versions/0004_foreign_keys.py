"""Foreign keys from progress and licenses to users and specializations, ON DELETE RESTRICT.

Revision ID: 0004_foreign_keys
Revises: 0003_internship_max_levels
"""

from __future__ import annotations

from alembic import op

revision = "0004_foreign_keys"
down_revision = "0003_internship_max_levels"
branch_labels = None
depends_on = None

FOREIGN_KEYS = [
    ("fk_specialization_progress_user", "specialization_progress", "users", "student_id", "id"),
    ("fk_specialization_progress_spec", "specialization_progress", "specializations", "specialization_id", "id"),
    ("fk_user_licenses_user", "user_licenses", "users", "user_id", "id"),
    ("fk_user_licenses_spec", "user_licenses", "specializations", "specialization_type", "id"),
]


def upgrade() -> None:
    for name, source, target, column, remote in FOREIGN_KEYS:
        op.create_foreign_key(name, source, target, [column], [remote], ondelete="RESTRICT")
    op.create_index("ix_user_licenses_user", "user_licenses", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_user_licenses_user", "user_licenses")
    for name, source, *_ in reversed(FOREIGN_KEYS):
        op.drop_constraint(name, source, type_="foreignkey")
