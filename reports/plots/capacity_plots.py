"""Capacity at SLO, drawn: response time (open model) against offered rate per strategy, the SLO line, and
each strategy's knee (its capacity: the highest rate that held). Returns None without a capacity stage."""

from __future__ import annotations

from plsync.records.capacity import StrategyCapacityRecord
from plsync.records.files import CAPACITY
from reports.plots.base import Plot, canvas, color, to_svg
from reports.run_reader import RunReader


def _curve(entry: StrategyCapacityRecord, field: str) -> tuple[list[float], list[float]]:
    """The field's value per offered rate (the median over repeats at a rate), rates ascending."""
    by_rate: dict[float, list[float]] = {}
    for step in entry.steps:
        value = getattr(step, field)
        if value is not None:
            by_rate.setdefault(step.offered_per_s, []).append(value)
    rates = sorted(by_rate)
    return rates, [sorted(by_rate[r])[len(by_rate[r]) // 2] for r in rates]


def capacity_curves(run: RunReader) -> Plot | None:
    document = run.get(CAPACITY)
    if document is None or not document.strategies:
        return None
    label = document.slo_label.replace("_", ".")
    with canvas(7.0, 3.6) as (fig, ax):
        for entry in document.strategies:
            tint = color(entry.strategy)
            rates, slo_values = _curve(entry, "slo_ms")
            ax.plot(rates, slo_values, marker="o", color=tint, label=f"{entry.strategy} {label}")
            rates50, p50 = _curve(entry, "p50_ms")
            ax.plot(rates50, p50, linestyle=":", color=tint, label=f"{entry.strategy} p50")
            knee = entry.capacity_per_s
            if knee is not None:
                ax.axvline(knee, color=tint, alpha=0.4, linestyle="--")
                ax.annotate(f"{knee:g}/s", (knee, document.slo_limit_ms), color=tint, fontsize=7,
                            xytext=(3, 3), textcoords="offset points")
        ax.axhline(document.slo_limit_ms, color="#555555", linewidth=1, label=f"SLO {document.slo}")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("offered rate, requests/s (log scale)")
        ax.set_ylabel("response time from the intended start, ms")
        ax.legend(fontsize=7, loc="upper left")
        svg = to_svg(fig)
    return Plot("capacity-curves", "Latency against offered load (open model)",
                f"Per strategy, the {label} and p50 of response time (from each request's intended start) at each "
                f"offered rate of the {document.workload} workload; the dashed line is the strategy's capacity "
                f"(the highest rate that held {document.slo} with nothing dropped, failed or lost).", svg,
                "capacity.json")


CAPACITY_PLOTS = (
    (capacity_curves, "latency against offered load (the capacity stage did not run)"),
)
