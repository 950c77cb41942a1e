"""The read/write history streamed to the master like the ledger: files beside the ledgers, the checker reads
them, and a worker whose history did not arrive whole makes the reads incomplete, never a pass."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from loadtests.history_stream import MasterHistory, StreamingHistory
from loadtests.ledger_stream import MasterLedger, StreamingLedger, incomplete_workers
from loadtests.record_stream import message_type
from plsync.swarm_reads import judge_reads
from scenarios.ledger import LedgerEntry, Outcome
from scenarios.read_history import ReadRecord, WriteRecord, read_histories

WRITE = WriteRecord("level_up", 1, "PLAYER", 1.2, 1.5, 1, 2, None, 2)
TORN = ReadRecord("service", 1, "PLAYER", 1.0, 2.0, 1, 2)
CUT = ReadRecord("service", 1, "PLAYER", 3.0, 3.1, None, None, Outcome.UNKNOWN, "interrupted before the reply")


def _master(directory: Path) -> tuple[MasterLedger, MasterHistory]:
    ledger = MasterLedger(directory)
    history = ledger.companions[message_type("history")] = MasterHistory(directory)
    return ledger, history


def _worker(node: str, ledger: MasterLedger, history: MasterHistory, *, finish_history: bool) -> None:
    ledger.connected(node)
    history.connected(node)
    entries = StreamingLedger(node, lambda _type, data: ledger.handle(node, data))
    records = StreamingHistory(node, lambda _type, data: history.handle(node, data))
    entries.record(LedgerEntry("level_up", 1, "PLAYER", 25, Outcome.OK, 0.01))
    records.write(WRITE)
    records.read(TORN)
    records.read(CUT)
    entries.finish()
    if finish_history:
        records.finish()
    else:
        records.sender.flush()  # sent, but the final batch never leaves: a worker lost mid-run


def test_streamed_history_lands_beside_the_ledgers_and_is_judged(tmp_path: Path) -> None:
    ledger, history = _master(tmp_path)
    _worker("host-a_1", ledger, history, finish_history=True)
    ledger.close()
    assert sorted(p.name for p in tmp_path.glob("history-*.jsonl")) == ["history-host-a_1.jsonl"]
    merged = read_histories(tmp_path)
    assert (merged.writes, merged.reads) == ([WRITE], [TORN, CUT])
    assert incomplete_workers(tmp_path) == {}
    judged = judge_reads("coupled", tmp_path, workload_reads=True)
    (row,) = judged.rows
    assert (row.reads, row.failed_reads, row.torn) == (1, 1, 1)  # the cut-short read counted, not judged
    assert judged.failures_of_gates == [
        "reads service: 1 fractured read(s) in 1 (torn 1, between transactions 0, visible desync 0)"]


def test_a_worker_whose_history_is_incomplete_makes_the_reads_incomplete(tmp_path: Path) -> None:
    ledger, history = _master(tmp_path)
    _worker("host-a_1", ledger, history, finish_history=False)
    history.collector.worker_quit("host-a_1")
    ledger.close()
    why = "history: quit or fell silent before its final batch (3 records in 1 batches received)"
    assert incomplete_workers(tmp_path) == {"host-a_1": why}  # the ledger arrived whole; the history did not
    judged = judge_reads("legacy", tmp_path, workload_reads=True)  # even an ungated strategy: never a pass
    assert judged.failures_of_gates == [f"reads incomplete: worker host-a_1: {why}"]


def test_both_streams_incomplete_name_both(tmp_path: Path) -> None:
    ledger, history = _master(tmp_path)
    for collector in (ledger.collector, history.collector):
        collector.known("host-b_2")
        collector.worker_quit("host-b_2")
    ledger.close()
    reason: Any = incomplete_workers(tmp_path)["host-b_2"]
    assert reason.startswith("quit or fell silent") and "; history: quit or fell silent" in reason
