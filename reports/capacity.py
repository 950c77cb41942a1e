"""The capacity run, rendered: a table per strategy (every step) and one line per strategy with its figure.
Built from ``capacity.json`` alone; every latency says it is the open model's response time."""

from __future__ import annotations

from rich.table import Table

from plsync.records.capacity import CapacityRecord, StrategyCapacityRecord
from reports.findings import gated_strategies


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def capacity_line(document: CapacityRecord, entry: StrategyCapacityRecord) -> str:
    """``coupled: 400/s at p99<=50ms (open model, hotspot) ...``, with its spread and caveats."""
    slo, capacity = document.slo, entry.capacity_per_s
    if capacity is None:
        figure = f"below {entry.steps[0].offered_per_s:g}/s (the first step failed)"
    else:
        figure = f"{capacity:g}/s"
    parts = [f"{entry.strategy}: capacity {figure} at {slo} (open model, response time from the intended "
             f"start; {document.workload} workload, {document.transport})"]
    if entry.first_fail_per_s is not None:
        parts.append(f"first failing rate {entry.first_fail_per_s:g}/s")
    elif capacity is not None and not entry.generator_limited:
        parts.append("no step failed up to the search's maximum rate: a lower bound")
    if entry.spread is not None:
        parts.append(f"{document.slo_label} over {len(entry.boundary_slo_ms)} repeats at the boundary: "
                     f"{', '.join(f'{v:.1f}' for v in entry.boundary_slo_ms)} ms (held in "
                     f"{entry.boundary_passes} of {len(entry.boundary_slo_ms)}), spread {entry.spread:.0%}"
                     f"{' UNSTABLE' if entry.unstable else ''}")
    elif entry.unstable:
        parts.append("UNSTABLE at the boundary")
    if entry.generator_limited:
        parts.append("the generator fell behind its schedule: a lower bound")
    if entry.strategy == "legacy":
        parts.append("legacy: losses measured, not gated")
    return "; ".join(parts)


#: Short headers, explained by the caption, and a verdict that wraps: with the long headers and an unwrapped
#: verdict a step's reasons took the terminal's width and cut every figure to "…".
STEP_CAPTION = ("offered and achieved per second; latencies in ms from the intended start (open model), "
                "*: the SLO's percentile, which the verdict reads; svc: send "
                "to reply, lag: the generator's schedule lag; drop: slots never sent; µs/req: the generator's CPU "
                "per request")


def steps_table(document: CapacityRecord, entry: StrategyCapacityRecord) -> Table:
    table = Table(title=f"{entry.strategy}: open model, response time vs offered rate ({document.slo})",
                  caption=STEP_CAPTION)
    # The SLO's own column only when it is not the p99 (it would repeat it).
    own_slo = document.slo_label != "p99"
    for header in ("offered", "achieved", "p50", "p99" if own_slo else "p99*", *([f"{document.slo_label}*"] if own_slo
                   else []), "svc p99", "lag p99", "drop", "failed", "lost XP", "desync", "µs/req"):
        table.add_column(header, justify="right", no_wrap=True)
    table.add_column("verdict", justify="left", overflow="fold", min_width=24)
    for step in sorted(entry.steps, key=lambda s: (s.offered_per_s, s.repeat)):
        style = {"pass": "green", "fail": "red"}.get(step.verdict, "yellow")
        cpu = step.generator_cpu_us_per_request
        table.add_row(f"{step.offered_per_s:g}", f"{step.achieved_per_s:.1f}", _ms(step.p50_ms),
                      _ms(step.p99_ms), *([_ms(step.slo_ms)] if own_slo else []), _ms(step.service_p99_ms),
                      _ms(step.schedule_lag_p99_ms), f"{step.dropped_ratio:.2%}", str(step.failures),
                      str(step.lost_xp), str(step.desynced_pairs), "-" if cpu is None else f"{cpu:,.0f}",
                      f"[{style}]{step.verdict}[/]" + (f" ({'; '.join(step.reasons)})" if step.reasons
                                                         else ""))
    return table


def capacity_markdown(document: CapacityRecord) -> list[str]:
    """The capacity section of report.md: one row per strategy (the shipping one first), then the findings."""
    gated = gated_strategies(document)
    warm = f", each strategy after an unjudged {document.warmup_step_s:g}s warm-up step" if document.warmup_step_s \
        else ""
    lines = [f"Open model ({document.arrivals} arrivals, {document.workload} workload, {document.transport}, at most "
             f"{document.max_users} users, {document.step_s}s steps with {document.warmup_s:g}s of warm-up left "
             f"out{warm}); latencies are response times from each request's intended start, {document.slo_label} "
             f"from HdrHistograms. The shipping strategy (`{document.shipping}`) is gated"
             + (f", and with it {', '.join(s for s in gated if s != document.shipping)}" if len(gated) > 1 else "")
             + (f" against {document.required_per_s:g}/s" if document.required_per_s is not None else "")
             + "; the others are findings, shown beside the verdict and never deciding it.", "",
             f"| strategy | capacity at {document.slo} | first failing rate | {document.slo_label} at the boundary "
             "| spread | steps | lost XP | desynced | role |", "|---|---:|---:|---|---:|---:|---:|---:|---|"]
    ordered = sorted(document.strategies, key=lambda e: e.strategy != document.shipping)
    for e in ordered:
        capacity = "-" if e.capacity_per_s is None else f"{e.capacity_per_s:g}/s"
        first_fail = "-" if e.first_fail_per_s is None else f"{e.first_fail_per_s:g}/s"
        boundary = ", ".join(f"{v:.1f}" for v in e.boundary_slo_ms) or "-"
        spread = "-" if e.spread is None else f"{e.spread:.0%}" + (" UNSTABLE" if e.unstable else "")
        role = "ships (gated)" if e.strategy == document.shipping else "gated" if e.strategy in gated else "finding"
        lines.append(f"| {e.strategy} | {capacity}{' (generator-limited)' if e.generator_limited else ''} | "
                     f"{first_fail} | {boundary} | {spread} | {len(e.steps)} | {sum(s.lost_xp for s in e.steps)} | "
                     f"{sum(s.desynced_pairs for s in e.steps)} | {role} |")
    lines += ["", *[f"- {capacity_line(document, e)}" for e in ordered], *[f"- {f}" for f in document.findings]]
    return lines
