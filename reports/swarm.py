"""Render swarm results (from their JSON) as tables."""

from __future__ import annotations

from typing import Any

from rich.table import Table


def swarm_table(results: list[dict[str, Any]], title: str = "Swarm") -> Table:
    table = Table(title=title)
    for header in ("strategy", "users", "req/s", "p50 ms", "p95 ms", "p99 ms", "failed", "retries", "lost XP",
                   "desynced", "open txns", "verdict"):
        table.add_column(header, justify="left" if header in ("strategy", "verdict") else "right", no_wrap=True)
    for r in results:
        ok = not r["failures_of_gates"]
        style = "green" if ok else "red"
        table.add_row(r["strategy"], str(r["users"]), f"{r['rps']:.0f}",
                      f"{r['p50_ms']:.0f}", f"{r['p95_ms']:.0f}", f"{r['p99_ms']:.0f}", str(r["failures"]),
                      str(r["retries"]), f"[{style}]{r['lost_xp']}[/]", f"[{style}]{r['desynced_pairs']}[/]",
                      str(r["max_open_transactions"]), f"[{style}]{'pass' if ok else 'FAIL'}[/]")
    return table


def swarm_markdown(results: list[dict[str, Any]]) -> list[str]:
    lines = ["| strategy | workload | users | req/s | p95 ms | p99 ms | failed | retries | lost XP | desynced "
             "| verdict |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in results:
        verdict = "pass" if not r["failures_of_gates"] else "FAIL: " + "; ".join(r["failures_of_gates"])
        lines.append(f"| {r['strategy']} | {r['workload']} | {r['users']} | {r['rps']:.0f} | {r['p95_ms']:.0f} | "
                     f"{r['p99_ms']:.0f} | {r['failures']} | {r['retries']} | {r['lost_xp']} | {r['desynced_pairs']} "
                     f"| {verdict} |")
    return lines
