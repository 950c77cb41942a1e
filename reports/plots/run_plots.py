"""The plots of a readiness run's strategies, swarms, recovery and gates. Each returns None when the run
holds no data for it (the report then says the figure was not measured)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import numpy as np

from plsync.records.files import CONCURRENCY, LATENCY, MATRIX, RECOVERY_STRESS, SWARMS, VERDICT
from plsync.records.run import VerdictRecord
from plsync.records.swarms import TimelinePoint
from reports.plots.base import Plot, canvas, color, to_svg
from reports.run_reader import RunReader

STATUS_COLORS = {"pass": "#2ca02c", "exempt": "#9ecae1", "fail": "#d62728", "not_measured": "#bdbdbd"}


def latency_cdf(run: RunReader) -> Plot | None:
    summaries = [s for s in run.get(LATENCY, []) if s.samples_ms]
    if not summaries:
        return None
    with canvas() as (fig, ax):
        for s in summaries:
            # The curve at 200 shares (one every point up to 99 %, every 0.01 % above): as drawn as every
            # sample, at a tenth of the page's size for 1,000 samples per strategy.
            share = np.unique(np.concatenate([np.linspace(0, 99, 100), np.linspace(99, 100, 101)]))
            ax.step(np.percentile(np.asarray(s.samples_ms), share, method="inverted_cdf"), share, where="post",
                    color=color(s.strategy),
                    label=f"{s.strategy} (median {s.median_ms:.2f}, p99 {s.p99_ms:.2f} ms)")
        ax.set_xscale("log")
        ax.set_xlabel("level-up latency, ms (log scale)")
        ax.set_ylabel("% of level-ups at most")
        ax.set_ylim(0, 100)
        ax.legend(fontsize=7, loc="lower right")
        svg = to_svg(fig)
    count = summaries[0].samples
    return Plot("latency-cdf", "Single-threaded level-up latency per strategy",
                f"Cumulative distribution of {count:,} level-ups per strategy, one at a time (no contention).", svg,
                "latency.json")


def lost_xp(run: RunReader) -> Plot | None:
    groups = {"concurrency check": run.get(CONCURRENCY, []), "hot-spot swarm": run.get(SWARMS, [])}
    if not any(groups.values()):
        return None
    strategies = list(dict.fromkeys(o.strategy for rows in groups.values() for o in rows))
    x = np.arange(len(strategies))
    with canvas() as (fig, ax):
        width = 0.38
        for i, (label, rows) in enumerate(groups.items()):
            by = {o.strategy: o.lost_xp for o in rows}
            values = [by.get(s, 0) for s in strategies]
            bars = ax.bar(x + (i - 0.5) * width, values, width, label=label,
                          color=["#d62728" if v else "#2ca02c" for v in values], alpha=0.55 + 0.35 * i,
                          edgecolor="#333", linewidth=0.4)
            ax.bar_label(bars, labels=[f"{v:,}" for v in values], fontsize=7, padding=2)
        ax.set_yscale("symlog", linthresh=1)
        ax.set_xticks(x, strategies)
        ax.set_ylabel("XP acknowledged but not stored")
        ax.legend(fontsize=7)
        svg = to_svg(fig)
    return Plot("lost-xp", "Lost XP per strategy",
                "XP the system acknowledged to clients that the database does not hold, from the ledgers and the "
                "invariant checker (symlog scale; 0 is the only acceptable value).", svg,
                "concurrency.json, swarms.json")


#: Fewer seconds than this with traffic is not a time series (a smoke swarm of 1 s has one point).
MIN_POINTS = 3


def _swarm_series(run: RunReader, field: str, ylabel: str, plot_id: str, title: str, caption: str) -> Plot | None:
    if field not in TimelinePoint.model_fields:
        raise TypeError(f"swarm series: a timeline point has no field {field!r}")
    swarms = [s for s in run.get(SWARMS, [])
              if sum(1 for p in s.timeline if getattr(p, field) and p.rps) >= MIN_POINTS]
    if not swarms:
        return None
    with canvas() as (fig, ax):
        for swarm in swarms:
            points = [p for p in swarm.timeline if getattr(p, field) is not None]
            overall = getattr(swarm, field, None)
            ax.plot([p.t_s for p in points], [getattr(p, field) for p in points], marker="o", markersize=3,
                    color=color(swarm.strategy), label=f"{swarm.strategy} ({overall:,.0f} overall)"
                    if overall is not None else swarm.strategy)
        ax.set_xlabel("seconds into the swarm")
        ax.set_ylabel(ylabel)
        ax.legend(fontsize=7)
        svg = to_svg(fig)
    users = swarms[0].users
    return Plot(plot_id, title, caption.format(users=users), svg, "swarms.json")


def swarm_throughput(run: RunReader) -> Plot | None:
    return _swarm_series(run, "rps", "requests per second", "swarm-throughput", "Hot-spot swarm throughput over time",
                         "Locust's aggregated requests per second, second by second, {users} users per strategy.")


def swarm_p95(run: RunReader) -> Plot | None:
    return _swarm_series(run, "p95_ms", "p95 response time, ms", "swarm-p95", "Hot-spot swarm p95 over time",
                         "Locust's 95th percentile response time, second by second, {users} users per strategy.")


def swarm_summary(run: RunReader) -> Plot | None:
    swarms = run.get(SWARMS, [])
    if not swarms:
        return None
    strategies = [s.strategy for s in swarms]
    with canvas() as (fig, ax):
        bars = ax.bar(strategies, [s.rps for s in swarms], color=[color(s) for s in strategies])
        ax.bar_label(bars, labels=[f"{s.rps:,.0f}/s\np99 {s.p99_ms:,.0f} ms" for s in swarms], fontsize=7,
                     padding=2)
        ax.set_ylabel("requests per second")
        ax.margins(y=0.25)
        svg = to_svg(fig)
    first = swarms[0]
    return Plot("swarm-summary", "Hot-spot swarm per strategy",
                f"{first.users} Locust users ({first.transport}) on the same hot students for "
                f"{first.run_time_s} s per strategy: throughput and 99th percentile.", svg, "swarms.json")


SCENARIO_OUTCOMES = {"prevented": "#2ca02c", "transient": "#f0c419", "detected_and_repaired": "#e6a700",
                     "occurred": "#d62728", "skipped": "#bdbdbd", "error": "#000000"}


def scenario_outcomes(run: RunReader) -> Plot | None:
    cells = run.get(MATRIX, [])
    if not cells:
        return None
    strategies = list(dict.fromkeys(c.strategy for c in cells))
    counts = {s: Counter(c.observed for c in cells if c.strategy == s) for s in strategies}
    with canvas() as (fig, ax):
        bottom = np.zeros(len(strategies))
        for outcome, shade in SCENARIO_OUTCOMES.items():
            values = np.array([counts[s][outcome] for s in strategies])
            if values.any():
                ax.bar(strategies, values, bottom=bottom, color=shade, label=outcome.replace("_", " "))
                bottom += values
        ax.set_ylabel("scenarios")
        ax.legend(fontsize=7, ncols=3, loc="lower center", bbox_to_anchor=(0.5, 1.0))
        svg = to_svg(fig)
    return Plot("scenario-outcomes", "Scenario outcomes per strategy",
                f"How each strategy fared in the {len(cells) // len(strategies)} scenarios: prevented, seen only "
                "mid-operation (transient), left for the background job to repair, or occurred for good.", svg,
                "matrix.json")


def contention_throughput(run: RunReader) -> Plot | None:
    rows = run.get(CONCURRENCY, [])
    if not rows:
        return None
    strategies = [r.strategy for r in rows]
    with canvas() as (fig, ax):
        rates = [r.operations / r.wall_time_s if r.wall_time_s else 0 for r in rows]
        bars = ax.bar(strategies, rates, color=[color(s) for s in strategies])
        ax.bar_label(bars, labels=[f"{v:,.0f}/s\n{r.retries:,} retries" for v, r in zip(rates, rows, strict=True)],
                     fontsize=7, padding=2)
        ax.set_ylabel("level-ups per second")
        ax.margins(y=0.25)
        svg = to_svg(fig)
    return Plot("contention", "Level-ups per second under contention",
                f"{rows[0].threads} threads levelling up one student at once, {rows[0].ops_per_thread} each; "
                "retries are serialization failures retried.", svg, "concurrency.json")


def recovery_timings(run: RunReader) -> Plot | None:
    rows = run.get(RECOVERY_STRESS, [])
    if not rows:
        return None
    labels = [f"{r.users:,} users" for r in rows]
    x = np.arange(len(rows))
    with canvas(height=2.8) as (fig, ax):
        series = (("detect (raw SQL)", "raw_detect_ms", "#9ecae1"), ("detect (service)", "detect_ms", "#1f77b4"),
                  ("repair (raw SQL)", "raw_repair_ms", "#fdae6b"), ("repair (service)", "repair_ms", "#e6550d"))
        width = 0.2
        for i, (label, key, shade) in enumerate(series):
            bars = ax.bar(x + (i - 1.5) * width, [getattr(r, key) for r in rows], width, label=label, color=shade)
            ax.bar_label(bars, labels=[f"{getattr(r, key):,.1f}" for r in rows], fontsize=7, padding=2)
        ax.set_xticks(x, labels)
        ax.set_ylabel("ms")
        ax.margins(y=0.2)
        ax.legend(fontsize=7, ncols=2)
        svg = to_svg(fig)
    return Plot("recovery", "Desync recovery: the service beside raw SQL",
                f"Finding and repairing {rows[0].faults:,} injected faults; repair includes detection. The raw "
                "figures run the same SQL through the driver in the same run.", svg, "recovery_stress.json")


def gate_outcomes(run: RunReader) -> Plot | None:
    verdict: VerdictRecord | None = run.get(VERDICT)
    if verdict is None or not verdict.gates:
        return None
    stages = [s.name for s in verdict.stages]
    counts: dict[str, Counter[str]] = {stage: Counter() for stage in stages}
    for gate in verdict.gates:
        counts.setdefault(gate.stage, Counter())[gate.status] += 1
    shown = [s for s in stages if counts[s]]
    with canvas(height=0.35 * len(shown) + 1.0) as (fig, ax):
        left = np.zeros(len(shown))
        for status, shade in STATUS_COLORS.items():
            values = np.array([counts[s][status] for s in shown])
            ax.barh(shown, values, left=left, color=shade, label=status.replace("_", " "))
            left += values
        ax.invert_yaxis()
        ax.set_xlabel("gate outcomes (one per gate and subject)")
        ax.legend(fontsize=7, ncols=4, loc="lower center", bbox_to_anchor=(0.5, 1.0))
        svg = to_svg(fig)
    return Plot("gates", "Gate outcomes per stage", "Every gate of every stage, one outcome per subject (a strategy, "
                "a scenario cell...): pass, fail, exempt (measured, not gated) or not measured.", svg, "verdict.json")


#: Every plot of a run, with what to say when the run has no data for it.
RUN_PLOTS: tuple[tuple[Callable[[RunReader], Plot | None], str], ...] = (
    (latency_cdf, "single-threaded latency distribution (the strategies stage did not run)"),
    (contention_throughput, "level-ups under contention (the strategies stage did not run)"),
    (lost_xp, "lost XP per strategy (neither the strategies nor the swarms stage ran)"),
    (swarm_summary, "the hot-spot swarms (the swarms stage did not run)"),
    (swarm_throughput, f"swarm throughput over time (no swarm ran for {MIN_POINTS} s or more)"),
    (swarm_p95, f"swarm p95 over time (no swarm ran for {MIN_POINTS} s or more)"),
    (recovery_timings, "desync recovery beside raw SQL (the recovery stage did not run)"),
    (scenario_outcomes, "scenario outcomes (the scenarios stage did not run)"),
    (gate_outcomes, "gate outcomes (the run has no verdict)"),
)


def run_plots(run: RunReader) -> tuple[list[Plot], list[str]]:
    """The plots this run has data for, and why each of the others is missing."""
    from reports.plots.bench_plots import BENCH_PLOTS
    from reports.plots.capacity_plots import CAPACITY_PLOTS
    from reports.plots.overload_plots import OVERLOAD_PLOTS
    from reports.plots.soak_plots import SOAK_PLOTS

    made, missing = [], []
    for make, absent in (*RUN_PLOTS, *CAPACITY_PLOTS, *OVERLOAD_PLOTS, *BENCH_PLOTS, *SOAK_PLOTS):
        plot = make(run)
        if plot is None:
            missing.append(absent)
        else:
            made.append(plot)
    return made, missing
