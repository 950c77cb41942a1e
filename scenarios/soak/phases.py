"""The phases after the steady runs, each judged on its own: an overrun, a database restart during a run,
and an outage longer than the health monitor's limit. Each starts and ends with the job scheduled and every
pair in sync, and each records its runs like the steady phase does."""

from __future__ import annotations

from datetime import datetime, timedelta

from fixtures.embedded_postgres import EmbeddedPostgres
from scenarios.soak.clock import after
from scenarios.soak.results import PhaseResult
from scenarios.soak.session import Soak, holding_tables

OVERRUN, RESTART, OUTAGE = "overrun", "restart", "outage"
#: Runs after a restart before one must succeed (on a compressed clock the first may fire before the server is up).
RESTART_RUNS_TO_RECOVER = 3


def overrun(soak: Soak) -> PhaseResult:
    """One run held (by a lock it needs) for longer than the interval: the next fire time must be skipped by
    max_instances, counted, and not run late as a second instance."""
    soak.make_room(OVERRUN)
    before, skipped_before = soak.observer.counts(), soak.job.skipped_overlapping
    work = soak.between_runs()
    with holding_tables(soak.admin):
        first_due = soak.advance_to_next_run()
        soak.observer.wait_count("submitted", before["submitted"] + 1, soak.wait_timeout_s())
        soak.wait_job_blocked()
        # The run is in progress and waiting: let one more fire time pass under it.
        second_due = first_due + timedelta(seconds=soak.interval_real_s)
        soak.clock.wait_until(second_due, soak.job.wakeup)
        soak.observer.wait_count("skipped_max_instances", before["skipped_max_instances"] + 1,
                                 soak.wait_timeout_s())
    held = soak.record(soak.observer.next_run(soak.wait_timeout_s()), OVERRUN, work)
    following = soak.cycle(OVERRUN)
    counts = soak.observer.counts() - before
    ran = [held.scheduled, following.scheduled]
    skipped = counts["skipped_max_instances"]
    details = {
        "held_run_scheduled": held.scheduled, "held_run_span_soak_s": round(held.span_soak_s, 3),
        "interval_s": soak.options.interval_s, "skipped_fire_time": second_due.isoformat(),
        "skips_counted_by_event": skipped, "skips_counted_by_job": soak.job.skipped_overlapping - skipped_before,
        "runs_executed": counts["executed"], "runs_scheduled_at": ran, "missed": counts["missed"],
        "next_run_status": following.status, "desyncs_left_after_next": following.desyncs_left,
    }
    holds = (held.span_soak_s > soak.options.interval_s and skipped == 1
             and soak.job.skipped_overlapping - skipped_before == 1 and counts["executed"] == 2
             and second_due.isoformat() not in ran and counts["missed"] == 0
             and following.status == "success" and following.desyncs_left == 0)
    note = (f"a run held {held.span_soak_s / 60:.1f} min (interval {soak.options.interval_s / 60:g} min); the fire "
            f"time under it skipped by max_instances {skipped} time(s); {counts['executed']} runs, not 3")
    return PhaseResult(OVERRUN, holds, note, details)


