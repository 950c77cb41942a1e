"""Render a readiness run from its records only: Rich tables for the terminal, Markdown for people.
A stage the run skipped is shown as not measured, never as a pass."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from rich.console import RenderableType
from rich.table import Table

from plsync.records.files import (
    BENCHMARK_SCALE,
    BENCHMARKS,
    CAPACITY,
    CONCURRENCY,
    ENVIRONMENT,
    LATENCY,
    MATRIX,
    MIGRATE,
    ORPHANS,
    OVERLOAD,
    READS,
    RECOVERY_STRESS,
    SOAK,
    SWARMS,
    VERDICT,
)
from plsync.records.run import MigrateRecord, VerdictRecord
from plsync.records.strategies import ConcurrencyRecord, LatencyRecord
from reports.benchmarks import markdown_table, notes, rich_table
from reports.capacity import capacity_markdown, steps_table
from reports.matrix import matrix_markdown, matrix_table
from reports.overload import overload_markdown, overload_table
from reports.reads import NOT_MEASURED as NOT_MEASURED_READS
from reports.reads import records_markdown, records_table
from reports.recovery import recovery_markdown, recovery_table
from reports.run_reader import RunReader
from reports.scorecard import Scorecard
from reports.soak import phases_table, soak_markdown, soak_table
from reports.swarm import swarm_markdown, swarm_table

STATUS_STYLE = {"ran": "green", "error": "bold red", "skipped": "dim"}


def _invariant_summary(outcome: ConcurrencyRecord) -> str:
    failed = outcome.invariants.failed_names
    return "all hold" if not failed else ", ".join(failed)


@dataclass(frozen=True)
class StrategyRow:
    """One strategy's latency (single-threaded) beside its concurrency check, as the tables show them."""

    strategy: str
    median_ms: float | None
    p99_ms: float | None
    #: pyperf's rule, as the producer recorded it.
    unstable: bool
    operations: int
    failed: int
    retries: int
    lost_xp: int
    desynced: int
    wall_s: float
    ops_per_s: float
    invariants: str


def strategy_rows(run: RunReader) -> list[StrategyRow]:
    latency: dict[str, LatencyRecord] = {s.strategy: s for s in run.get(LATENCY, [])}
    rows = []
    for outcome in run.get(CONCURRENCY, []):
        lat = latency.get(outcome.strategy)
        wall = outcome.wall_time_s
        rows.append(StrategyRow(
            outcome.strategy, lat.median_ms if lat else None, lat.p99_ms if lat else None,
            bool(lat and lat.unstable), outcome.operations, outcome.failed + outcome.unknown, outcome.retries,
            outcome.lost_xp, outcome.desynced_pairs, wall, outcome.operations / wall if wall else 0.0,
            _invariant_summary(outcome)))
    return rows


def _gate_counts(verdict: VerdictRecord) -> dict[str, Counter[str]]:
    counts: dict[str, Counter[str]] = {}
    for gate in verdict.gates:
        counts.setdefault(gate.stage, Counter())[gate.status] += 1
    return counts


def stages_table(run: RunReader) -> Table:
    verdict = run.load(VERDICT)
    counts = _gate_counts(verdict)
    table = Table(title=f"Readiness stages ({verdict.profile} profile)")
    for header in ("stage", "status", "seconds", "gates passed", "failed", "exempt", "not measured"):
        table.add_column(header, justify="left" if header in ("stage", "status") else "right")
    for stage in verdict.stages:
        c = counts.get(stage.name, Counter())
        style = STATUS_STYLE.get(stage.status, "white")
        failed = f"[red]{c['fail']}[/]" if c["fail"] else "0"
        table.add_row(stage.name, f"[{style}]{stage.status}[/]",
                      f"{stage.seconds:.1f}" if stage.status != "skipped" else "-",
                      str(c["pass"]), failed, str(c["exempt"]), str(c["not_measured"]))
    return table


def strategies_table(run: RunReader) -> Table:
    concurrency = run.get(CONCURRENCY, [])
    threads = concurrency[0].threads if concurrency else 0
    per_thread = concurrency[0].ops_per_thread if concurrency else 0
    table = Table(title=f"Strategies: single-threaded latency (~ unstable by pyperf's rules), and {threads} "
                        f"threads x {per_thread} level-ups on one student")
    for header in ("strategy", "median ms", "p99 ms", "ops", "failed", "retries", "lost XP", "desynced",
                   "wall s", "ops/s", "invariants"):
        table.add_column(header, justify="left" if header in ("strategy", "invariants") else "right")
    for r in strategy_rows(run):
        bad = r.lost_xp or r.desynced or r.invariants != "all hold"
        style = "red" if bad else "green"
        median = f"{r.median_ms:.2f}" + ("~" if r.unstable else "") if r.median_ms is not None else "-"
        p99 = f"{r.p99_ms:.2f}" if r.p99_ms is not None else "-"
        table.add_row(r.strategy, median, p99, str(r.operations), str(r.failed), str(r.retries),
                      f"[{style}]{r.lost_xp:,}[/]", f"[{style}]{r.desynced}[/]", f"{r.wall_s:.2f}",
                      f"{r.ops_per_s:.0f}", f"[{style}]{r.invariants}[/]")
    return table


