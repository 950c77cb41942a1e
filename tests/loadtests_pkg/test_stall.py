"""Proof that the open model measures what users live through: a known stall, seen by both models.

The hot pair's progress row is held FOR UPDATE from another connection for STALL_S, once the swarm's load
is running. Under the open model every request that arrived during the stall waits for it, so about
rate x stall requests are slow and the p99 sits near the stall; the closed model's users stop sending
while they wait, so the same stall shows up as at most one slow request per user.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from fixtures.provision import Environment
from loadtests.arrivals import ArrivalPlan
from loadtests.open_model import HISTOGRAM_FILE, describe, merged
from plsync.rundir import RunDirectory
from plsync.swarm import SwarmOptions, SwarmResult, run_swarm
from system.config import SystemConfig
from system.db import Database

STALL_S = 1.0
RATE = 40.0
SLOW_MS = 500.0
CLOSED_USERS = 4


class RowStall(threading.Thread):
    """Once the swarm holds transactions, waits ``after_s`` and locks student 1's PLAYER progress row for
    ``hold_s`` (the moment and the length are recorded)."""

    def __init__(self, db: Database, *, after_s: float, hold_s: float) -> None:
        super().__init__(daemon=True)
        self.db, self.after_s, self.hold_s = db, after_s, hold_s
        self.held_s: float | None = None

    def run(self) -> None:
        deadline = time.monotonic() + 60
        with self.db.engine.connect() as watch:
            while time.monotonic() < deadline and not watch.execute(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'plsync-swarm%' "
                    "AND state IN ('active', 'idle in transaction')")).scalar():
                watch.rollback()
                time.sleep(0.02)
        time.sleep(self.after_s)
        with self.db.engine.connect() as conn, conn.begin():
            conn.execute(text("SELECT 1 FROM specialization_progress WHERE student_id = 1 "
                              "AND specialization_id = 'PLAYER' FOR UPDATE"))
            began = time.monotonic()
            time.sleep(self.hold_s)
            self.held_s = time.monotonic() - began


def _stalled_run(db: Database, config: SystemConfig, tmp: Path, options: SwarmOptions) -> tuple[SwarmResult, int]:
    stall = RowStall(db, after_s=1.0, hold_s=STALL_S)
    stall.start()
    env = Environment(db.engine.url.render_as_string(hide_password=False), "url", True, config.redis_url)
    result = run_swarm(env, config, options, RunDirectory(tmp))
    stall.join(timeout=30)
    assert stall.held_s is not None and stall.held_s >= STALL_S, "the stall did not happen during the run"
    histograms = json.loads((tmp / HISTOGRAM_FILE).read_text())
    name = "response" if options.open_model else "service"
    return result, merged(histograms, name).count_above_ms(SLOW_MS)


@pytest.mark.slow
def test_a_stall_shows_in_the_open_model_and_hides_in_the_closed_one(db: Database, config: SystemConfig,
                                                                     tmp_path: Path) -> None:
    common = {"strategy": "coupled", "workload": "hotspot", "hot_students": 1, "students": 10, "run_time_s": 5}
    plan = ArrivalPlan(RATE, "constant", max_users=60, late_limit_s=5)
    opened, open_slow = _stalled_run(db, config, tmp_path / "open", SwarmOptions(
        users=60, spawn_rate=60, open_model=plan, **common))
    closed, closed_slow = _stalled_run(db, config, tmp_path / "closed", SwarmOptions(
        users=CLOSED_USERS, spawn_rate=CLOSED_USERS, **common))
    latency = opened.latency
    assert latency is not None and latency.response_time is not None and latency.slots is not None
    p99 = latency.response_time.percentiles_ms["p99"]
    print(f"\nstall {STALL_S:g}s at {RATE:g}/s: open model {open_slow} requests slower than {SLOW_MS:g}ms of "
          f"{latency.response_time.count}, response p99 {p99:.0f}ms max {latency.response_time.max_ms:.0f}ms; "
          f"closed model ({CLOSED_USERS} users) {closed_slow} slower than {SLOW_MS:g}ms of {closed.requests}, "
          f"Locust p99 {closed.p99_ms:.0f}ms")
    # Open: the arrivals of the stall's first half wait more than SLOW_MS (rate x (stall - SLOW_MS) = 20);
    # none was dropped or left out, and the p99 sits near the stall.
    print("\n".join(describe(latency)))
    assert open_slow >= 0.8 * RATE * (STALL_S - SLOW_MS / 1000), open_slow
    assert latency.slots.dropped_late == 0 and latency.slots.in_flight_at_end == 0
    assert 0.7 * STALL_S * 1000 <= p99 <= 2.5 * STALL_S * 1000, p99
    # Closed: at most one slow request per user (each waited once, then the stall was over), yet the stall was seen.
    assert 1 <= closed_slow <= CLOSED_USERS, closed_slow
    assert open_slow >= 3 * closed_slow
    for run in (opened, closed):
        assert run.lost_xp == 0 and run.desynced_pairs == 0
