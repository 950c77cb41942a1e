"""The open model's slot accounting in one process (gevent, no Locust): a slot that waits past the late limit
is dropped and counted, a slot still queued at the end is counted, and response time runs from the intended
start."""

from __future__ import annotations

import gevent

from loadtests.arrivals import ArrivalPlan
from loadtests.open_load import OpenLoad


def _run(load: OpenLoad, users: int, call_s: float, run_s: float) -> None:
    def user() -> None:
        while True:
            load.serve(lambda: gevent.sleep(call_s))

    load.start()
    pool = [gevent.spawn(user) for _ in range(users)]
    gevent.sleep(run_s)
    load.stop()
    gevent.killall(pool)


def test_a_slow_pool_drops_late_slots_and_counts_every_one() -> None:
    # 100/s offered to one user whose request takes 50 ms (20/s): the backlog grows, slots past 0.1 s are dropped.
    load = OpenLoad(ArrivalPlan(100, "constant", max_users=1, late_limit_s=0.1), 1.0)
    _run(load, users=1, call_s=0.05, run_s=1.0)
    share = load.snapshot()
    counts = share["counts"]
    assert counts["scheduled"] >= 95
    assert counts["dropped_late"] > 30 and 10 <= counts["completed"] <= 25, counts
    assert (counts["completed"] + counts["dropped_late"] + counts["unstarted_at_end"] + counts["in_flight_at_end"]
            == counts["scheduled"]), counts
    response, service = load.histograms["response"], load.histograms["service"]
    assert response.count == service.count == counts["completed"]
    # A request sent up to 0.1 s late answers 0.05 s later: response time (from the slot) exceeds service time.
    assert (response.percentile_ms(99) or 0) > (service.percentile_ms(99) or 0) + 30


def test_an_ample_pool_keeps_up_and_warm_up_slots_stay_out_of_the_figures() -> None:
    load = OpenLoad(ArrivalPlan(50, "constant", max_users=8, late_limit_s=1.0, warmup_s=0.19), 1.0)
    _run(load, users=8, call_s=0.01, run_s=1.0)
    counts = load.snapshot()["counts"]
    assert counts["warmup"] == 10 and counts["dropped_late"] == 0
    assert counts["completed"] + counts["unstarted_at_end"] + counts["in_flight_at_end"] == counts["scheduled"]
    assert load.histograms["response"].count == counts["completed"] >= 35
    assert (load.histograms["response"].percentile_ms(50) or 0) < 50


def test_users_wait_for_their_own_slots_and_stop_wakes_them_at_once() -> None:
    # 5/s to 8 users: free users claim slots up to 1.6 s ahead and sleep until each is due.
    load = OpenLoad(ArrivalPlan(5, "constant", max_users=8, late_limit_s=1.0), 10.0)
    ended = {"flag": False}

    def user() -> None:
        while not ended["flag"]:
            load.serve(lambda: gevent.sleep(0.001))

    load.start()
    pool = [gevent.spawn(user) for _ in range(8)]
    gevent.sleep(0.9)  # slots due at 0, 0.2, 0.4, 0.6 and 0.8 s
    load.stop()
    ended["flag"] = True
    # Without the wake-up the users asleep on the slots at 1.0-2.2 s would hold the run open until then.
    assert gevent.joinall(pool, timeout=0.3) and all(g.dead for g in pool)
    counts = load.snapshot()["counts"]
    assert counts["scheduled"] == counts["completed"] == 5, counts  # the slots not yet due are not counted
    # Each was sent at its intended start by the user that slept for it: the generator's own lag is small.
    assert (load.histograms["dispatch"].percentile_ms(99) or 0) < 50
    assert (load.histograms["lag"].percentile_ms(99) or 0) < 50
