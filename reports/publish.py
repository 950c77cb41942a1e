"""Everything a readiness run hands over, built from its JSON files alone: ``report.html`` (the page a
person opens), ``report.md``, ``scorecard.json`` and ``junit.xml`` (for CI); and ``latency_report.md`` when
the run keeps histograms (its swarms' and capacity steps' percentiles recomputed from them)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path

from reports.histogram_metrics import DEFAULT_PERCENTILES
from reports.html import render_html
from reports.junit import junit_xml
from reports.latency_report import latency_sections, write_latency_report
from reports.readiness import markdown
from reports.run_reader import RunReader
from reports.scorecard import Scorecard, build_scorecard

OUTPUTS = ("report.html", "report.md", "scorecard.json", "junit.xml")


def publish(path: Path, percentiles: Sequence[float] = DEFAULT_PERCENTILES) -> Scorecard:
    """(Re)build every output of the run at ``path``; returns its scorecard."""
    run = RunReader(path)
    sections = latency_sections(run, percentiles)
    if sections:
        write_latency_report(path, sections, percentiles)
    card = build_scorecard(run)
    (path / "scorecard.json").write_text(json.dumps(dataclasses.asdict(card) | {"blockers": [
        dataclasses.asdict(b) for b in card.blockers]}, indent=2) + "\n")
    (path / "junit.xml").write_text(junit_xml(run))
    (path / "report.md").write_text(markdown(run, card))
    (path / "report.html").write_text(render_html(run, card))
    return card
