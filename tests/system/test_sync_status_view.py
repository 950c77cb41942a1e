"""The materialized sync-status view: the live query's findings as of the last refresh, and no newer."""

from __future__ import annotations

from sqlalchemy import text

from system.db import Database
from system.services.sync_service import ProgressLicenseSyncService
from system.services.sync_status import SyncStatusView
from tests.system.test_sync_service import _break

VIEW = SyncStatusView()


def _through_view(db: Database) -> list[tuple[object, ...]]:
    with db.transaction() as session:
        return [tuple(vars(i).values()) for i in VIEW.find_desync_issues(session=session)]


def _live(db: Database) -> list[tuple[object, ...]]:
    with db.transaction() as session:
        return [tuple(vars(i).values()) for i in ProgressLicenseSyncService().find_desync_issues(session=session)]


def test_a_desync_made_after_a_refresh_is_invisible_until_the_next(db: Database, students: list[int]) -> None:
    with db.transaction() as session:
        VIEW.refresh(session=session, concurrently=False)
    assert _through_view(db) == [] == _live(db)
    _break(db, students)  # one of each kind, both ways of mismatch
    assert len(_live(db)) == 4
    assert _through_view(db) == []  # stale: the snapshot predates the desyncs
    with db.transaction() as session:
        VIEW.refresh(session=session)  # CONCURRENTLY, inside a transaction
    assert _through_view(db) == _live(db)
    kinds = sorted(row[2] for row in _through_view(db))
    assert kinds == ["level_mismatch", "level_mismatch", "license_without_progress", "progress_without_license"]


def test_a_repair_after_a_refresh_stays_visible_until_the_next(db: Database, students: list[int]) -> None:
    _break(db, students)
    with db.transaction() as session:
        VIEW.refresh(session=session)
        ProgressLicenseSyncService().auto_sync_all(session=session, dry_run=False)
    assert _live(db) == []
    assert len(_through_view(db)) == 4
    with db.transaction() as session:
        VIEW.refresh(session=session)
        rows = session.execute(text("SELECT count(*) FROM progress_license_sync_status")).scalar_one()
    assert _through_view(db) == []
    assert rows == 10 * 3  # one row per pair: ten students in three specializations
