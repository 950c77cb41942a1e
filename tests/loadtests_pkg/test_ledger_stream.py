"""The ledger's one row form, and the master's side of the stream: files per worker, a manifest, the verdict."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from loadtests.ledger_sink import LedgerSink, read_ledgers
from loadtests.ledger_stream import (
    MANIFEST,
    MasterLedger,
    StreamingLedger,
    incomplete_workers,
    read_manifest,
    write_manifest,
)
from loadtests.record_stream import Batch
from plsync.records import SchemaError
from plsync.records.swarms import LedgerStreamRecord, LedgerStreamWorker
from scenarios.ledger import LedgerEntry, Outcome

ENTRIES = [LedgerEntry("level_up", 3, "PLAYER", 25, Outcome.OK, 0.0123456789, 2),
           LedgerEntry("level_up", 4, "PLAYER", 5, Outcome.UNKNOWN, 0.5, 1, "interrupted")]


def test_one_row_form_round_trips_and_reads_older_shorter_rows() -> None:
    assert [LedgerEntry.from_row(json.loads(json.dumps(e.to_row()))) for e in ENTRIES] == [
        LedgerEntry("level_up", 3, "PLAYER", 25, Outcome.OK, 0.012346, 2), ENTRIES[1]]
    assert LedgerEntry.from_row(["sync", 1, "COACH", 0, "failed", 0.1]) == LedgerEntry(
        "sync", 1, "COACH", 0, Outcome.FAILED, 0.1)


def test_local_sink_and_reader_use_that_form(tmp_path: Path) -> None:
    sink = LedgerSink(tmp_path)
    for entry in ENTRIES:
        sink.record(entry)
    sink.close()
    assert read_ledgers(tmp_path).counts() == {"ok": 1, "failed": 0, "unknown": 1}


def sent_by(node: str, master: MasterLedger) -> Callable[[str, dict[str, Any]], None]:
    """What Locust's master does with a worker's ``plsync_ledger`` message: hands it to the listener."""
    return lambda _type, data: master.handle(node, data)


def test_the_master_writes_each_workers_ledger_and_a_manifest(tmp_path: Path) -> None:
    master = MasterLedger(tmp_path / "ledgers")
    for node in ("host-a_1", "host/b_2"):
        master.connected(node)
        worker = StreamingLedger(node, sent_by(node, master))
        for entry in ENTRIES:
            worker.record(entry)
        worker.finish()
    master.collector.known("host-c_3")  # connected, never finished: named
    master.collector.worker_quit("host-c_3")
    master.close()
    files = sorted(p.name for p in (tmp_path / "ledgers").glob("ledger-*.jsonl"))
    assert files == ["ledger-host-a_1.jsonl", "ledger-host_b_2.jsonl"]  # a name safe for any file system
    assert read_ledgers(tmp_path / "ledgers").counts() == {"ok": 2, "failed": 0, "unknown": 2}
    manifest = read_manifest(tmp_path / "ledgers")
    assert manifest is not None and manifest.workers["host-a_1"] == LedgerStreamWorker(
        batches=1, records=2, final_total=2, complete=True)
    assert json.loads((tmp_path / "ledgers" / MANIFEST).read_text())["schema"] == 1  # a record of the contract
    assert incomplete_workers(tmp_path / "ledgers") == {
        "host-c_3": "quit or fell silent before its final batch (0 records in 0 batches received)"}


def test_a_batch_under_another_workers_name_is_not_trusted(tmp_path: Path) -> None:
    master = MasterLedger(tmp_path)
    master.handle("real", Batch("ledger", "forged", 0, [ENTRIES[0].to_row()], True, 1).to_message())
    assert master.collector.incomplete() == {"real": "sent batches named 'forged'"}


def test_no_manifest_or_no_worker_is_never_complete(tmp_path: Path) -> None:
    assert "master" in incomplete_workers(tmp_path)
    write_manifest(tmp_path, LedgerStreamRecord(mode="stream"))
    assert incomplete_workers(tmp_path) == {"master": "no worker ever connected or sent a batch"}
    write_manifest(tmp_path, LedgerStreamRecord(mode="local"))  # the workers wrote their own: nothing to vouch for
    assert incomplete_workers(tmp_path) == {} and (tmp_path / MANIFEST).exists()


def test_a_manifest_outside_the_contract_is_refused_not_trusted(tmp_path: Path) -> None:
    (tmp_path / MANIFEST).write_text(json.dumps({"schema": 1, "mode": "stream", "verdict": "complete"}))
    with pytest.raises(SchemaError, match="verdict"):
        incomplete_workers(tmp_path)
