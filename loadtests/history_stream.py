"""The read/write history over Locust's channel, the way the ledger travels (loadtests/ledger_stream.py).

A distributed worker keeps no history file: its reads and writes (scenarios/read_history.py) ride
``record_stream``'s envelope as their own kind (message type ``plsync_history``), the final batch once its
users have stopped. The master writes them as ``history-<worker>.jsonl`` beside the ledgers, where the read
checker (plsync/swarm_reads.py) reads every process's history. A worker whose history did not arrive whole is
named in the master's ``ledger_stream.json`` under ``incomplete`` (its reason prefixed ``history:``), so the
swarm is incomplete and its reads verdict says so instead of judging part of the reads.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from loadtests.record_stream import BatchSender, MasterReceiver
from scenarios.read_history import ReadRecord, WriteRecord, history_line

KIND = "history"


class StreamingHistory:
    """A worker's history: records go to the master, none to the worker's disk (HistorySink's interface)."""

    def __init__(self, worker: str, send: Any) -> None:
        self.sender = BatchSender(KIND, worker, send)
        self.sender.start()

    def read(self, record: ReadRecord) -> None:
        self.sender.add(json.loads(history_line(record)))

    def write(self, record: WriteRecord) -> None:
        self.sender.add(json.loads(history_line(record)))

    def finish(self, error: str | None = None) -> None:
        self.sender.finish(error)

    def close(self) -> None:
        """Nothing to close: ``finish`` (at the test's stop) sent everything."""


class MasterHistory(MasterReceiver):
    """The master's side: every worker's history batches into its own file ``history-<worker>.jsonl``."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory, KIND, "history")

    def close(self) -> dict[str, str]:
        """The files complete; the workers whose history is not, with why (prefixed ``history:``)."""
        self.close_files()
        return {worker: f"history: {why}" for worker, why in self.collector.incomplete().items()}
