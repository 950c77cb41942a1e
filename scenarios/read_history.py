"""The recorded history of a run: what every reader saw and what every writer changed, with when.

The ledger (scenarios/ledger.py) records what writers were told, for the invariant checker; this
history records, Jepsen-style, the time window of every operation as the client lived it (wall clock:
every process of a run on one machine shares it) and the levels it observed or moved, so the read
checker (scenarios/read_checker.py) can explain each fractured read with the writes that overlap it.
Its own record types and its own files (``history-<host>-<pid>.jsonl``) beside the ledgers.
"""

from __future__ import annotations

import json
import os
import socket
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from scenarios.ledger import Outcome


@dataclass(frozen=True)
class ReadRecord:
    """A reader saw the pair's two levels (None: that side was missing) somewhere in [start_s, end_s]."""

    mode: str
    user_id: int
    specialization: str
    start_s: float
    end_s: float
    progress_level: int | None
    license_level: int | None
    outcome: Outcome = Outcome.OK
    error: str | None = None

    @property
    def fractured_looking(self) -> bool:
        """The two sides disagree, or one is missing: what the checker must explain."""
        return self.outcome is Outcome.OK and (self.progress_level is None or self.license_level is None
                                               or self.progress_level != self.license_level)


@dataclass(frozen=True)
class WriteRecord:
    """A writer's commit(s) landed somewhere in [start_s, end_s], moving the levels from -> to.

    ``license_from`` None means the writer was not told it (a level-up's result names the license level
    after, not before); the checker then takes the progress level before, the pair's state a writer of
    an in-step pair starts from. ``transactions``: how many commits the write took (legacy's level-up: two,
    progress then license; every other strategy: one; see ``writer_transactions``).
    """

    operation: str
    user_id: int
    specialization: str
    start_s: float
    end_s: float
    progress_from: int | None
    progress_to: int | None
    license_from: int | None
    license_to: int | None
    transactions: int = 1
    outcome: Outcome = Outcome.OK
    #: With two transactions, the side the first one commits: "progress" (a level-up) or "license" (an advance).
    first_side: str = "progress"

    @property
    def moved(self) -> bool:
        return self.progress_from != self.progress_to or (self.license_to is not None
                                                          and self.license_before != self.license_to)

    @property
    def license_before(self) -> int | None:
        return self.license_from if self.license_from is not None else self.progress_from


#: Strategies whose writes commit progress and license in separate transactions.
TWO_TRANSACTION_STRATEGIES = frozenset({"legacy"})


def writer_transactions(strategy: str) -> int:
    return 2 if strategy in TWO_TRANSACTION_STRATEGIES else 1


class History:
    """Reads and writes of one process (thread-safe), or merged from every process's files."""

    def __init__(self) -> None:
        self.reads: list[ReadRecord] = []
        self.writes: list[WriteRecord] = []
        self._lock = threading.Lock()

    def read(self, record: ReadRecord) -> None:
        with self._lock:
            self.reads.append(record)

    def write(self, record: WriteRecord) -> None:
        with self._lock:
            self.writes.append(record)


def history_line(record: ReadRecord | WriteRecord) -> str:
    """One record as a line of a history file (also the row a worker streams to its master)."""
    kind = "read" if isinstance(record, ReadRecord) else "write"
    return json.dumps({"kind": kind, **asdict(record)}) + "\n"


class HistorySink:
    """One process appends its records to its own JSON-lines file."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / f"history-{socket.gethostname()}-{os.getpid()}.jsonl"
        self._file = self.path.open("a", buffering=1 << 16)
        self._lock = threading.Lock()

    def read(self, record: ReadRecord) -> None:
        with self._lock:
            self._file.write(history_line(record))

    def write(self, record: WriteRecord) -> None:
        with self._lock:
            self._file.write(history_line(record))

    def close(self) -> None:
        self._file.close()


def _record(raw: dict[str, Any]) -> ReadRecord | WriteRecord:
    kind = raw.pop("kind")
    raw["outcome"] = Outcome(raw["outcome"])
    return ReadRecord(**raw) if kind == "read" else WriteRecord(**raw)


def read_histories(directory: Path) -> History:
    """Merge every process's history file."""
    history = History()
    for path in sorted(directory.glob("history-*.jsonl")):
        with path.open() as handle:
            for line in handle:
                if line.strip():
                    record = _record(json.loads(line))
                    if isinstance(record, ReadRecord):
                        history.read(record)
                    else:
                        history.write(record)
    return history
