"""Render a readiness run from its JSON files only: Rich tables for the terminal, Markdown for people.
A stage the run skipped is shown as not measured, never as a pass."""

from __future__ import annotations

from collections import Counter
from typing import Any

from rich.console import RenderableType
from rich.table import Table

from reports.benchmarks import markdown_table, notes, rich_table
from reports.matrix import matrix_markdown, matrix_table
from reports.reads import records_markdown, records_table
from reports.recovery import recovery_markdown, recovery_table
from reports.run_reader import RunReader
from reports.scorecard import Scorecard
from reports.soak import phases_table, soak_markdown, soak_table
from reports.swarm import swarm_markdown, swarm_table

STATUS_STYLE = {"ran": "green", "error": "bold red", "skipped": "dim"}


def _invariant_summary(outcome: dict[str, Any]) -> str:
    failed = [r["name"] for r in outcome["invariants"]["results"] if r["violations"]]
    return "all hold" if not failed else ", ".join(failed)


def strategy_rows(run: RunReader) -> list[dict[str, Any]]:
    latency = {s["strategy"]: s for s in run.get("latency", [])}
    rows = []
    for outcome in run.get("concurrency", []):
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


def _gate_counts(verdict: dict[str, Any]) -> dict[str, Counter[str]]:
    counts: dict[str, Counter[str]] = {}
    for gate in verdict.get("gates", []):
        counts.setdefault(gate["stage"], Counter())[gate["status"]] += 1
    return counts


def stages_table(run: RunReader) -> Table:
    verdict = run.read_json("verdict")
    counts = _gate_counts(verdict)
    table = Table(title=f"Readiness stages ({verdict['profile']} profile)")
    for header in ("stage", "status", "seconds", "gates passed", "failed", "exempt", "not measured"):
        table.add_column(header, justify="left" if header in ("stage", "status") else "right")
    for stage in verdict["stages"]:
        c = counts.get(stage["name"], Counter())
        style = STATUS_STYLE.get(stage["status"], "white")
        failed = f"[red]{c['fail']}[/]" if c["fail"] else "0"
        table.add_row(stage["name"], f"[{style}]{stage['status']}[/]",
                      f"{stage['seconds']:.1f}" if stage["status"] != "skipped" else "-",
                      str(c["pass"]), failed, str(c["exempt"]), str(c["not_measured"]))
    return table


def strategies_table(run: RunReader) -> Table:
    concurrency = run.get("concurrency", [])
    threads = concurrency[0]["threads"] if concurrency else 0
    per_thread = concurrency[0]["ops_per_thread"] if concurrency else 0
    table = Table(title=f"Strategies: single-threaded latency (~ unstable: stdev >= 10% of mean), and {threads} "
                        f"threads x {per_thread} level-ups on one student")
    for header in ("strategy", "median ms", "p99 ms", "ops", "failed", "retries", "lost XP", "desynced",
                   "wall s", "ops/s", "invariants"):
        table.add_column(header, justify="left" if header in ("strategy", "invariants") else "right")
    for r in strategy_rows(run):
        bad = r["lost_xp"] or r["desynced"] or r["invariants"] != "all hold"
        style = "red" if bad else "green"
        median = f"{r['median_ms']:.2f}" + ("~" if r["unstable"] else "") if r["median_ms"] is not None else "-"
        p99 = f"{r['p99_ms']:.2f}" if r["p99_ms"] is not None else "-"
        table.add_row(r["strategy"], median, p99, str(r["operations"]), str(r["failed"]), str(r["retries"]),
                      f"[{style}]{r['lost_xp']:,}[/]", f"[{style}]{r['desynced']}[/]", f"{r['wall_s']:.2f}",
                      f"{r['ops_per_s']:.0f}", f"[{style}]{r['invariants']}[/]")
    return table


