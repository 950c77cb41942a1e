"""After a swarm: the read checker over the history its processes recorded, as rows and gate failures
(``swarm_reads.json``, plsync/records/reads.py).

One row per read mode the swarm read in; the system's own read modes (``system_code``) are gated for
every strategy but legacy: a fractured read there is the system showing a user a desync it never had. A
workload that reads, but never in a system mode, leaves that gate *not measured*, said as such.

Distributed, the history of each worker was streamed to the master (loadtests/history_stream.py); a worker
whose history (or ledger) the master cannot vouch for is named in ``ledger_stream.json``, and the reads are then
*incomplete*: a gate failure for every strategy, never a pass built on part of the reads.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from loadtests.ledger_stream import read_manifest
from plsync.records.reads import FracturedExample, ReadModeRow, SwarmReadsRecord
from scenarios.read_checker import BETWEEN, TORN, VISIBLE, ModeVerdict, check_reads
from scenarios.read_history import read_histories
from scenarios.read_modes import READ_MODES

#: Strategies measured but not gated (they are expected to show their writers' gaps).
UNGATED = frozenset({"legacy"})


def _row(strategy: str, verdict: ModeVerdict) -> ReadModeRow:
    mode = READ_MODES.get(verdict.mode)
    examples = {kind: [FracturedExample.model_validate({"why": f.why, "read": asdict(f.read),
                                                        "writes": [asdict(w) for w in f.writes]}) for f in found]
                for kind, found in verdict.examples.items()}
    return ReadModeRow(strategy=strategy, mode=verdict.mode, system_code=bool(mode and mode.system_code),
                       reads=verdict.reads, failed_reads=verdict.failed_reads, torn=verdict.fractured[TORN],
                       between=verdict.fractured[BETWEEN], visible=verdict.fractured[VISIBLE],
                       fractured=verdict.fractured_total, rate_per_1000=verdict.rate_per_1000, examples=examples)


def judge_reads(strategy: str, ledger_dir: Path, *, workload_reads: bool) -> SwarmReadsRecord:
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
    manifest = read_manifest(ledger_dir)  # only a distributed master writes one
    if manifest is not None and workload_reads:
        failures += [f"reads incomplete: worker {w}: {why}" for w, why in sorted(manifest.incomplete.items())]
    return SwarmReadsRecord(strategy=strategy, writes_recorded=len(history.writes), rows=rows,
                            failures_of_gates=failures, not_measured=not_measured)
