"""Locust's per-second stats history (``--csv`` writes ``<prefix>_stats_history.csv``) as plain records,
so a run's JSON carries the swarm over time and reports never read Locust's files."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class HistoryPoint:
    t_s: int  # seconds since the first sample
    epoch: int  # wall clock of the sample
    users: int
    total_requests: int
    rps: float
    failures_per_s: float
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None


def _number(raw: str) -> float | None:
    return None if raw in ("", "N/A") else float(raw)


def read_history(path: Path) -> list[HistoryPoint]:
    """The aggregated row of every sample, in time order; empty when Locust wrote no history."""
    if not path.exists():
        return []
    with path.open(newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r.get("Name") == "Aggregated"]
    if not rows:
        return []
    start = int(rows[0]["Timestamp"])
    return [HistoryPoint(int(r["Timestamp"]) - start, int(r["Timestamp"]), int(r["User Count"]),
                         int(r["Total Request Count"]), float(r["Requests/s"]), float(r["Failures/s"]),
                         _number(r["50%"]), _number(r["95%"]), _number(r["99%"]))
            for r in rows]
