"""The read checker on hand-made histories: each kind built on purpose, and a clean history finds none."""

from __future__ import annotations

from scenarios.ledger import Outcome
from scenarios.read_checker import BETWEEN, TORN, VISIBLE, check_reads, classify
from scenarios.read_history import ReadRecord, WriteRecord


def read(p: int | None, lic: int | None, start: float = 1.0, end: float = 2.0, mode: str = "two_statements",
         user: int = 1) -> ReadRecord:
    return ReadRecord(mode, user, "PLAYER", start, end, p, lic)


def level_up(p_from: int, p_to: int, start: float = 1.2, end: float = 1.5, *, transactions: int = 1,
             license_to: int | None = -1, outcome: Outcome = Outcome.OK, user: int = 1) -> WriteRecord:
    return WriteRecord("level_up", user, "PLAYER", start, end, p_from, p_to, None,
                       p_to if license_to == -1 else license_to, transactions, outcome)


def test_a_read_straddling_one_atomic_write_is_torn_either_way() -> None:
    write = level_up(1, 2)
    for seen in (read(1, 2), read(2, 1)):
        found = classify(seen, [write])
        assert found is not None and found.kind == TORN and found.writes == (write,)


def test_a_read_straddling_two_atomic_writes_names_both() -> None:
    first, second = level_up(1, 2, 1.1, 1.3), level_up(2, 3, 1.4, 1.6)
    found = classify(read(3, 1), [first, second])
    assert found is not None and found.kind == TORN and set(found.writes) == {first, second}


def test_the_state_between_a_legacy_writers_two_commits_is_between_transactions() -> None:
    write = level_up(1, 2, transactions=2)
    found = classify(read(2, 1), [write])
    assert found is not None and found.kind == BETWEEN and found.writes == (write,)
    # A legacy license advance commits the license first: (progress before, license after).
    advance = WriteRecord("advance_license", 1, "PLAYER", 1.2, 1.5, 2, 3, 2, 3, transactions=2,
                          first_side="license")
    found = classify(read(2, 3), [advance])
    assert found is not None and found.kind == BETWEEN
    # The other way round, a legacy level-up never committed (progress before, license after): torn.
    found = classify(read(1, 2), [write])
    assert found is not None and found.kind == TORN


def test_a_desync_no_write_in_flight_explains_is_visible_with_the_writes_before_it() -> None:
    lost_hook = level_up(1, 2, 0.2, 0.5, transactions=2, license_to=None)  # the license never followed
    found = classify(read(2, 1), [lost_hook])
    assert found is not None and found.kind == VISIBLE and found.writes == (lost_hook,)
    missing = classify(read(2, None), [])
    assert missing is not None and missing.kind == VISIBLE


def test_writes_that_do_not_overlap_or_failed_explain_no_tear() -> None:
    later = level_up(1, 2, 2.5, 2.8)
    rolled_back = level_up(1, 2, outcome=Outcome.FAILED)
    assert classify(read(1, 2), [later]).kind == VISIBLE  # type: ignore[union-attr]
    assert classify(read(1, 2), [rolled_back]).kind == VISIBLE  # type: ignore[union-attr]
    other_pair = level_up(1, 2, user=2)  # the checker explains a read with its own pair's writes only
    assert check_reads([read(1, 2)], [other_pair]).modes[0].fractured[VISIBLE] == 1


def test_counts_rates_and_examples_per_mode() -> None:
    writes = [level_up(1, 2)]
    reads = [read(1, 2), read(1, 1, 0.1, 0.2), read(2, 2, 3.0, 3.1),
             ReadRecord("two_statements", 1, "PLAYER", 1, 2, None, None, Outcome.UNKNOWN, "boom"),
             read(1, 1, mode="one_statement"), read(2, 2, mode="one_statement")]
    verdict = check_reads(reads, writes)
    two = verdict.mode("two_statements")
    assert two is not None
    assert (two.reads, two.failed_reads, two.fractured) == (3, 1, {TORN: 1, BETWEEN: 0, VISIBLE: 0})
    assert two.rate_per_1000 is not None and abs(two.rate_per_1000 - 1000 / 3) < 1e-9
    assert [e.read for e in two.examples[TORN]] == [reads[0]]
    one = verdict.mode("one_statement")
    assert one is not None and one.fractured_total == 0 and one.rate_per_1000 == 0 and one.examples == {}


def test_a_history_with_no_fracture_reports_none_and_no_reads_no_rate() -> None:
    writes = [level_up(1, 2), level_up(2, 3, 2.0, 2.2, transactions=2)]
    reads = [read(1, 1, 0.0, 1.1), read(2, 2, 1.6, 1.9), read(3, 3, 2.3, 2.4), read(2, 2, 1.0, 2.5)]
    verdict = check_reads(reads, writes)
    assert [(m.mode, m.fractured_total) for m in verdict.modes] == [("two_statements", 0)]
    assert check_reads([], writes).modes == ()
    assert check_reads([ReadRecord("api", 1, "PLAYER", 0, 1, None, None, Outcome.UNKNOWN)], []).modes[0].rate_per_1000 \
        is None
