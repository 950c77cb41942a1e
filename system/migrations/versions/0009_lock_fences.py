"""Fencing tokens for the ``redis_fenced`` strategy: the highest token the database has accepted per pair.

A Redis lock is a lease: a holder frozen past its time-to-live still believes it holds the lock. Each
acquisition gets a number one higher than the last (from Redis, atomically with the lock); a
transaction first raises its pair's fence to its own number and is refused when a higher one is
already there. The row is keyed like the Redis lock (user, specialization) and holds no data, so it has
no foreign keys: deleting a user is not this table's business.

Revision ID: 0009_lock_fences
Revises: 0008_sync_status_view
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_lock_fences"
down_revision = "0008_sync_status_view"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lock_fences",
        sa.Column("user_id", sa.Integer, primary_key=True),
        sa.Column("specialization_id", sa.String(32), primary_key=True),
        sa.Column("token", sa.BigInteger, nullable=False),
        sa.Column("fenced_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("token > 0", name="ck_lock_fences_token_positive"),
    )


def downgrade() -> None:
    op.drop_table("lock_fences")
