"""Health monitor: alert when the last successful sync run is older than the allowed age (7 h)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SyncHealth:
    healthy: bool
    last_success: datetime | None
    age_seconds: float | None
    runs_seen: int
    alert: str | None


def last_successful_run(log_dir: Path) -> tuple[datetime | None, int]:
    latest, seen = None, 0
    for path in sorted(log_dir.glob("*_sync.json")) if log_dir.exists() else []:
        try:
            run = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            continue  # a torn or foreign file is not a success
        seen += 1
        if run.get("status") == "success":
            ended = datetime.fromisoformat(run["job_end"])
            latest = ended if latest is None or ended > latest else latest
    return latest, seen


def check_sync_job_health(log_dir: Path, *, stale_after_s: float = 7 * 3600, now: datetime | None = None,
                          alert: Callable[[str], None] | None = None) -> SyncHealth:
    now = now or datetime.now(UTC)
    last, seen = last_successful_run(log_dir)
    message: str | None
    if last is None:
        message = f"background sync job has no successful run on record in {log_dir}"
        age = None
    else:
        age = (now - last).total_seconds()
        message = (f"background sync job may be down: last success {age / 3600:.1f} h ago "
                   f"(limit {stale_after_s / 3600:.1f} h)") if age > stale_after_s else None
    if message is not None:
        (alert or log.warning)(message)
    return SyncHealth(message is None, last, age, seen, message)
