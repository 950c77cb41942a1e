"""INTERNSHIP has three levels (Junior, Mid-level, Senior): the database is the source of truth.

Revision ID: 0003_internship_max_levels
Revises: 0002_unique_progress
"""

from __future__ import annotations

from alembic import op

revision = "0003_internship_max_levels"
down_revision = "0002_unique_progress"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("UPDATE specializations SET max_levels = 3 WHERE id = 'INTERNSHIP'")
    op.execute(
        "COMMENT ON COLUMN specializations.max_levels IS "
        "'Source of truth for the level range; code must query it, never hard-code it.'"
    )


def downgrade() -> None:
    op.execute("COMMENT ON COLUMN specializations.max_levels IS NULL")
    op.execute("UPDATE specializations SET max_levels = 5 WHERE id = 'INTERNSHIP'")
