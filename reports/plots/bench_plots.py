"""The plots of the benchmarks stage: results against their documented targets with the raw-SQL ceiling
beside them, how close each service path is to raw SQL, and the scale curves (log-log)."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from plsync.records.benchmarks import BenchmarkRecord
from plsync.records.files import BENCHMARK_SCALE, BENCHMARKS
from reports.plots.base import Plot, canvas, color, to_svg
from reports.run_reader import RunReader


def _label(row: BenchmarkRecord) -> str:
    return f"{row.operation} · {row.strategy}" if row.strategy else row.operation


def _worst_per_label(rows: list[BenchmarkRecord]) -> list[BenchmarkRecord]:
    """One row per (operation, strategy): the case closest to its target."""
    worst: dict[str, tuple[float, BenchmarkRecord]] = {}
    for row in rows:
        if row.target is None:
            continue
        key = _label(row)
        share = row.target.observed_ms / row.target.max_ms
        if key not in worst or share > worst[key][0]:
            worst[key] = (share, row)
    return [row for _, row in worst.values()]


def benchmark_targets(run: RunReader) -> Plot | None:
    worst = _worst_per_label([r for r in run.get(BENCHMARKS, []) if r.target])
    if not worst:
        return None
    rows = sorted(((r, r.target) for r in worst if r.target is not None),
                  key=lambda pair: (pair[0].operation, pair[0].strategy or ""))
    y = np.arange(len(rows))
    with canvas(height=0.22 * len(rows) + 1.2) as (fig, ax):
        observed = [t.observed_ms for _, t in rows]
        ax.barh(y, observed, color=["#d62728" if r.target_status == "fail" else "#2ca02c" for r, _ in rows],
                alpha=0.75, label="measured")
        raw = [(i, r.raw_p99_ms if t.metric == "p99_ms" else r.raw_median_ms)
               for i, (r, t) in enumerate(rows) if r.raw_median_ms]
        if raw:
            ax.scatter([v or 0.0 for _, v in raw], [i for i, _ in raw], color="#000", s=12, zorder=3,
                       label="raw SQL, same work")
        ax.scatter([t.max_ms for _, t in rows], y, marker="|", s=160, color="#d62728", zorder=3,
                   label="documented target")
        ax.set_yticks(y, [f"{_label(r)} ({t.metric.removesuffix('_ms')})" for r, t in rows], fontsize=7)
        ax.invert_yaxis()
        ax.set_xscale("log")
        ax.set_xlabel("ms (log scale)")
        ax.legend(fontsize=7, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=3)
        svg = to_svg(fig)
    return Plot("bench-targets", "Benchmarks against their documented targets",
                "Each operation and strategy at its hardest case: the statistic its target names (p99 or max), the "
                "target from seeds 001/002, and the raw-SQL ceiling measured in the same rounds.", svg,
                "benchmarks.json")


def benchmark_ratios(run: RunReader) -> Plot | None:
    grouped: dict[str, list[float]] = defaultdict(list)
    for row in run.get(BENCHMARKS, []):
        if row.ratio_to_raw:
            grouped[_label(row)].append(row.ratio_to_raw)
    if not grouped:
        return None
    labels = sorted(grouped)
    medians = [float(np.median(grouped[k])) for k in labels]
    y = np.arange(len(labels))
    with canvas(height=0.22 * len(labels) + 1.2) as (fig, ax):
        strategies = [k.split(" · ")[1] if " · " in k else "" for k in labels]
        ax.barh(y, medians, color=[color(s) if s else "#7f7f7f" for s in strategies])
        ax.axvline(1, color="#000", linewidth=0.8)
        ax.axvline(3, color="#d62728", linewidth=0.8, linestyle="--", label="3x: the aim for sync operations")
        ax.set_yticks(y, labels, fontsize=7)
        ax.invert_yaxis()
        ax.set_xlabel("service median / raw-SQL median (median over the cases)")
        ax.legend(fontsize=7)
        svg = to_svg(fig)
    return Plot("bench-ratios", "How close the service path is to raw SQL",
                "Median of the service path over the median of one hand-written statement doing the same work, in "
                "the same run; 1x is PostgreSQL itself.", svg, "benchmarks.json")


def scale_curves(run: RunReader) -> Plot | None:
    curves = [c for c in run.get(BENCHMARK_SCALE, []) if len(c.sizes) >= 2]
    if not curves:
        return None
    palette = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2")
    with canvas() as (fig, ax):
        for i, curve in enumerate(curves):
            ax.plot(curve.sizes, [s * 1000 for s in curve.seconds], marker="o", color=palette[i % len(palette)],
                    label=f"{curve.operation}: exponent {curve.exponent:.2f}")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("users (log)")
        ax.set_ylabel("ms (log)")
        ax.legend(fontsize=7)
        svg = to_svg(fig)
    sizes = sorted({s for c in curves for s in c.sizes})
    return Plot("scale", "Scale curves", f"Time against population size ({', '.join(f'{s:,}' for s in sizes)} users), "
                "log-log; the exponent of a least-squares fit (1 is linear).", svg, "benchmark_scale.json")


BENCH_PLOTS = (
    (benchmark_targets, "benchmarks against their targets (the benchmarks stage did not run)"),
    (benchmark_ratios, "service path against raw SQL (the benchmarks stage did not run)"),
    (scale_curves, "scale curves (the run measured no size twice)"),
)
