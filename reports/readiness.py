"""Render a readiness run from its JSON files only: Rich tables for the terminal, Markdown for people."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from plsync.rundir import RunDirectory
from reports.matrix import matrix_markdown
from reports.recovery import recovery_markdown
from reports.swarm import swarm_markdown


def _invariant_summary(outcome: dict[str, Any]) -> str:
    failed = [r["name"] for r in outcome["invariants"]["results"] if r["violations"]]
    return "all hold" if not failed else ", ".join(failed)


def strategy_rows(run: RunDirectory) -> list[dict[str, Any]]:
    latency = {s["strategy"]: s for s in run.read_json("latency")}
    rows = []
    for outcome in run.read_json("concurrency"):
        lat = latency.get(outcome["strategy"], {})
        wall = outcome["wall_time_s"]
        rows.append({
            "strategy": outcome["strategy"],
            "median_ms": lat.get("median_ms"), "p99_ms": lat.get("p99_ms"), "samples": lat.get("samples"),
            "unstable": bool(lat) and lat["stdev_ms"] >= 0.1 * lat["mean_ms"],
            "operations": outcome["operations"], "ok": outcome["ok"],
            "failed": outcome["failed"] + outcome["unknown"], "retries": outcome["retries"],
            "lost_xp": outcome["lost_xp"], "acknowledged_xp": outcome["acknowledged_xp"],
            "desynced": outcome["desynced_pairs"], "wall_s": wall,
            "ops_per_s": outcome["operations"] / wall if wall else 0.0,
            "invariants": _invariant_summary(outcome),
        })
    return rows


def terminal_table(run: RunDirectory) -> Table:
    concurrency = run.read_json("concurrency")
    threads = concurrency[0]["threads"] if concurrency else 0
    per_thread = concurrency[0]["ops_per_thread"] if concurrency else 0
    table = Table(title=f"Strategies: single-threaded latency, and {threads} threads x {per_thread} "
                        "level-ups on one student")
    for header in ("strategy", "median ms", "p99 ms", "ops", "failed", "retries", "lost XP", "desynced",
                   "wall s", "ops/s", "invariants"):
        table.add_column(header, justify="left" if header in ("strategy", "invariants") else "right")
    for r in strategy_rows(run):
        bad = r["lost_xp"] or r["desynced"] or r["invariants"] != "all hold"
        style = "red" if bad else "green"
        median = f"{r['median_ms']:.2f}" + ("~" if r["unstable"] else "") if r["median_ms"] is not None else "-"
        p99 = f"{r['p99_ms']:.2f}" if r["p99_ms"] is not None else "-"
        table.add_row(r["strategy"], median, p99, str(r["operations"]), str(r["failed"]), str(r["retries"]),
                      f"[{style}]{r['lost_xp']}[/]", f"[{style}]{r['desynced']}[/]", f"{r['wall_s']:.2f}",
                      f"{r['ops_per_s']:.0f}", f"[{style}]{r['invariants']}[/]")
    return table


def markdown(run: RunDirectory) -> str:
    env, verdict = run.read_json("environment"), run.read_json("verdict")
    lines = [
        "# plsync readiness report", "",
        f"Database: {env['database_kind']} PostgreSQL {env['server_version']}; "
        f"schema at `{run.read_json('migrate')['revision']}`.", "",
        f"**Verdict: {'PASS' if verdict['passed'] else 'FAIL'}**", "",
        "| strategy | median ms | p99 ms | ops | failed | retries | lost XP | desynced | wall s | ops/s | invariants |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in strategy_rows(run):
        median = f"{r['median_ms']:.2f}" if r["median_ms"] is not None else "-"
        p99 = f"{r['p99_ms']:.2f}" if r["p99_ms"] is not None else "-"
        lines.append(f"| {r['strategy']} | {median} | {p99} | {r['operations']} | {r['failed']} | "
                     f"{r['retries']} | {r['lost_xp']} | {r['desynced']} | {r['wall_s']:.2f} | "
                     f"{r['ops_per_s']:.0f} | {r['invariants']} |")
    lines += ["", "`legacy` is measured, not gated: it is the design expected to lose updates.", ""]
    if run.has("recovery_stress"):
        lines += ["## Desync recovery", "", *recovery_markdown(run.read_json("recovery_stress")), ""]
    if run.has("swarms"):
        lines += ["## Hot-spot swarms (Locust, direct)", "", *swarm_markdown(run.read_json("swarms")), ""]
    if run.has("matrix"):
        lines += ["## Scenarios x strategies", "", *matrix_markdown(run.read_json("matrix")), ""]
    if run.has("orphans"):
        o = run.read_json("orphans")
        lines += ["## Orphan recovery", "",
                  f"Injected {o['injected']}, found {o['found']} (exact: {o['exact']}), deleted {o['deleted']} "
                  f"after backing them up, {o['left_after']} left.", ""]
    if verdict["failures"]:
        lines += ["## Failures", ""] + [f"- {f}" for f in verdict["failures"]] + [""]
    return "\n".join(lines)


def write_markdown(run: RunDirectory) -> None:
    (run.path / "report.md").write_text(markdown(run))
