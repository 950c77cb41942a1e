"""Backup table for the orphan recovery tool: rows are copied here (as JSON) before being deleted.

Revision ID: 0007_orphan_backups
Revises: 0006_license_sync_trigger
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0007_orphan_backups"
down_revision = "0006_license_sync_trigger"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "orphan_backups",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("batch", sa.String(64), nullable=False, index=True),
        sa.Column("source_table", sa.String(64), nullable=False),
        sa.Column("row_data", JSONB, nullable=False),
        sa.Column("backed_up_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("orphan_backups")
