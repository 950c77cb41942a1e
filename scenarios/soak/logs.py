"""The seed's log analysis, automated: read the job's JSON run logs of the soak back, summarise them
(statuses, durations, totals, gaps between consecutive successes longer than interval + grace), and
cross-check the summary against what the soak saw directly through the scheduler's events."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from scenarios.soak.stats import Gap, Spread, gaps, spread


@dataclass(frozen=True)
class LogAnalysis:
    files: int
    unreadable: list[str]
    statuses: dict[str, int]
    duration_s: Spread
    issues_found: int
    synced: int
    failed: int
    #: Between consecutive successful runs (their ends), longer than interval + misfire grace.
    gaps: list[Gap]
    gap_limit_s: float
    errors: list[str] = field(default_factory=list)
    starts: list[str] = field(default_factory=list, repr=False)


@dataclass(frozen=True)
class CrossCheck:
    check: str
    from_logs: Any
    observed: Any

    @property
    def agrees(self) -> bool:
        return bool(self.from_logs == self.observed)


def read_logs(log_dir: Path) -> tuple[list[dict[str, Any]], list[str]]:
    runs, unreadable = [], []
    for path in sorted(log_dir.glob("*_sync.json")) if log_dir.exists() else []:
        try:
            runs.append(json.loads(path.read_text()))
        except (OSError, json.JSONDecodeError):
            unreadable.append(path.name)
    return runs, unreadable


def summarise(runs: Sequence[dict[str, Any]], *, gap_limit_s: float,
              unreadable: Sequence[str] = ()) -> LogAnalysis:
    """Pure: the summary of run records shaped like the job's JSON log (``SyncJobRun``)."""
    ends = [datetime.fromisoformat(r["job_end"]) for r in runs if r["status"] == "success"]
    return LogAnalysis(
        files=len(runs) + len(unreadable), unreadable=list(unreadable),
        statuses=dict(sorted(Counter(r["status"] for r in runs).items())),
        duration_s=spread([float(r["duration_seconds"]) for r in runs]),
        issues_found=sum(int(r["issues_found"]) for r in runs), synced=sum(int(r["synced_count"]) for r in runs),
        failed=sum(int(r["failed_count"]) for r in runs), gaps=gaps(ends, gap_limit_s), gap_limit_s=gap_limit_s,
        errors=[str(r["error"]) for r in runs if r.get("error")],
        starts=sorted(str(r["job_start"]) for r in runs))


def analyse_logs(log_dir: Path, *, gap_limit_s: float) -> LogAnalysis:
    runs, unreadable = read_logs(log_dir)
    return summarise(runs, gap_limit_s=gap_limit_s, unreadable=unreadable)


def cross_check(logs: LogAnalysis, observed: LogAnalysis) -> list[CrossCheck]:
    """The logs' story against the soak's own observations (the same summary of the runs the scheduler
    reported as executed): any difference means a run was not logged, logged twice, or logged wrongly."""
    return [
        CrossCheck("runs", logs.files, observed.files),
        CrossCheck("unreadable log files", len(logs.unreadable), 0),
        CrossCheck("statuses", logs.statuses, observed.statuses),
        CrossCheck("run starts", logs.starts, observed.starts),
        CrossCheck("issues found", logs.issues_found, observed.issues_found),
        CrossCheck("synced", logs.synced, observed.synced),
        CrossCheck("failed repairs", logs.failed, observed.failed),
        CrossCheck("max duration s", round(logs.duration_s.max, 6), round(observed.duration_s.max, 6)),
        CrossCheck("p95 duration s", round(logs.duration_s.p95, 6), round(observed.duration_s.p95, 6)),
        CrossCheck("gaps longer than interval + grace", [(g.after, g.before) for g in logs.gaps],
                   [(g.after, g.before) for g in observed.gaps]),
    ]
