"""Render what readers saw (the read checker's records, plsync/records/reads.py) beside the ledger's verdict."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table

from plsync.records.reads import ReadModeRow, ReadsRecord, SwarmReadsRecord
from plsync.records.swarms import SwarmRecord

KIND_HEADERS = (("torn", "torn 1 txn"), ("between", "between 2 txns"), ("visible", "visible desync"))
#: What a report says for a run without ``reads.json``.
NOT_MEASURED = "not measured: the reads stage did not run"
#: ... and for a ``reads.json`` with no record (no read mode was read).
NOTHING_READ = "not measured: the reads stage recorded no read"


def _rate(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:.2f}"


def _kinds(row: ReadModeRow | ReadsRecord) -> list[str]:
    return [str(row.torn), str(row.between), str(row.visible)]


def _mode(row: ReadModeRow | ReadsRecord) -> str:
    return f"{row.mode}{' (system)' if row.system_code else ''}"


def reads_table(reads: Sequence[SwarmReadsRecord], swarms: Sequence[SwarmRecord],
                title: str = "What readers saw (read checker) beside the ledger") -> Table:
    """One line per strategy and read mode: reads, fractured by kind, per thousand; the ledger's lost XP and
    desynced pairs of the same swarm."""
    ledger = {s.strategy: s for s in swarms}
    table = Table(title=title)
    for header in ("strategy", "read mode", "reads", *(h for _, h in KIND_HEADERS), "fractured ‰", "lost XP",
                   "desynced", "reads verdict"):
        table.add_column(header, justify="left" if header in ("strategy", "read mode", "reads verdict") else "right",
                         no_wrap=True)
    for result in reads:
        failing = {f.split(":")[0].removeprefix("reads ") for f in result.failures_of_gates}
        swarm = ledger.get(result.strategy)
        for row in result.rows:
            gated = row.system_code and result.strategy != "legacy"
            verdict = ("FAIL" if row.mode in failing else "pass") if gated else "measured"
            style = {"FAIL": "red", "pass": "green"}.get(verdict, "")
            table.add_row(result.strategy, _mode(row), str(row.reads), *_kinds(row), _rate(row.rate_per_1000),
                          "-" if swarm is None else str(swarm.lost_xp),
                          "-" if swarm is None else str(swarm.desynced_pairs),
                          f"[{style}]{verdict}[/]" if style else verdict)
    return table


def reads_markdown(reads: Sequence[SwarmReadsRecord]) -> list[str]:
    lines = ["| strategy | read mode | reads | torn 1 txn | between 2 txns | visible desync | fractured per 1000 |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for result in reads:
        lines += [f"| {result.strategy} | {row.mode} | {row.reads} | {' | '.join(_kinds(row))} "
                  f"| {_rate(row.rate_per_1000)} |" for row in result.rows]
    return lines


def records_table(records: Sequence[ReadsRecord], title: str = "What readers see: fractured reads per strategy and "
                  "read mode (read-heavy swarms)") -> Table:
    """The readiness stage's flat records (``reads.json``)."""
    table = Table(title=title)
    for header in ("strategy", "transport", "read mode", "reads", *(h for _, h in KIND_HEADERS), "fractured ‰"):
        table.add_column(header, justify="left" if header in ("strategy", "transport", "read mode") else "right",
                         no_wrap=True)
    for r in records:
        table.add_row(r.strategy, r.transport, _mode(r), str(r.reads), *_kinds(r), _rate(r.rate_per_1000))
    return table


def records_markdown(records: Sequence[ReadsRecord]) -> list[str]:
    """``reads.json`` as a markdown table; with no record, one line saying it was not measured."""
    if not records:
        return [NOTHING_READ]
    lines = ["| strategy | transport | read mode | reads | torn 1 txn | between 2 txns | visible desync "
             "| fractured per 1000 |", "|---|---|---|---:|---:|---:|---:|---:|"]
    lines += [f"| {r.strategy} | {r.transport} | {_mode(r)} | {r.reads} | {' | '.join(_kinds(r))} "
              f"| {_rate(r.rate_per_1000)} |" for r in records]
    return lines