def terminal_tables(run: RunReader) -> list[RenderableType]:
    """Every table the run has data for, in pipeline order, then the stage summary."""
    tables: list[RenderableType] = []
    if run.has(CONCURRENCY):
        tables.append(strategies_table(run))
    if run.has(RECOVERY_STRESS):
        tables.append(recovery_table(run.load(RECOVERY_STRESS)))
    if run.has(SWARMS):
        tables.append(swarm_table(run.load(SWARMS), "Hot-spot swarms (Locust, direct)"))
    if run.has(READS):
        tables.append(records_table(run.load(READS)))
    if run.has(CAPACITY):
        capacity = run.load(CAPACITY)
        tables += [steps_table(capacity, entry) for entry in capacity.strategies]
    if run.has(OVERLOAD):
        tables.append(overload_table(run.load(OVERLOAD)))
    if run.has(MATRIX):
        tables.append(matrix_table(run.load(MATRIX)))
    if run.has(BENCHMARKS):
        tables.append(rich_table(run.load(BENCHMARKS), "Benchmarks: service path beside its raw-SQL ceiling "
                                                             "(~ unstable by pyperf's rules)"))
    if run.has(SOAK):
        soak = run.load(SOAK)
        tables += [soak_table(soak), phases_table(soak.phases)]
    if run.has(VERDICT):
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
                  f"{', '.join(e.observed for e in c.evidence)}." for c in contradicted]
    return [*lines, ""]


def markdown(run: RunReader, card: Scorecard | None = None) -> str:
    env, verdict = run.load(ENVIRONMENT), run.load(VERDICT)
    migrate: MigrateRecord | None = run.get(MIGRATE)
    lines = [
        "# plsync readiness report", "",
        *(scorecard_markdown(card) if card is not None else []),
        f"Database: {env.database_kind} PostgreSQL {env.server_version}; schema at "
        f"`{migrate.revision if migrate else 'not measured'}`; profile `{verdict.profile}`.", "",
        f"**Gates: {'PASS' if verdict.passed else 'FAIL'}** (the exit code)", "",
        "| stage | status | seconds |", "|---|---|---:|",
    ]
    lines += [f"| {s.name} | {s.status} | {s.seconds:.1f} |" for s in verdict.stages]
    lines.append("")
    rows = strategy_rows(run)
    if rows:
        lines += ["## Strategies", "",
                  "| strategy | median ms | p99 ms | ops | failed | retries | lost XP | desynced | wall s | ops/s "
                  "| invariants |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
        for r in rows:
            median = f"{r.median_ms:.2f}" if r.median_ms is not None else "-"
            p99 = f"{r.p99_ms:.2f}" if r.p99_ms is not None else "-"
            lines.append(f"| {r.strategy} | {median} | {p99} | {r.operations} | {r.failed} | "
                         f"{r.retries} | {r.lost_xp} | {r.desynced} | {r.wall_s:.2f} | "
                         f"{r.ops_per_s:.0f} | {r.invariants} |")
        lines += ["", "`legacy` is measured, not gated: it is the design expected to lose updates.", ""]
    if run.has(RECOVERY_STRESS):
        lines += ["## Desync recovery", "", *recovery_markdown(run.load(RECOVERY_STRESS)), ""]
    if run.has(SWARMS):
        lines += ["## Hot-spot swarms (Locust, direct)", "", *swarm_markdown(run.load(SWARMS)), ""]
    lines += ["## What readers see", ""]
    if run.has(READS):
        lines += ["Half reads, half level-ups on 10 hot students (closed model); each fractured read classified by the "
                  "read checker from the recorded history. `(system)` marks the system's own readers, gated at none "
                  "under every strategy but legacy.", ""]
    lines += [*(records_markdown(run.load(READS)) if run.has(READS) else [NOT_MEASURED_READS]), ""]
    if run.has(CAPACITY):
        lines += ["## Capacity at the SLO (open model)", "", *capacity_markdown(run.load(CAPACITY)), ""]
    if run.has(OVERLOAD):
        lines += ["## Under overload (open model over HTTP)", "", *overload_markdown(run.load(OVERLOAD)), ""]
    if run.has(MATRIX):
        lines += ["## Scenarios x strategies", "", *matrix_markdown(run.load(MATRIX)), ""]
    if run.has(BENCHMARKS):
        rows = run.load(BENCHMARKS)
        scale = run.get(BENCHMARK_SCALE, [])
        lines += ["## Benchmarks", "", "Medians and p99 in ms; the raw-SQL ceiling measured in the same rounds; "
                  "`~` marks a result pyperf's rules call unstable.", "", *markdown_table(rows), ""]
        lines += [f"- {line}" for line in notes(rows)] + [""]
        lines += [f"- scale: {f.operation}: time ~ size^{f.exponent:.2f} ({f.verdict})" for f in scale]
        lines.append("")
    if run.has(ORPHANS):
        o = run.load(ORPHANS)
        lines += ["## Orphan recovery", "",
                  f"Injected {o.injected}, found {o.found} (exact: {o.exact}), deleted {o.deleted} "
                  f"after backing them up, {o.left_after} left.", ""]
    if run.has(SOAK):
        lines += ["## Scheduler soak", "", *soak_markdown(run.load(SOAK)), ""]
    skipped = [s.name for s in verdict.stages if s.status == "skipped"]
    if skipped:
        lines += ["## Not measured", "", f"This run skipped: {', '.join(skipped)}.", ""]
    if verdict.failures:
        lines += ["## Failures", ""] + [f"- {f}" for f in verdict.failures] + [""]
    return "\n".join(lines)