def terminal_tables(run: RunReader) -> list[RenderableType]:
    """Every table the run has data for, in pipeline order, then the stage summary."""
    tables: list[RenderableType] = []
    if run.has("concurrency"):
        tables.append(strategies_table(run))
    if run.has("recovery_stress"):
        tables.append(recovery_table(run.read_json("recovery_stress")))
    if run.has("swarms"):
        tables.append(swarm_table(run.read_json("swarms"), "Hot-spot swarms (Locust, direct)"))
    if run.has("reads"):
        tables.append(records_table(run.read_json("reads")))
    if run.has("matrix"):
        tables.append(matrix_table(run.read_json("matrix")))
    if run.has("benchmarks"):
        tables.append(rich_table(run.read_json("benchmarks"), "Benchmarks: service path beside its raw-SQL ceiling "
                                                             "(~ unstable by pyperf's rules)"))
    if run.has("soak"):
        soak = run.read_json("soak")
        tables += [soak_table(soak), phases_table(soak["phases"])]
    if run.has("verdict"):
        tables.append(stages_table(run))
    return tables


def scorecard_markdown(card: Scorecard) -> list[str]:
    lines = [f"**Readiness: {card.verdict.upper()}** — {card.summary}", "",
             "| status | kind | what | stage | figure | from |", "|---|---|---|---|---|---|"]
    lines += [f"| {line.status.replace('_', ' ')} | {line.kind} | {line.name} | {line.stage} | "
              f"{line.figure.replace('|', '/')} | {line.source} |" for line in card.lines]
    contradicted = [c for c in card.claims if c.status == "contradicted"]
    if contradicted:
        lines += ["", "Where the measurements contradict the seeds:", ""]
        lines += [f"- seed {c.source}, {c.scenario} under {c.strategy}: \"{c.words}\" ({c.claimed}); measured: "
                  f"{', '.join(e['observed'] for e in c.evidence)}." for c in contradicted]
    return [*lines, ""]


def markdown(run: RunReader, card: Scorecard | None = None) -> str:
    env, verdict = run.read_json("environment"), run.read_json("verdict")
    migrate = run.get("migrate", {})
    lines = [
        "# plsync readiness report", "",
        *(scorecard_markdown(card) if card is not None else []),
        f"Database: {env['database_kind']} PostgreSQL {env['server_version']}; schema at "
        f"`{migrate.get('revision', 'not measured')}`; profile `{verdict['profile']}`.", "",
        f"**Gates: {'PASS' if verdict['passed'] else 'FAIL'}** (the exit code)", "",
        "| stage | status | seconds |", "|---|---|---:|",
    ]
    lines += [f"| {s['name']} | {s['status']} | {s['seconds']:.1f} |" for s in verdict["stages"]]
    lines.append("")
    rows = strategy_rows(run)
    if rows:
        lines += ["## Strategies", "",
                  "| strategy | median ms | p99 ms | ops | failed | retries | lost XP | desynced | wall s | ops/s "
                  "| invariants |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
        for r in rows:
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
    if run.has("reads"):
        lines += ["## What readers see", "", "Half reads, half level-ups on 10 hot students; each fractured read "
                  "classified by the read checker from the recorded history. `(system)` marks the system's own "
                  "readers, gated at none under every strategy but legacy.", "",
                  *records_markdown(run.read_json("reads")), ""]
    if run.has("matrix"):
        lines += ["## Scenarios x strategies", "", *matrix_markdown(run.read_json("matrix")), ""]
    if run.has("benchmarks"):
        rows = run.read_json("benchmarks")
        scale = run.get("benchmark_scale", [])
        lines += ["## Benchmarks", "", "Medians and p99 in ms; the raw-SQL ceiling measured in the same rounds; "
                  "`~` marks a result pyperf's rules call unstable.", "", *markdown_table(rows), ""]
        lines += [f"- {line}" for line in notes(rows)] + [""]
        lines += [f"- scale: {f['operation']}: time ~ size^{f['exponent']:.2f} ({f['verdict']})" for f in scale]
        lines.append("")
    if run.has("orphans"):
        o = run.read_json("orphans")
        lines += ["## Orphan recovery", "",
                  f"Injected {o['injected']}, found {o['found']} (exact: {o['exact']}), deleted {o['deleted']} "
                  f"after backing them up, {o['left_after']} left.", ""]
    if run.has("soak"):
        lines += ["## Scheduler soak", "", *soak_markdown(run.read_json("soak")), ""]
    skipped = [s["name"] for s in verdict["stages"] if s["status"] == "skipped"]
    if skipped:
        lines += ["## Not measured", "", f"This run skipped: {', '.join(skipped)}.", ""]
    if verdict["failures"]:
        lines += ["## Failures", ""] + [f"- {f}" for f in verdict["failures"]] + [""]
    return "\n".join(lines)

