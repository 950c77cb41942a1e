"""``latency_report.md``: a swarm's or capacity search's latency, recomputed from the run's ``histograms.json``.

Every set of histograms the run keeps (reports/histogram_metrics.py) gets a section: which load model produced
it (open: requests on a schedule of intended starts; closed: users that wait for their replies), the
percentiles of each measure recomputed from the encoded HdrHistograms merged over every Locust process (exact
to 3 significant digits, never the rounded stored ones), and every slot of the open model accounted for:
completed, dropped late, cut off by the end of the run, in flight. Computed into dataclasses, then rendered.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from reports.histogram_metrics import DEFAULT_PERCENTILES, HistogramSet, histogram_sets, label
from reports.run_reader import RunReader

FILENAME = "latency_report.md"
#: What each histogram measures, in the order shown (the dispatch lag is the generator's own lateness).
MEASURES = {"response": "response time (from the intended start)", "service": "service time (from the send)",
            "lag": "schedule lag (send - intended start)", "dispatch": "dispatch lag (the generator's own)"}
SLOTS = ("scheduled", "completed", "dropped_late", "unstarted_at_end", "in_flight_at_end")


@dataclass(frozen=True)
class MeasureRow:
    measure: str
    count: int
    percentiles_ms: dict[str, float | None]
    max_ms: float | None


@dataclass(frozen=True)
class LatencySection:
    stage: str
    subject: str
    model: str
    #: Which model produced the figures, in words.
    produced_by: str
    rows: list[MeasureRow]
    slots: dict[str, int]
    dropped_ratio: float | None
    failures: int
    processes: int
    expected_processes: int
    clamped: int
    files: list[str]


def _model_words(found: HistogramSet) -> str:
    if found.model != "open":
        return ("closed model: Locust's users each wait for their reply before sending again; only the service "
                "time (from the send) exists, and a stall shows as a few slow requests, not as every request that "
                "would have arrived during it")
    plan = found.plan or {}

    def shown(key: str) -> str:
        value = plan.get(key)
        return "?" if value is None else f"{value:g}" if isinstance(value, float) else str(value)

    return (f"open model: {shown('arrivals')} arrivals at {shown('rate_per_s')}/s offered, taken by at most "
            f"{shown('max_users')} users; a request that could not start within {shown('late_limit_s')} s is "
            "dropped and counted")


def section(found: HistogramSet, percentiles: Sequence[float]) -> LatencySection:
    rows = []
    for name, words in MEASURES.items():
        histogram = found.histograms.get(name)
        if histogram is None or (found.model != "open" and name != "service"):
            continue
        rows.append(MeasureRow(words, histogram.count, {label(p): histogram.percentile_ms(p) for p in percentiles},
                               None if not histogram.count else histogram.hdr.get_max_value() / 1000))
    slots = {key: found.counts.get(key, 0) for key in SLOTS} if found.model == "open" else {}
    scheduled = slots.get("scheduled", 0)
    return LatencySection(found.stage, found.subject, found.model, _model_words(found), rows, slots,
                          slots["dropped_late"] / scheduled if scheduled else None, found.failures, found.processes,
                          found.expected_processes, found.clamped, found.files)


def latency_sections(run: RunReader, percentiles: Sequence[float] = DEFAULT_PERCENTILES) -> list[LatencySection]:
    return [section(found, percentiles) for found in histogram_sets(run)]


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.3g}" if value < 100 else f"{value:,.0f}"


def render(name: str, sections: list[LatencySection], percentiles: Sequence[float]) -> str:
    labels = [label(p) for p in percentiles]
    lines = [f"# Latency: {name}", "",
             "Recomputed from the run's `histograms.json` (HdrHistograms in µs, merged over every Locust process, "
             "exact to 3 significant digits); milliseconds.", ""]
    if not sections:
        lines += ["Not measured: this run keeps no histograms.json.", ""]
    for s in sections:
        lines += [f"## {s.stage}{f': {s.subject}' if s.subject else ''}", "", f"Produced by the {s.produced_by}.", "",
                  "| measure | count | " + " | ".join(labels) + " | max |",
                  "|---|---:|" + "---:|" * len(labels) + "---:|"]
        lines += [f"| {r.measure} | {r.count:,} | " + " | ".join(_ms(r.percentiles_ms[k]) for k in labels)
                  + f" | {_ms(r.max_ms)} |" for r in s.rows]
        lines.append("")
        if s.slots:
            dropped = "-" if s.dropped_ratio is None else f"{s.dropped_ratio:.2%}"
            lines.append(f"- slots: {s.slots['scheduled']:,} scheduled, {s.slots['completed']:,} completed, "
                         f"{s.slots['dropped_late']:,} dropped late ({dropped}), {s.slots['unstarted_at_end']:,} "
                         f"cut off by the end of the run, {s.slots['in_flight_at_end']:,} in flight at the end")
        lines.append(f"- failed requests: {s.failures:,}")
        complete = "" if s.processes >= s.expected_processes else " INCOMPLETE: a process's share never arrived"
        lines.append(f"- processes: {s.processes} of {s.expected_processes}{complete}")
        if s.clamped:
            lines.append(f"- {s.clamped:,} values past an hour, clamped to it")
        lines += [f"- from: {', '.join(f'`{f}`' for f in s.files)}", ""]
    return "\n".join(lines)


def write_latency_report(path: Path, sections: list[LatencySection],
                         percentiles: Sequence[float] = DEFAULT_PERCENTILES) -> Path:
    """Write ``latency_report.md`` into the run at ``path``."""
    target = path / FILENAME
    target.write_text(render(path.name, sections, percentiles))
    return target
