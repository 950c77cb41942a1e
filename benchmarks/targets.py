"""The documented latency targets, declared once as data (the floor, not the aim)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LatencyTarget:
    name: str
    operation: str
    metric: str  # a field of a latency summary: median_ms, p95_ms, p99_ms
    max_ms: float
    source: str

    def __post_init__(self) -> None:
        if self.max_ms <= 0:
            raise ValueError(f"target {self.name}: max_ms must be positive")
        if self.metric not in ("median_ms", "p95_ms", "p99_ms", "mean_ms", "max_ms"):
            raise ValueError(f"target {self.name}: unknown metric {self.metric!r}")

    def fails(self, observed_ms: float) -> str | None:
        if observed_ms <= self.max_ms:
            return None
        return f"{self.name}: {self.metric} {observed_ms:.2f} ms exceeds {self.max_ms:g} ms ({self.source})"


TARGETS: tuple[LatencyTarget, ...] = (
    LatencyTarget("sync progress->license", "sync_progress_to_license", "p99_ms", 50, "002: < 50 ms"),
    LatencyTarget("sync license->progress", "sync_license_to_progress", "p99_ms", 50, "002: < 50 ms"),
    LatencyTarget("find desync issues (10k users)", "find_desync_issues", "max_ms", 5000, "002: < 5 s"),
    LatencyTarget("auto-sync 100 desyncs", "auto_sync_all", "max_ms", 10000, "002: < 10 s"),
    LatencyTarget("background sync job", "background_job", "max_ms", 30000, "002: < 30 s"),
    LatencyTarget("atomic level-up (lock hold)", "level_up", "p99_ms", 50, "001: lock hold 10-50 ms"),
)


def target_for(operation: str) -> LatencyTarget | None:
    return next((t for t in TARGETS if t.operation == operation), None)
