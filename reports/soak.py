"""Render a soak (its ``soak.json`` record) as a table of its figures, a table of its phases, and Markdown."""

from __future__ import annotations

from rich.table import Table

from plsync.records.soak import SoakPhaseRecord, SoakRecord


def clock_time(seconds: float | None) -> str:
    """Seconds of the soak's clock as ``7h00m05s`` (``-`` when not measured)."""
    if seconds is None:
        return "-"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s"


def _mib(value: float) -> str:
    return f"{value / 2**20:,.1f} MiB"


def _p(value: float | None) -> str:
    return "-" if value is None else f"{value:.2g}"


def figures(s: SoakRecord) -> list[tuple[str, str]]:
    """The soak's headline figures as (what, value) lines, in reading order."""
    clock = f"virtual ({clock_time(s.skipped_seconds)} skipped)" if s.clock == "virtual" else \
        f"real, compressed {s.speedup:g}x"
    d, trend, rss, uss, traced = s.duration_s, s.duration_trend_ms_per_run, s.rss, s.uss, s.traced
    logs = s.log_cross_check
    verdict = "SIGNIFICANT" if rss.slope.significant else "not significant"
    return [
        ("clock", f"{clock}; interval {clock_time(s.interval_s)}, misfire grace {s.misfire_grace_s:g} s, "
                  f"health limit {clock_time(s.stale_after_s)} (soak clock)"),
        ("population, load between runs", f"{s.users:,} users; {s.load_operations_per_run} operations from "
                                          f"{s.load_threads} clients ({s.strategy}), {s.faults_per_run} "
                                          "faults"),
        ("runs expected / executed (steady)", f"{s.runs_expected} / {s.runs_executed} "
                                              f"({s.runs_failed} failed)"),
        ("overlapping / missed (steady)", f"{s.overlapping_runs} / {s.missed_runs}"),
        ("max desyncs left after a run", f"{s.max_desyncs_left_after_run} (runs that started before the work "
                                         f"before them was done: {s.runs_overlapping_work}; work skipped for "
                                         f"lack of time: {s.work_skipped})"),
        ("faults injected / repaired (all runs)", f"{s.injected:,} / {s.repaired:,}"),
        ("run duration p50 / p95 / max", f"{d.p50 * 1000:.1f} / {d.p95 * 1000:.1f} / {d.max * 1000:.1f} ms"),
        ("duration trend", f"{trend.slope:+.3f} ms per run (p {_p(trend.p_value)})"),
        ("lateness p95 / max", f"{s.lateness_s.p95 * 1000:.1f} / {s.lateness_s.max * 1000:.1f} ms"),
        ("RSS after warm-up: first -> last", f"{_mib(rss.first_bytes)} -> {_mib(rss.last_bytes)} "
                                             f"({rss.growth_pct:+.2f} %)"),
        ("RSS slope", f"{rss.slope.slope:+,.0f} B/run +- {rss.slope.stderr:,.0f}, p "
                      f"{_p(rss.slope.p_value)} against {rss.slope.tolerance:,.0f} B/run over "
                      f"{rss.slope.samples} runs: {verdict}"),
        # Shared-library pages turn private and back as other processes come and go: noisy on a shared machine.
        ("USS growth, slope (not gated)", f"{uss.growth_pct:+.2f} %, {uss.slope.slope:+,.0f} B/run"),
        ("Python heap (tracemalloc): growth, slope", f"{traced.growth_pct:+.2f} %, "
                                                     f"{traced.slope.slope:+,.0f} B/run"),
        ("database connections first / last / max", f"{s.connections_first} / {s.connections_last} / "
                                                    f"{s.connections_max}"),
        ("threads first / last", f"{s.threads_first} / {s.threads_last}"),
        ("health alert", (f"fired at {clock_time(s.health_alert_at_s)} of the soak, "
                          f"{clock_time(s.health_alert_after_s)} after the last success; cleared: "
                          f"{s.health_alert_cleared}") if s.health_alert_fired else "did not fire"),
        ("health false alarms while running", str(s.health_false_alarms)),
        ("log analysis cross-check", f"{sum(c.from_logs == c.observed for c in logs)} of {len(logs)} agree; "
                                     f"{s.log_analysis.files} logs, statuses {s.log_analysis.statuses}, "
                                     f"{len(s.log_analysis.gaps)} gaps"),
        ("invariants after the soak", "all hold" if s.invariants_hold else
         ", ".join(f"{k} {v}" for k, v in s.invariant_violations.items() if v)),
        ("wall time", f"{s.wall_seconds:.1f} s"),
    ]


def soak_table(s: SoakRecord) -> Table:
    table = Table(title=f"Scheduler soak: {s.hours:g} h of schedule, {s.clock} clock")
    table.add_column("figure")
    table.add_column("value")
    for what, value in figures(s):
        table.add_row(what, value)
    return table


def phases_table(phases: list[SoakPhaseRecord]) -> Table:
    table = Table(title="Soak phases")
    for header in ("phase", "result", "what happened"):
        table.add_column(header)
    for p in phases:
        result = "not measured" if p.holds is None else "as designed" if p.holds else "NOT as designed"
        style = "dim" if p.holds is None else "green" if p.holds else "red"
        table.add_row(p.phase, f"[{style}]{result}[/]", p.note)
    return table


def soak_markdown(s: SoakRecord) -> list[str]:
    lines = ["| figure | value |", "|---|---|"]
    lines += [f"| {what} | {value} |" for what, value in figures(s)]
    lines += ["", "| phase | result | what happened |", "|---|---|---|"]
    for p in s.phases:
        result = "not measured" if p.holds is None else "as designed" if p.holds else "**NOT as designed**"
        lines.append(f"| {p.phase} | {result} | {p.note} |")
    return lines
