"""A comparison for people: a terminal table and a self-contained HTML page, from the compared rows."""

from __future__ import annotations

import math

from rich.markup import escape
from rich.table import Table

from reports.compare import BETTER, MIN_RUNS, WORSE, Row
from reports.html import templates

STYLE = {BETTER: "green", WORSE: "red"}


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.4g}"


def _pct(row: Row) -> str:
    if row.diff_pct is None:
        return row.change
    return ("+∞" if row.diff_pct > 0 else "-∞") if math.isinf(row.diff_pct) else f"{row.diff_pct:+.1f}%"


def _significance(row: Row) -> str:
    """The test between runs: only with repeated runs; one run's own samples say nothing of it."""
    if row.p_value is None:
        return "-"
    return f"{'differ' if row.significant else 'no difference'} (p={row.p_value:.2g})"


def compare_table(rows: list[Row], baseline: str, contender: str, *, only_changed: bool = False) -> Table:
    table = Table(title=f"{baseline} (baseline) vs {contender} (contender): counts and ratios to a control in the "
                        f"same run gate; a raw measurement only over {MIN_RUNS}+ runs a side")
    for header in ("metric", "stage", "baseline", "contender", "diff", "diff %", "unit", "gated on", "between runs"):
        table.add_column(header, justify="right" if header in ("baseline", "contender", "diff", "diff %")
                         else "left")
    for row in rows:
        if only_changed and row.change == "same":
            continue
        style = STYLE.get(row.change, "")
        name = f"{row.metric} [{row.subject}]" if row.subject else row.metric
        cells = (escape(name), row.stage, _number(row.baseline), _number(row.contender), _number(row.diff), _pct(row),
                 row.unit, row.basis, _significance(row))
        table.add_row(*cells, style=style or None)
    return table


def compare_html(rows: list[Row], baseline: str, contender: str, failures: list[str]) -> str:
    view = [{"row": row, "pct": _pct(row), "significance": _significance(row), "baseline": _number(row.baseline),
             "contender": _number(row.contender), "diff": _number(row.diff)} for row in rows]
    return templates().get_template("compare.html.j2").render(rows=view, baseline=baseline, contender=contender,
                                                              failures=failures, min_runs=MIN_RUNS)
