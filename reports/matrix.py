"""Render the scenario x strategy matrix from its records: a terminal grid and Markdown with the evidence."""

from __future__ import annotations

from collections import OrderedDict

from rich.table import Table

from plsync.records.scenarios import MatrixCellRecord

SHORT = {"prevented": "prevented", "transient": "transient", "detected_and_repaired": "repaired",
         "occurred": "OCCURRED", "skipped": "skipped", "error": "ERROR"}
STYLE = {"prevented": "green", "transient": "yellow", "detected_and_repaired": "yellow", "occurred": "red",
         "skipped": "dim", "error": "bold red"}


def _grid(cells: list[MatrixCellRecord]) -> tuple[list[str], OrderedDict[str, dict[str, MatrixCellRecord]]]:
    strategies: list[str] = []
    rows: OrderedDict[str, dict[str, MatrixCellRecord]] = OrderedDict()
    for cell in cells:
        if cell.strategy not in strategies:
            strategies.append(cell.strategy)
        rows.setdefault(cell.scenario, {})[cell.strategy] = cell
    return strategies, rows


def _mark(cell: MatrixCellRecord) -> str:
    mark = SHORT.get(cell.observed, cell.observed)
    if not cell.matches:
        mark += " (!)"
    if cell.contradicted_claims:
        mark += " *"
    return mark


def matrix_table(cells: list[MatrixCellRecord]) -> Table:
    strategies, rows = _grid(cells)
    table = Table(title="Scenarios x strategies: observed outcome "
                        "((!) = not as expected, * = contradicts a seed's claim)")
    table.add_column("scenario")
    for s in strategies:
        table.add_column(s)
    for scenario, by_strategy in rows.items():
        table.add_row(scenario, *(f"[{STYLE.get(by_strategy[s].observed, 'white')}]{_mark(by_strategy[s])}[/]"
                                  if s in by_strategy else "" for s in strategies))
    return table


def contradictions(cells: list[MatrixCellRecord]) -> list[str]:
    lines = []
    for cell in cells:
        for claim in cell.contradicted_claims:
            lines.append(f"{cell.scenario} under {cell.strategy}: seed {claim.source} says "
                         f"\"{claim.words}\" ({claim.outcome}); measured: {cell.observed}.")
    return lines


def matrix_markdown(cells: list[MatrixCellRecord]) -> list[str]:
    strategies, rows = _grid(cells)
    lines = ["| scenario | " + " | ".join(strategies) + " |", "|---|" + "---|" * len(strategies)]
    for scenario, by_strategy in rows.items():
        lines.append(f"| {scenario} | " + " | ".join(_mark(by_strategy[s]) if s in by_strategy else ""
                                                      for s in strategies) + " |")
    found = contradictions(cells)
    lines += ["", "Where the measurements contradict the seeds' claims:", ""]
    lines += [f"- {line}" for line in found] if found else ["- nowhere"]
    mismatched = [c for c in cells if not c.matches]
    if mismatched:
        lines += ["", "Cells not as expected:", ""]
        lines += [f"- {c.scenario} / {c.strategy}: observed {c.observed}, expected "
                  f"{' or '.join(c.expected)}; evidence: {c.evidence}" for c in mismatched]
    return lines
