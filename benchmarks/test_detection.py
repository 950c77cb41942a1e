"""Detection: ``find_desync_issues`` live (002: < 5 s at 10k) and through the materialized sync-status view
(000's Option 1) at every scale size, the view's ``REFRESH ... CONCURRENTLY``, and its staleness window:
how long a desync stays invisible to the view when it is refreshed on a schedule."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from benchmarks.harness import Bench
from benchmarks.pairs import in_sync_pair
from benchmarks.populations import BenchDatabase, Populations
from benchmarks.raw_sql import RawSql
from system.services.sync_service import ProgressLicenseSyncService
from system.services.sync_status import VIEW, SyncStatusView

REFRESH_EVERY_S = 0.2  # the seed refreshes every 5 minutes; the window scales with the interval
POLL_S = 0.001


@pytest.mark.parametrize("source", ["live", "view"])
def test_find_desync_issues(bench: Bench, populations: Populations, scale_users: int, source: str) -> None:
    bench_db = populations.populated(scale_users)
    live, view = ProgressLicenseSyncService(), SyncStatusView()

    def detect() -> list[object]:
        with bench_db.db.transaction() as session:
            if source == "live":
                return list(live.find_desync_issues(session=session))
            return list(view.find_desync_issues(session=session))

    raw = RawSql(bench_db.url)
    statement = "find_desync_issues" if source == "live" else "find_desync_issues_view"
    try:
        issues = bench.measure("find_desync_issues", {"source": source, "users": scale_users}, detect,
                               ceiling=lambda: raw.execute(statement), rounds=bench.rounds_at(scale_users),
                               curve=f"find_desync_issues_{source}")
    finally:
        raw.close()
    assert isinstance(issues, list) and len(issues) == len(bench_db.manifest.faults)


def test_refresh_sync_status(bench: Bench, populations: Populations, scale_users: int) -> None:
    bench_db = populations.populated(scale_users)

    def refresh() -> None:
        with bench_db.db.transaction() as session:
            SyncStatusView().refresh(session=session)

    raw = RawSql(bench_db.url)
    try:
        bench.measure("refresh_sync_status", {"users": scale_users}, refresh, heavy=True,
                      ceiling=lambda: raw.command(f"REFRESH MATERIALIZED VIEW CONCURRENTLY {VIEW}"),
                      rounds=bench.rounds_at(scale_users), curve="refresh_sync_status")
        rows = raw.execute("find_desync_issues_view")
    finally:
        raw.close()
    assert len(rows) == len(bench_db.manifest.faults)


def _status(session: Session, user_id: int, specialization: str) -> str:
    return str(session.execute(text(f"SELECT sync_status FROM {VIEW} WHERE student_id = :u AND "
                                    "specialization_id = :s"), {"u": user_id, "s": specialization}).scalar_one())


def test_sync_status_staleness(bench: Bench, bench_db: BenchDatabase) -> None:
    """Each round commits a desync and waits until the view shows it, while another thread refreshes the
    view every REFRESH_EVERY_S: the round's time is the window in which the view misses the desync."""
    probe = in_sync_pair(bench_db, 3)
    who = {"u": probe.user_id, "s": probe.specialization, "l": probe.level + 1}
    stop, periods = threading.Event(), []

    def refresher() -> None:
        with Session(bench_db.engine) as session:
            while not stop.wait(REFRESH_EVERY_S):
                began = time.perf_counter()
                with session.begin():
                    SyncStatusView().refresh(session=session)
                periods.append(time.perf_counter() - began)

    def wait_for(status: str) -> None:
        with Session(bench_db.engine) as session:
            while _status(session, probe.user_id, probe.specialization) != status:
                session.rollback()  # a new snapshot for the next look
                time.sleep(POLL_S)

    def desync_then_wait() -> None:
        with bench_db.engine.begin() as conn:
            conn.execute(text("UPDATE user_licenses SET current_level = :l, max_achieved_level = "
                              "greatest(max_achieved_level, :l) WHERE user_id = :u AND specialization_type = :s"), who)
        wait_for("desynced")

    thread = threading.Thread(target=refresher, name="plsync-view-refresher", daemon=True)
    thread.start()
    try:
        bench.measure("sync_status_staleness", {"case": f"refresh_every_{REFRESH_EVERY_S * 1000:.0f}ms",
                                                "users": bench_db.users}, desync_then_wait,
                      prepare=lambda: (probe.put_back(bench_db), wait_for("synced")), heavy=True, warmup=0)
    finally:
        stop.set()
        thread.join()
        probe.put_back(bench_db)
        with bench_db.db.transaction() as session:
            SyncStatusView().refresh(session=session)
    refresh_ms = sorted(periods)[len(periods) // 2] * 1000
    bench.annotate(refresh_every_s=REFRESH_EVERY_S, refresh_median_ms=refresh_ms,
                   notes=f"view refreshed every {REFRESH_EVERY_S * 1000:.0f} ms (a refresh took {refresh_ms:.0f} ms); "
                         "the live query sees a desync at once")
    assert periods, "the refresher never ran"
