"""The materialized sync-status view of the edge-case analysis (000, "Option 1"), for detection that reads
a snapshot instead of joining both tables on every call.

One row per pair. The seed's view joins ``LEFT`` from progress and so never sees a license without
progress; this one joins ``FULL OUTER`` so it reports the same three kinds of issue as the live query
(``find_desync_issues``). The unique index on the pair is what ``REFRESH ... CONCURRENTLY`` requires; the
partial index holds only the desynced rows, which is all detection reads.

Revision ID: 0008_sync_status_view
Revises: 0007_orphan_backups
"""

from __future__ import annotations

from alembic import op

revision = "0008_sync_status_view"
down_revision = "0007_orphan_backups"
branch_labels = None
depends_on = None

VIEW = """
CREATE MATERIALIZED VIEW progress_license_sync_status AS
SELECT coalesce(p.student_id, l.user_id) AS student_id,
       coalesce(p.specialization_id, l.specialization_type) AS specialization_id,
       p.current_level AS progress_level,
       l.current_level AS license_level,
       CASE WHEN p.current_level = l.current_level THEN 'synced' ELSE 'desynced' END AS sync_status
  FROM specialization_progress p
  FULL OUTER JOIN user_licenses l
    ON p.student_id = l.user_id AND p.specialization_id = l.specialization_type
"""


def upgrade() -> None:
    op.execute(VIEW)
    op.execute("CREATE UNIQUE INDEX uq_progress_license_sync_status_pair "
               "ON progress_license_sync_status (student_id, specialization_id)")
    op.execute("CREATE INDEX ix_progress_license_sync_status_desynced "
               "ON progress_license_sync_status (student_id, specialization_id) WHERE sync_status = 'desynced'")


def downgrade() -> None:
    op.execute("DROP MATERIALIZED VIEW IF EXISTS progress_license_sync_status")
