"""Orphan recovery: find progress and license rows whose user or specialization is gone.

Dry run by default. With ``apply`` every row to delete (and the license progressions that hang off
an orphan license) is first copied into ``orphan_backups`` and into a JSON file, then deleted, all in
the caller's transaction. ``restore`` puts a batch back.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from system.errors import NotFoundError
from system.services.integrity import CHECKS

# Children before parents: progressions reference licenses.
TABLES = ("license_progressions", "user_licenses", "specialization_progress")


@dataclass(frozen=True)
class OrphanReport:
    dry_run: bool
    orphan_progress: list[dict[str, Any]]
    orphan_licenses: list[dict[str, Any]]
    deleted: dict[str, int] = field(default_factory=dict)
    batch: str | None = None
    backup_file: str | None = None

    @property
    def found(self) -> int:
        return len(self.orphan_progress) + len(self.orphan_licenses)


def find_orphans(*, session: Session) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    progress = [dict(r._mapping) for r in session.execute(text(CHECKS["orphan_progress"]))]
    licenses = [dict(r._mapping) for r in session.execute(text(CHECKS["orphan_licenses"]))]
    return progress, licenses


def _rows_to_remove(session: Session, progress_ids: list[int], license_ids: list[int]) -> dict[str, list[Any]]:
    where = {
        "license_progressions": ("user_license_id = ANY(:lids)", {"lids": license_ids}),
        "user_licenses": ("id = ANY(:lids)", {"lids": license_ids}),
        "specialization_progress": ("id = ANY(:pids)", {"pids": progress_ids}),
    }
    return {table: list(session.execute(text(f"SELECT to_jsonb(t) FROM {table} t WHERE {cond} ORDER BY id"),
                                        params).scalars())
            for table, (cond, params) in where.items()}


def recover_orphans(*, session: Session, apply: bool = False, backup_dir: Path | None = None) -> OrphanReport:
    progress, licenses = find_orphans(session=session)
    if not apply or not (progress or licenses):
        return OrphanReport(not apply, progress, licenses)
    batch = f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}-{uuid.uuid4().hex[:8]}"
    rows = _rows_to_remove(session, [p["id"] for p in progress], [lic["id"] for lic in licenses])
    backup_file = None
    if backup_dir is not None:
        backup_dir.mkdir(parents=True, exist_ok=True)
        target = backup_dir / f"orphans-{batch}.json"
        target.write_text(json.dumps({"batch": batch, "rows": rows}, indent=2, default=str) + "\n")
        backup_file = str(target)
    for table in TABLES:
        if rows[table]:
            session.execute(text("INSERT INTO orphan_backups (batch, source_table, row_data) "
                                 "SELECT :batch, :table, x FROM unnest(CAST(:rows AS jsonb[])) AS x"),
                            {"batch": batch, "table": table, "rows": [json.dumps(r) for r in rows[table]]})
    deleted = {}
    for table in TABLES:
        ids = [r["id"] for r in rows[table]]
        gone = session.execute(text(f"DELETE FROM {table} WHERE id = ANY(:ids) RETURNING id"), {"ids": ids})
        deleted[table] = len(gone.all())
    return OrphanReport(False, progress, licenses, deleted, batch, backup_file)


def restore_orphans(*, session: Session, batch: str) -> dict[str, int]:
    """Put a backed-up batch back. Orphans violate the foreign keys by nature, so the restore runs with
    triggers and FK checks off for this transaction (``session_replication_role = replica``)."""
    found = session.execute(text("SELECT count(*) FROM orphan_backups WHERE batch = :b"), {"b": batch}).scalar()
    if not found:
        raise NotFoundError(f"no orphan backup batch {batch!r}")
    session.execute(text("SET LOCAL session_replication_role = replica"))
    restored = {}
    for table in reversed(TABLES):  # parents first
        back = session.execute(text(
            f"INSERT INTO {table} SELECT (jsonb_populate_record(NULL::{table}, row_data)).* "
            "FROM orphan_backups WHERE batch = :b AND source_table = :t ORDER BY id RETURNING id"),
            {"b": batch, "t": table})
        restored[table] = len(back.all())
    session.execute(text("DELETE FROM orphan_backups WHERE batch = :b"), {"b": batch})
    session.execute(text("SET LOCAL session_replication_role = origin"))
    return restored
