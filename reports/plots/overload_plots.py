"""The overload run, drawn: per second, what was offered and how it ended (admitted, shed, errors), with the
API's resident memory beside it, and the admitted p99 per second against the pre-overload p99; the phase
boundaries marked. Returns None without an overload run."""

from __future__ import annotations

from typing import Any

from plsync.records.files import OVERLOAD
from plsync.records.overload import OverloadRecord
from reports.plots.base import Plot, canvas, to_svg
from reports.run_reader import RunReader


def _record(run: RunReader) -> OverloadRecord | None:
    record: OverloadRecord | None = run.get(OVERLOAD)
    return record if record is not None and record.seconds else None


def _phases(ax: Any, record: OverloadRecord) -> None:
    start, end = record.phase_s, record.phase_s + record.overload_s
    ax.axvspan(start, end, color="#ff7f0e", alpha=0.08, label="overload")
    for edge in (start, end):
        ax.axvline(edge, color="#7f7f7f", linestyle="--", linewidth=0.8)


def overload_throughput(run: RunReader) -> Plot | None:
    record = _record(run)
    if record is None:
        return None
    seconds = [s.second for s in record.seconds]
    with canvas(7.0, 3.6) as (fig, ax):
        _phases(ax, record)
        ax.plot(seconds, [s.offered for s in record.seconds], color="#7f7f7f", label="offered (intended)")
        ax.plot(seconds, [s.admitted for s in record.seconds], color="#2ca02c", label="admitted 2xx")
        ax.plot(seconds, [s.shed for s in record.seconds], color="#d62728", label="shed 503")
        errors = [s.errors + s.dropped_late for s in record.seconds]
        if any(errors):
            ax.plot(seconds, errors, color="#9467bd", label="errors, no reply or dropped late")
        ax.axhline(record.capacity_per_s, color="#1f77b4", linewidth=0.8, linestyle=":", label="capacity")
        ax.set_xlabel("seconds from the schedule's start")
        ax.set_ylabel("requests per second")
        memory = ax.twinx()
        memory.plot([p.second for p in record.rss], [p.rss_mb for p in record.rss], color="#8c564b",
                    linewidth=1.2, label="API RSS (MB)")
        memory.set_ylabel("API resident memory, MB")
        memory.grid(False)
        lines, labels = ax.get_legend_handles_labels()
        more, more_labels = memory.get_legend_handles_labels()
        ax.legend(lines + more, labels + more_labels, fontsize=7, loc="upper left")
        svg = to_svg(fig)
    return Plot("overload-throughput", "Overload: offered, admitted and shed per second; API memory",
                f"{record.factor:g}x the capacity ({record.capacity_per_s:.1f}/s) offered for {record.overload_s} s "
                f"(shaded) between {record.phase_s} s at half of it; offered by intended second, replies by "
                f"completion second; goodput {record.goodput_ratio:.0%} of capacity; the API's resident memory on "
                f"the right axis (sampled every 0.5 s).", svg, "overload.json")


def overload_latency(run: RunReader) -> Plot | None:
    record = _record(run)
    if record is None:
        return None
    points = [(s.second, s.admitted_p99_ms) for s in record.seconds if s.admitted_p99_ms is not None]
    if not points:
        return None
    with canvas() as (fig, ax):
        _phases(ax, record)
        ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", markersize=2, color="#1f77b4",
                label="admitted p99 (1 s window)")
        if record.pre_overload_p99_ms is not None:
            ax.axhline(record.pre_overload_p99_ms, color="#2ca02c", linewidth=0.9,
                       label=f"pre-overload p99 {record.pre_overload_p99_ms:,.0f} ms (without the first "
                             f"{record.warmup_s} s)")
        ax.set_yscale("log")
        ax.set_xlabel("seconds from the schedule's start (intended start)")
        ax.set_ylabel("response time from the intended start, ms")
        ax.legend(fontsize=7, loc="upper left")
        svg = to_svg(fig)
    recovery = "none within the after phase" if record.recovery_s is None else f"{record.recovery_s:g} s"
    return Plot("overload-latency", "Overload: admitted p99 per second",
                "The p99 of the admitted requests intended in each second (open model, response time from the "
                f"intended start, exact); recovery (the first second after the overload back within the "
                f"pre-overload p99): {recovery}.", svg, "overload.json")


OVERLOAD_PLOTS = (
    (overload_throughput, "overload throughput and memory (the overload stage did not run)"),
    (overload_latency, "admitted p99 under overload (the overload stage did not run)"),
)
