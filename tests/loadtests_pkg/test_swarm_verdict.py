"""How a swarm's gates read an incomplete or empty ledger: never as a pass."""

from __future__ import annotations

from plsync.swarm import _judged

STATS = {"operations": {"level_up": {"requests": 100, "failures": 0, "p95_ms": 10, "p99_ms": 20}},
         "requests": 100, "failures": 0}
INVARIANTS = {"results": [{"name": "desynced_pairs", "violations": 0},
                          {"name": "lost_updates", "violations": 0},
                          {"name": "unacknowledged_writes", "violations": 3}]}


def test_a_complete_ledger_is_judged_whole() -> None:
    assert _judged(STATS, INVARIANTS, False, {}, 100) == ["invariant unacknowledged_writes: 3 violation(s)"]


def test_an_incomplete_ledger_names_the_worker_and_judges_only_the_database() -> None:
    # The missing worker's writes read as unacknowledged: that is not judged, the incompleteness is.
    assert _judged(STATS, INVARIANTS, False, {"w2": "its final batch never arrived"}, 60) == [
        "incomplete: w2: its final batch never arrived"]


def test_an_empty_ledger_is_not_zero_lost() -> None:
    clean = {"results": [{"name": "lost_updates", "violations": 0}]}
    assert _judged({"operations": {}, "requests": 0, "failures": 0}, clean, False, {}, 0) == [
        "no operation reached the ledger: the run judged nothing"]
