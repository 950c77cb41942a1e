"""Render desync-recovery stress results (from their JSON) as a table."""

from __future__ import annotations

from typing import Any

from rich.table import Table

COLUMNS = (
    ("users", "users", "{:,}"), ("faults", "faults", "{:,}"), ("seed s", "seed_seconds", "{:.2f}"),
    ("raw detect ms", "raw_detect_ms", "{:.1f}"), ("detect ms", "detect_ms", "{:.1f}"),
    ("x raw", "detect_ratio", "{:.2f}"), ("raw repair ms", "raw_repair_ms", "{:.1f}"),
    ("repair ms", "repair_ms", "{:.1f}"), ("success", "success_rate", "{:.1%}"),
    ("left", "remaining_issues", "{}"), ("exact detection", "detection_perfect", "{}"),
    ("peak RSS MB", "peak_rss_mb", "{:.0f}"),
)


def recovery_table(results: list[dict[str, Any]]) -> Table:
    table = Table(title="Desync recovery stress (medians of 5 detections; repair includes detection)")
    for header, _, _ in COLUMNS:
        table.add_column(header, justify="right")
    for r in results:
        table.add_row(*(fmt.format(r[key]) for _, key, fmt in COLUMNS))
    return table


def recovery_markdown(results: list[dict[str, Any]]) -> list[str]:
    lines = ["| " + " | ".join(h for h, _, _ in COLUMNS) + " |", "|" + "---:|" * len(COLUMNS)]
    lines += ["| " + " | ".join(fmt.format(r[key]) for _, key, fmt in COLUMNS) + " |" for r in results]
    return lines
