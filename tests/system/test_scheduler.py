"""The background sync job's schedule and JSON log, and the 7-hour health monitor."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from system.config import SystemConfig
from system.db import Database
from system.scheduler.health import check_sync_job_health
from system.scheduler.job import JOB_ID, BackgroundSyncJob


def test_run_now_repairs_and_writes_one_json_log(db: Database, config: SystemConfig, students: list[int]) -> None:
    with db.transaction() as session:
        session.execute(text("UPDATE specialization_progress SET current_level = 2 WHERE student_id = :u "
                             "AND specialization_id = 'PLAYER'"), {"u": students[0]})
    job = BackgroundSyncJob(db, config)
    run = job.run_now()
    assert (run.status, run.issues_found, run.synced_count, run.failed_count) == ("success", 1, 1, 0)
    logs = list(config.sync_log_dir.glob("*_sync.json"))
    assert len(logs) == 1
    logged = json.loads(logs[0].read_text())
    assert {"status", "job_start", "job_end", "duration_seconds", "issues_found", "synced_count",
            "failed_count"} <= logged.keys()
    assert job.run_now().issues_found == 0


def test_schedule_is_six_hourly_single_instance_with_grace(db: Database, config: SystemConfig) -> None:
    job = BackgroundSyncJob(db, config)
    job.start()
    try:
        scheduled = job._scheduler.get_job(JOB_ID)  # type: ignore[union-attr]
        assert scheduled.trigger.interval == timedelta(hours=6)
        assert (scheduled.max_instances, scheduled.misfire_grace_time) == (1, 300)
        next_run = job.next_run_time()
        assert next_run is not None and timedelta(hours=5.9) < next_run - datetime.now(UTC) <= timedelta(hours=6)
    finally:
        job.stop()


def test_health_monitor_alerts_after_seven_hours(db: Database, config: SystemConfig) -> None:
    alerts: list[str] = []
    empty = check_sync_job_health(config.sync_log_dir, alert=alerts.append)
    assert not empty.healthy and "no successful run" in alerts[-1]
    run = BackgroundSyncJob(db, config).run_now()
    ended = datetime.fromisoformat(run.job_end)
    fresh = check_sync_job_health(config.sync_log_dir, now=ended + timedelta(hours=6, minutes=59),
                                  alert=alerts.append)
    assert fresh.healthy and len(alerts) == 1
    stale = check_sync_job_health(config.sync_log_dir, now=ended + timedelta(hours=7, minutes=1),
                                  alert=alerts.append)
    assert not stale.healthy and "may be down" in alerts[-1]


def test_a_failed_run_is_logged_and_does_not_count_as_success(db: Database, config: SystemConfig) -> None:
    with db.transaction() as session:
        session.execute(text("ALTER TABLE user_licenses RENAME TO user_licenses_away"))
    try:
        run = BackgroundSyncJob(db, config).run_now()
    finally:
        with db.transaction() as session:
            session.execute(text("ALTER TABLE user_licenses_away RENAME TO user_licenses"))
    assert run.status == "failed" and "user_licenses" in (run.error or "")
    assert not check_sync_job_health(config.sync_log_dir, alert=lambda _m: None).healthy


def test_misfire_grace_is_a_setting_and_must_be_whole_seconds(db: Database, config: SystemConfig) -> None:
    import dataclasses

    import pytest

    from system.errors import ConfigurationError

    job = BackgroundSyncJob(db, dataclasses.replace(config, sync_misfire_grace_s=7))
    job.start()
    try:
        assert job._scheduler.get_job(JOB_ID).misfire_grace_time == 7  # type: ignore[union-attr]
    finally:
        job.stop()
    for bad in (0, 1.5, True):
        with pytest.raises(ConfigurationError, match="sync_misfire_grace_s"):
            dataclasses.replace(config, sync_misfire_grace_s=bad)


def test_listeners_see_the_scheduler_events_across_a_restart_of_the_job(db: Database, config: SystemConfig) -> None:
    """The monitoring hook: a listener added once hears every scheduler the job starts (each start builds a new
    one). The run is made due by hand; the soak's virtual clock proves wakeup() after a clock jump."""
    import dataclasses
    import queue

    from apscheduler.events import EVENT_JOB_EXECUTED, JobExecutionEvent

    job = BackgroundSyncJob(db, dataclasses.replace(config, sync_interval_s=3600))
    heard: queue.Queue[JobExecutionEvent] = queue.Queue()
    job.add_listener(heard.put, EVENT_JOB_EXECUTED)
    for _ in range(2):  # start, stop, start again: the listener must survive the new scheduler
        job.start()
        try:
            job._scheduler.modify_job(JOB_ID, next_run_time=datetime.now(UTC))  # type: ignore[union-attr]
            job.wakeup()
            event = heard.get(timeout=30)
            assert event.retval.status == "success"
        finally:
            job.stop()
    assert len(list(config.sync_log_dir.glob("*_sync.json"))) == 2
