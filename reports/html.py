"""The readiness report as one self-contained HTML page (styles and plots inline, no script, no request to
any address), rendered with Jinja2 from the run's JSON files alone."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from plsync.records.files import CAPACITY, ENVIRONMENT, MATRIX, OVERLOAD, READS, VERDICT
from plsync.records.scenarios import MatrixCellRecord
from reports.plots.base import Plot
from reports.plots.run_plots import run_plots
from reports.run_reader import RunReader
from reports.scorecard import Scorecard


def templates() -> Environment:
    return Environment(loader=PackageLoader("reports", "templates"), autoescape=select_autoescape(["html", "j2"]),
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def matrix_view(cells: list[MatrixCellRecord]) -> dict[str, Any] | None:
    if not cells:
        return None
    strategies = list(dict.fromkeys(c.strategy for c in cells))
    rows: OrderedDict[str, dict[str, MatrixCellRecord]] = OrderedDict()
    for cell in cells:
        rows.setdefault(cell.scenario, {})[cell.strategy] = cell
    return {"strategies": strategies, "rows": list(rows.items()), "cells": cells}


def overload_view(run: RunReader) -> dict[str, Any] | None:
    """The overload record with its headline lines (computed by reports/overload.py, not in the template)."""
    from reports.overload import PHASE_HEADERS, headline, phase_cells

    record = run.get(OVERLOAD)
    if record is None:
        return None
    return {"record": record, "lines": headline(record), "headers": PHASE_HEADERS, "rows": phase_cells(record)}


def render_html(run: RunReader, card: Scorecard, plots: list[Plot] | None = None,
                missing: list[str] | None = None) -> str:
    if plots is None:
        plots, missing = run_plots(run)
    env = run.get(ENVIRONMENT)
    # The installed packages are in environment.json for whoever compares two runs; the page shows their count.
    env_view = {} if env is None else env.model_dump(exclude={"packages"}) | (
        {"packages": f"{len(env.packages)} installed (see environment.json)"} if env.packages else {})
    return templates().get_template("report.html.j2").render(
        card=card, verdict=run.load(VERDICT), env=env_view, run_name=run.path.name,
        plots=plots, missing_plots=missing or [], matrix=matrix_view(run.get(MATRIX, [])), reads=run.get(READS),
        capacity=run.get(CAPACITY), overload=overload_view(run))
