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
import re
from pathlib import Path
from typing import IO, Any

from loadtests.record_stream import Batch, BatchSender, StreamCollector
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


def _file_name(worker: str) -> str:
    return "history-" + re.sub(r"[^A-Za-z0-9_.-]", "_", worker) + ".jsonl"


class MasterHistory:
    """The master's side: every worker's history batches into its own file in ``directory``."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.collector = StreamCollector(KIND, self._write)
        self._files: dict[str, IO[str]] = {}

    def _write(self, worker: str, rows: list[Any]) -> None:
        handle = self._files.get(worker)
        if handle is None:
            handle = self._files[worker] = (self.directory / _file_name(worker)).open("a", buffering=1 << 16)
        handle.writelines(json.dumps(row) + "\n" for row in rows)

    def on_message(self, environment: Any = None, msg: Any = None, **_kw: Any) -> None:
        """Locust's custom-message listener (``register_message``)."""
        self.handle(msg.node_id, msg.data)

    def handle(self, node_id: str, data: dict[str, Any]) -> None:
        batch = Batch.from_message(data)
        if batch.worker != node_id:
            self.collector.known(node_id).problem = f"sent batches named {batch.worker!r}"
        self.collector.receive(Batch(batch.kind, node_id, batch.seq, batch.records, batch.final, batch.total,
                                     batch.error))

    def connected(self, client_id: str, **_kw: Any) -> None:
        self.collector.known(client_id)

    def close(self) -> dict[str, str]:
        """The files complete; the workers whose history is not, with why (prefixed ``history:``)."""
        for handle in self._files.values():
            handle.close()
        self._files.clear()
        return {worker: f"history: {why}" for worker, why in self.collector.incomplete().items()}
