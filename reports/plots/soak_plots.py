"""The plots of the scheduler soak: each run of the job through the soak (duration, memory, desyncs
injected before it and left after it), phases marked, in the soak's own clock."""

from __future__ import annotations

from typing import Any

from plsync.records.files import SOAK
from plsync.records.soak import SoakRecord, SoakRunRecord
from reports.plots.base import Plot, canvas, to_svg
from reports.run_reader import RunReader

PHASE_COLORS = {"steady": "#1f77b4", "overrun": "#ff7f0e", "restart": "#d62728", "outage": "#9467bd"}


def _runs(run: RunReader) -> tuple[SoakRecord, list[SoakRunRecord]] | None:
    soak: SoakRecord | None = run.get(SOAK)
    if not soak or not soak.runs:
        return None
    return soak, soak.runs


def _by_phase(ax: Any, runs: list[SoakRunRecord], field: str, scale: float = 1.0) -> None:
    for phase, shade in PHASE_COLORS.items():
        points = [(r.run, getattr(r, field) * scale) for r in runs
                  if r.phase == phase and getattr(r, field) is not None]
        if points:
            ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", markersize=2.5, linewidth=0.9,
                    color=shade, label=phase)


def soak_durations(run: RunReader) -> Plot | None:
    found = _runs(run)
    if found is None:
        return None
    soak, runs = found
    trend = soak.duration_trend_ms_per_run
    with canvas() as (fig, ax):
        _by_phase(ax, runs, "duration_s", 1000)
        ax.set_xlabel("run of the job")
        ax.set_ylabel("duration, ms")
        ax.set_yscale("log")
        ax.legend(fontsize=7)
        svg = to_svg(fig)
    return Plot("soak-durations", "Scheduler soak: duration of each run",
                f"{soak.runs_executed} runs of the production job over {soak.hours:g} hours of its schedule "
                f"({soak.clock} clock), by phase; trend {trend.slope:+.3f} ms per run "
                f"(p = {trend.p_value:.2g}).", svg,
                "soak.json")


def soak_memory(run: RunReader) -> Plot | None:
    found = _runs(run)
    if found is None:
        return None
    soak, runs = found
    with canvas() as (fig, ax):
        _by_phase(ax, runs, "rss_bytes", 1 / 2**20)
        ax.axvline(soak.warmup_runs + 0.5, color="#7f7f7f", linestyle="--", linewidth=0.8,
                   label="end of warm-up")
        ax.set_xlabel("run of the job")
        ax.set_ylabel("RSS after gc.collect(), MiB")
        ax.legend(fontsize=7)
        svg = to_svg(fig)
    verdict = "significant" if soak.rss.slope.significant else "not significant"
    return Plot("soak-memory", "Scheduler soak: memory of the job's process",
                f"Resident memory sampled at the same point of every cycle; growth {soak.rss.growth_pct:+.2f} %, "
                f"slope {soak.rss.slope.slope:+,.0f} bytes per run ({verdict} against "
                f"{soak.rss.slope.tolerance:,.0f} bytes).", svg, "soak.json")


def soak_desyncs(run: RunReader) -> Plot | None:
    found = _runs(run)
    if found is None:
        return None
    soak, runs = found
    with canvas() as (fig, ax):
        numbers = [r.run for r in runs]
        ax.bar(numbers, [r.injected for r in runs], color="#fdae6b", label="desyncs injected before the run")
        ax.bar(numbers, [r.synced for r in runs], width=0.4, color="#2ca02c", label="repaired by the run")
        ax.plot(numbers, [r.desyncs_left for r in runs], color="#d62728", marker="x", markersize=3,
                linewidth=0.8, label="left after the run")
        ax.set_xlabel("run of the job")
        ax.set_ylabel("pairs")
        ax.legend(fontsize=7)
        svg = to_svg(fig)
    return Plot("soak-desyncs", "Scheduler soak: desyncs injected and left",
                f"{soak.injected:,} faults injected with their ground truth between runs, {soak.repaired:,} "
                f"repaired; at most {soak.max_desyncs_left_after_run} left right after a run.", svg, "soak.json")


SOAK_PLOTS = (
    (soak_durations, "the soak's run durations (the soak stage did not run)"),
    (soak_memory, "the soak's memory (the soak stage did not run)"),
    (soak_desyncs, "the soak's desyncs (the soak stage did not run)"),
)
