"""After a swarm: the read checker over the history its processes recorded, as rows and gate failures.

One row per read mode the swarm read in; the system's own read modes (``system_code``) are gated for
every strategy but legacy: a fractured read there is the system showing a user a desync it never had. A
workload that reads, but never in a system mode, leaves that gate *not measured*, said as such.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from scenarios.read_checker import BETWEEN, TORN, VISIBLE, ModeVerdict, check_reads
from scenarios.read_history import read_histories
from scenarios.read_modes import READ_MODES

#: Strategies measured but not gated (they are expected to show their writers' gaps).
UNGATED = frozenset({"legacy"})


@dataclass(frozen=True)
class ReadRow:
    strategy: str
    mode: str
    system_code: bool
    reads: int
    failed_reads: int
    torn: int
    between: int
    visible: int
    fractured: int
    #: Fractured reads per thousand successful reads; None with none to judge.
    rate_per_1000: float | None
    #: The first few fractured reads of each kind with the writes that explain them.
    examples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


@dataclass(frozen=True)
class SwarmReads:
    strategy: str
    writes_recorded: int
    rows: list[ReadRow]
    failures_of_gates: list[str]
    not_measured: list[str]


def _row(strategy: str, verdict: ModeVerdict) -> ReadRow:
    mode = READ_MODES.get(verdict.mode)
    examples = {kind: [{"why": f.why, "read": asdict(f.read), "writes": [asdict(w) for w in f.writes]}
                       for f in found] for kind, found in verdict.examples.items()}
    return ReadRow(strategy, verdict.mode, bool(mode and mode.system_code), verdict.reads, verdict.failed_reads,
                   verdict.fractured[TORN], verdict.fractured[BETWEEN], verdict.fractured[VISIBLE],
                   verdict.fractured_total, verdict.rate_per_1000, examples)


def judge_reads(strategy: str, ledger_dir: Path, *, workload_reads: bool) -> SwarmReads:
    history = read_histories(ledger_dir)
    verdict = check_reads(history.reads, history.writes)
    rows = [_row(strategy, m) for m in verdict.modes]
    failures, not_measured = [], []
    if strategy not in UNGATED and workload_reads:
        system_rows = [r for r in rows if r.system_code]
        if not any(r.reads for r in system_rows):
            not_measured.append(f"{strategy}: the system's readers (service, api) were not read")
        failures = [f"reads {r.mode}: {r.fractured} fractured read(s) in {r.reads} (torn {r.torn}, between "
                    f"transactions {r.between}, visible desync {r.visible})" for r in system_rows if r.fractured]
    return SwarmReads(strategy, len(history.writes), rows, failures, not_measured)
