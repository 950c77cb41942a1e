"""The ledger: every operation a run sent, with the outcome the client saw.

``ok`` means the system acknowledged it; ``failed`` means it told the client it did nothing (bad
input, lock timeout, serialization give-up); ``unknown`` means the connection broke and the client
cannot know whether the commit happened. The invariant checker compares this with the database.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any

from system.errors import ConcurrencyError, InvalidInputError


class Outcome(StrEnum):
    OK = "ok"
    FAILED = "failed"
    UNKNOWN = "unknown"


def outcome_of(exc: BaseException) -> Outcome:
    return Outcome.FAILED if isinstance(exc, InvalidInputError | ConcurrencyError) else Outcome.UNKNOWN


@dataclass(frozen=True)
class LedgerEntry:
    operation: str
    user_id: int
    specialization: str
    xp: int
    outcome: Outcome
    latency_s: float
    attempts: int = 1
    error: str | None = None

    def to_row(self) -> list[Any]:
        """The entry as a JSON (and msgpack) array, fields in declaration order: the one form every ledger file and
        every batch a Locust worker streams to its master uses. Fields added later go at the end, with defaults,
        and must be plain JSON values."""
        row: list[Any] = [getattr(self, f.name) for f in fields(self)]
        row[4], row[5] = self.outcome.value, round(self.latency_s, 6)
        return row

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> LedgerEntry:
        """The inverse of ``to_row``; a shorter row (written before a field was added) takes the defaults."""
        values = list(row)
        values[4] = Outcome(values[4])
        return cls(*values)


Pair = tuple[int, str]


class Ledger:
    def __init__(self) -> None:
        self._entries: list[LedgerEntry] = []
        self._lock = threading.Lock()

    def record(self, entry: LedgerEntry) -> None:
        with self._lock:
            self._entries.append(entry)

    @property
    def entries(self) -> list[LedgerEntry]:
        with self._lock:
            return list(self._entries)

    def xp_by_pair(self, outcome: Outcome) -> dict[Pair, int]:
        totals: dict[Pair, int] = defaultdict(int)
        for e in self.entries:
            if e.outcome is outcome:
                totals[(e.user_id, e.specialization)] += e.xp
        return dict(totals)

    def counts(self) -> dict[str, int]:
        counts = {o.value: 0 for o in Outcome}
        for e in self.entries:
            counts[e.outcome.value] += 1
        return counts

    def retries(self) -> int:
        return sum(e.attempts - 1 for e in self.entries)