def restart(soak: Soak, postgres: EmbeddedPostgres | None) -> PhaseResult:
    """The server restarts while a run is in progress: that run fails and is logged; the next run repairs what
    is left (clients may have fixed some pairs in between) and nothing acknowledged is lost."""
    if postgres is None:
        return PhaseResult(RESTART, None, "not measured: the database was not started by the harness, so it "
                                          "cannot be restarted (use the embedded default)")
    soak.make_room(RESTART)
    work = soak.between_runs()
    before = soak.observer.counts()
    with holding_tables(soak.admin):
        soak.advance_to_next_run()
        soak.observer.wait_count("submitted", before["submitted"] + 1, soak.wait_timeout_s())
        soak.wait_job_blocked()
        postgres.restart("fast")  # ends every session, the waiting run's and the lock holder's
    failed = soak.record(soak.observer.next_run(soak.wait_timeout_s()), RESTART, work)
    after_restart = [soak.cycle(RESTART)]
    while after_restart[-1].status != "success" and len(after_restart) < RESTART_RUNS_TO_RECOVER:
        after_restart.append(soak.cycle(RESTART))  # a compressed clock may fire again before the server is up
    caught_up = after_restart[-1]
    lost = soak.lost_writes()
    logged = soak.config.sync_log_dir is not None and any(
        p.name.startswith(_log_stamp(failed.started)) for p in soak.config.sync_log_dir.glob("*_sync.json"))
    error = (failed.error or "").partition("\n")[0]
    details = {"failed_run_status": failed.status, "failed_run_error": error,
               "failed_run_logged": logged, "desyncs_left_after_failed_run": failed.desyncs_left,
               "runs_until_success": len(after_restart), "next_success_issues_found": caught_up.issues_found,
               "next_success_synced": caught_up.synced, "injected_just_before_it": caught_up.injected,
               "desyncs_left_after_it": caught_up.desyncs_left, "acknowledged_writes_lost": lost}
    holds = (failed.status == "failed" and logged and failed.desyncs_left > 0 and caught_up.status == "success"
             and caught_up.synced == caught_up.issues_found >= caught_up.injected
             and caught_up.desyncs_left == 0 and lost == 0)
    note = (f"the run under the restart {failed.status} ({error[:60]}) and was logged with "
            f"{failed.desyncs_left} pairs left; {len(after_restart)} run(s) later all repaired "
            f"({caught_up.synced}), {caught_up.desyncs_left} left, {lost} acknowledged writes lost")
    return PhaseResult(RESTART, holds, note, details)


def outage(soak: Soak, poll_s: float) -> PhaseResult:
    """The job stopped for longer than the health limit: the monitor must alert (when, in the soak's clock)
    and clear once the job is back and has succeeded again. ``poll_s``: how often it is asked (soak s)."""
    limit_s = soak.stale_after_soak_s
    last_end = max(datetime.fromisoformat(r.ended) for r in soak.records if r.status == "success")
    soak.job.stop()
    stopped = soak.clock.now()
    alert_at = None
    polls = 0
    outage_s = limit_s + soak.options.interval_s
    while soak.soak_s(stopped) < outage_s:
        soak.clock.wait_until(after(soak.clock.now(), poll_s, soak.clock), lambda: None)
        polls += 1
        if alert_at is None and not soak.health().healthy:
            alert_at = soak.clock.now()
    soak.job.start()
    resumed = soak.clock.now()
    still_alerting = not soak.health().healthy
    back = soak.cycle(OUTAGE)
    cleared = soak.health()
    details = {
        "stopped_at_soak_s": round(soak.soak_s(until=stopped), 1),
        "outage_soak_s": round(soak.soak_s(stopped, resumed), 1),
        "health_limit_s": limit_s, "health_polls": polls, "poll_every_s": poll_s,
        "alert_at_soak_s": round(soak.soak_s(until=alert_at), 1) if alert_at else None,
        "alert_after_last_success_s": round(soak.soak_s(last_end, alert_at), 1) if alert_at else None,
        "still_alerting_at_resume": still_alerting, "run_after_resume": back.status,
        "cleared": cleared.healthy, "cleared_after_resume_s": round(soak.soak_s(resumed), 1),
        "cleared_at_soak_s": round(soak.soak_s(), 1),
    }
    holds = alert_at is not None and still_alerting and cleared.healthy and back.status == "success" \
        and soak.soak_s(last_end, alert_at) > limit_s
    note = (f"alert {details['alert_after_last_success_s']} s after the last success (limit {limit_s:g} s), "
            f"cleared {details['cleared_after_resume_s']} s after the job resumed" if alert_at
            else f"no alert in {outage_s:g} s of outage")
    return PhaseResult(OUTAGE, holds, note, details)


def _log_stamp(job_start: str) -> str:
    """The job names its log file after the run's start (see BackgroundSyncJob._write_log)."""
    return datetime.fromisoformat(job_start).strftime("%Y%m%d_%H%M%S_%f")
