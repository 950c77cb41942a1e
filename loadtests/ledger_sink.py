"""Each Locust process appends its operations to its own JSON-lines ledger file."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

from scenarios.ledger import Ledger, LedgerEntry


class LedgerSink:
    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / f"ledger-{socket.gethostname()}-{os.getpid()}.jsonl"
        self._file = self.path.open("a", buffering=1 << 16)

    def record(self, entry: LedgerEntry) -> None:
        self._file.write(json.dumps(entry.to_row()) + "\n")

    def close(self) -> None:
        self._file.close()


def read_ledgers(directory: Path) -> Ledger:
    """Merge every process's ledger file into one ledger.

    The ledger files stay JSON lines outside the run directory's contract (plsync/records/): they are raw data,
    appended entry by entry while the swarm runs (by every process, or by the master for remote workers), not
    records a report reads; each row is checked by ``LedgerEntry.from_row``. What the master says of them is a
    record (``ledger_stream.json``, ``LEDGER_STREAM``)."""
    ledger = Ledger()
    for path in sorted(directory.glob("ledger-*.jsonl")):
        with path.open() as handle:
            for line in handle:
                if not line.strip():
                    continue
                ledger.record(LedgerEntry.from_row(json.loads(line)))
    return ledger
