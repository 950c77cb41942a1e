"""Render benchmark records and scale fits as text, Markdown or Rich tables.

A median marked ``~`` is unstable by pyperf's rules (the reasons are listed under the table)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.table import Table

from benchmarks.results import PARAMS
from plsync.records.benchmarks import BenchmarkRecord

HEADERS = ("operation", "strategy", "case", "median ms", "p99 ms", "raw ms", "x raw", "target", "aim")


def _ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if value < 10 else f"{value:.1f}" if value < 1000 else f"{value:,.0f}"


def size(n: int) -> str:
    """10000 -> 10k, 1000000 -> 1M."""
    if n and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    return f"{n // 1000}k" if n and n % 1000 == 0 else str(n)


def case_of(r: BenchmarkRecord) -> str:
    """Every parameter but the strategy: users and desyncs as sizes, the rest as words."""
    parts = []
    for key in PARAMS[1:]:
        value = getattr(r, key)
        if value is not None:
            parts.append(f"{size(value)} {key}" if isinstance(value, int) else str(value))
    return " ".join(parts)


def _target(r: BenchmarkRecord) -> str:
    t = r.target
    if not t:
        return "-"
    verdict = "MISSED" if r.target_status == "fail" else "ok"
    return f"{t.metric.removesuffix('_ms')} <= {t.max_ms:g} ms: {verdict}"


def _aim(r: BenchmarkRecord) -> str:
    if not r.aim:
        return "-"
    return "missed" if r.aim_missed else "met"


def cells(r: BenchmarkRecord) -> list[str]:
    ratio = r.ratio_to_raw
    return [r.operation, r.strategy or "-", case_of(r) or "-",
            _ms(r.median_ms) + ("~" if r.unstable else ""), _ms(r.p99_ms),
            _ms(r.raw_median_ms) + ("~" if r.raw_unstable else ""),
            f"{ratio:.2f}" if ratio is not None else "-", _target(r), _aim(r)]


def notes(rows: Sequence[BenchmarkRecord]) -> list[str]:
    """The unstable results with pyperf's reasons, missed aims and targets, one line each."""
    lines = []
    for r in rows:
        if r.unstable:
            lines.append(f"~ {r.name}: unstable: {'; '.join(r.unstable)}")
        if r.raw_unstable:
            lines.append(f"~ {r.name}: raw SQL unstable: {'; '.join(r.raw_unstable)}")
        if r.target_failure:
            lines.append(f"! {r.name}: target missed: {r.target_failure}")
        if r.aim_missed:
            lines.append(f"- {r.name}: aim missed: {r.aim_missed}")
    return lines


def text_table(rows: Sequence[BenchmarkRecord]) -> list[str]:
    grid = [list(HEADERS)] + [cells(r) for r in rows]
    widths = [max(len(line[i]) for line in grid) for i in range(len(HEADERS))]
    return ["  ".join(c.ljust(w) if i < 3 or i > 6 else c.rjust(w) for i, (c, w) in enumerate(zip(line, widths,
                                                                                                 strict=True)))
            for line in grid]


def markdown_table(rows: Sequence[BenchmarkRecord]) -> list[str]:
    lines = ["| " + " | ".join(HEADERS) + " |", "|---|---|---|---:|---:|---:|---:|---|---|"]
    lines += ["| " + " | ".join(cells(r)) + " |" for r in rows]
    return lines


def rich_table(rows: Sequence[BenchmarkRecord], title: str) -> Table:
    table = Table(title=title)
    for i, header in enumerate(HEADERS):
        table.add_column(header, justify="right" if 3 <= i <= 6 else "left")
    for r in rows:
        style = "red" if r.target_status == "fail" else None
        table.add_row(*cells(r), style=style)
    return table


def scale_lines(fits: Sequence[Any]) -> list[str]:
    return [f"{f.operation}: time ~ size^{f.exponent:.2f} ({f.verdict}; sizes "
            f"{', '.join(f'{n:,}' for n in f.sizes)}; r^2 {f.r_squared:.3f})" for f in fits]
