"""Remove duplicate progress rows, then make (student, specialization) unique.

Of each duplicate group the row kept is the one with the highest level, then the newest
(updated_at, then id as the last tie-break so the choice is deterministic).

Revision ID: 0002_unique_progress
Revises: 0001_base_schema
"""

from __future__ import annotations

from alembic import op

revision = "0002_unique_progress"
down_revision = "0001_base_schema"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        DELETE FROM specialization_progress
        WHERE id NOT IN (
            SELECT DISTINCT ON (student_id, specialization_id) id
            FROM specialization_progress
            ORDER BY student_id, specialization_id, current_level DESC, updated_at DESC, id DESC
        )
        """
    )
    op.create_unique_constraint("uq_specialization_progress_user_spec", "specialization_progress",
                                ["student_id", "specialization_id"])


def downgrade() -> None:
    # The deleted duplicates are gone for good; the downgrade restores the schema, not the rows.
    op.drop_constraint("uq_specialization_progress_user_spec", "specialization_progress", type_="unique")
