"""Render desync-recovery stress results (their records) as a table."""

from __future__ import annotations

from rich.table import Table

from plsync.records.recovery import RecoveryStressRecord

COLUMNS = (
    ("users", "users", "{:,}"), ("faults", "faults", "{:,}"), ("seed s", "seed_seconds", "{:.2f}"),
    ("raw detect ms", "raw_detect_ms", "{:.1f}"), ("detect ms", "detect_ms", "{:.1f}"),
    ("x raw", "detect_ratio", "{:.2f}"), ("raw repair ms", "raw_repair_ms", "{:.1f}"),
    ("repair ms", "repair_ms", "{:.1f}"), ("success", "success_rate", "{:.1%}"),
    ("left", "remaining_issues", "{}"), ("exact detection", "detection_perfect", "{}"),
    ("peak RSS MB", "peak_rss_mb", "{:.0f}"),
)
_unknown = [key for _, key, _ in COLUMNS if key not in RecoveryStressRecord.model_fields]
if _unknown:
    raise TypeError(f"recovery table: RecoveryStressRecord has no field(s) {_unknown}")


def recovery_table(results: list[RecoveryStressRecord]) -> Table:
    table = Table(title="Desync recovery stress (medians of 5 detections; repair includes detection)")
    for header, _, _ in COLUMNS:
        table.add_column(header, justify="right")
    for r in results:
        table.add_row(*(fmt.format(getattr(r, key)) for _, key, fmt in COLUMNS))
    return table


def recovery_markdown(results: list[RecoveryStressRecord]) -> list[str]:
    lines = ["| " + " | ".join(h for h, _, _ in COLUMNS) + " |", "|" + "---:|" * len(COLUMNS)]
    lines += ["| " + " | ".join(fmt.format(getattr(r, key)) for _, key, fmt in COLUMNS) + " |" for r in results]
    return lines
