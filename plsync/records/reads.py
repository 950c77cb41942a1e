"""Records of what readers see (``reads`` stage and ``plsync swarm``): the read checker's verdict over the
history a swarm's processes recorded.

- ``swarm_reads.json`` (one swarm's folder): per read mode, reads and fractured reads by kind, with the first
  few of each kind and the writes that explain them, and the swarm's read gates.
- ``reads.json`` (the readiness run): one flat record per strategy, transport and read mode;
  ``reads_system.json`` the same records for the system's own read modes only, the file its gate judges.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from plsync.records.base import Record

Outcome = Literal["ok", "failed", "unknown"]


class ReadEvent(Record):
    """A reader saw the pair's two levels (None: that side was missing) somewhere in [start_s, end_s]."""

    mode: str
    user_id: int
    specialization: str
    start_s: float
    end_s: float
    progress_level: int | None
    license_level: int | None
    outcome: Outcome = "ok"
    error: str | None = None


class WriteEvent(Record):
    """A writer's commit(s) landed somewhere in [start_s, end_s], moving the levels from -> to."""

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
    outcome: Outcome = "ok"
    first_side: str = "progress"


class FracturedExample(Record):
    """One fractured read and the writes that explain it (overlapping ones, or the last before a visible
    desync)."""

    why: str
    read: ReadEvent
    writes: list[WriteEvent]


class ReadModeRow(Record):
    """One read mode over one swarm's history."""

    strategy: str
    mode: str
    #: A read mode of the system's own code (the service's ``validate_consistency``, the API over it).
    system_code: bool
    reads: int
    failed_reads: int
    torn: int
    between: int
    visible: int
    fractured: int
    #: Fractured reads per thousand successful reads; None with none to judge.
    rate_per_1000: float | None
    #: Per kind, the first few fractured reads with the writes that explain them.
    examples: dict[str, list[FracturedExample]] = Field(default_factory=dict)


class SwarmReadsRecord(Record):
    """The read checker over one swarm (``swarm_reads.json``)."""

    strategy: str
    writes_recorded: int
    rows: list[ReadModeRow]
    #: Fractured reads by the system's own readers (every strategy but legacy), one line each mode.
    failures_of_gates: list[str]
    #: Gates with nothing to judge: a workload that reads, but never in a system mode.
    not_measured: list[str]


class ReadsRecord(Record):
    """One strategy, transport and read mode of the ``reads`` stage (``reads.json``, ``reads_system.json``)."""

    strategy: str
    transport: str
    mode: str
    system_code: bool
    reads: int
    torn: int
    between: int
    visible: int
    #: None when the mode was not read at all: not measured, never a pass.
    fractured: int | None
    rate_per_1000: float | None
    note: str = ""
