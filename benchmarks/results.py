"""One benchmark's result as a flat row: its timings (from pytest-benchmark's rounds), its raw-SQL ceiling,
its target and aim, and pyperf's instability marks. Built the same way inside the pytest session and
from a saved pytest-benchmark JSON file (``extra_info`` carries everything beyond the rounds)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from benchmarks.stats import RoundsSummary, ScaleFit, fit_exponent, instability
from benchmarks.targets import aim_for, target_for

#: What names a result besides its operation, in the order a table shows them.
PARAMS = ("strategy", "case", "users", "desyncs", "direction", "mode", "source")


def judge(operation: str, params: Mapping[str, Any], seconds: Sequence[float],
          raw_seconds: Sequence[float] = ()) -> dict[str, Any]:
    """What a benchmark stores in ``extra_info``: parameters, ceiling, ratio, target, aim, instability."""
    summary = RoundsSummary.of(seconds)
    extra: dict[str, Any] = {"operation": operation, **params, "p95_s": summary.p95_ms / 1000,
                             "p99_s": summary.p99_ms / 1000, "unstable": instability(seconds)}
    ratio = None
    if raw_seconds:
        raw = RoundsSummary.of(raw_seconds)
        ratio = summary.median_ms / raw.median_ms if raw.median_ms else None
        extra.update(raw_sql_median_s=raw.median_ms / 1000, raw_sql_p99_s=raw.p99_ms / 1000,
                     raw_sql_rounds=raw.rounds, ratio_to_raw=ratio, raw_sql_unstable=instability(raw_seconds))
    target = target_for(operation, params)
    if target is not None:
        observed = summary.metric(target.metric)
        extra["target"] = {"name": target.name, "metric": target.metric, "max_ms": target.max_ms,
                           "source": target.source, "observed_ms": observed}
        extra["target_failure"] = target.fails(observed)
    aim = aim_for(operation, params)
    if aim is not None:
        extra["aim"] = {"name": aim.name, "source": aim.source, "median_ms": aim.median_ms,
                        "ratio_to_raw": aim.ratio_to_raw}
        extra["aim_missed"] = aim.misses(summary.median_ms, ratio)
    return extra


def row(name: str, data: Sequence[float], extra: Mapping[str, Any]) -> dict[str, Any]:
    """A table row (milliseconds) from a benchmark's rounds (seconds) and its ``extra_info``."""
    summary = RoundsSummary.of(data)
    target = extra.get("target")
    raw = extra.get("raw_sql_median_s")
    return {
        "name": name, "operation": extra.get("operation", name),
        **{key: extra.get(key) for key in PARAMS},
        "rounds": summary.rounds, "median_ms": summary.median_ms, "p95_ms": summary.p95_ms,
        "p99_ms": summary.p99_ms, "mean_ms": summary.mean_ms, "max_ms": summary.max_ms,
        "min_ms": summary.min_ms, "stddev_ms": summary.stddev_ms,
        "raw_median_ms": raw * 1000 if raw is not None else None,
        "raw_p99_ms": extra["raw_sql_p99_s"] * 1000 if raw is not None else None,
        "ratio_to_raw": extra.get("ratio_to_raw"),
        "target": target, "target_status": "none" if target is None else (
            "fail" if extra.get("target_failure") else "pass"),
        "target_failure": extra.get("target_failure"),
        "aim": extra.get("aim"), "aim_missed": extra.get("aim_missed"),
        "unstable": list(extra.get("unstable", [])), "raw_unstable": list(extra.get("raw_sql_unstable", [])),
        "curve": extra.get("curve"), "size": extra.get("size"),
        "notes": extra.get("notes"),
    }


def rows_from_json(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Rows of a pytest-benchmark JSON report (``--benchmark-json`` keeps every round)."""
    rows = []
    for bench in report.get("benchmarks", []):
        data = bench["stats"].get("data")
        if not data:
            raise ValueError(f"{bench['name']}: the report has no rounds (save it with --benchmark-json, or "
                             "--benchmark-save-data)")
        rows.append(row(bench["name"], data, bench.get("extra_info", {})))
    return rows


def scale_fits(rows: Iterable[Mapping[str, Any]]) -> list[ScaleFit]:
    """The exponent of median time against size, per curve with two sizes or more."""
    curves: dict[str, dict[int, float]] = {}
    for r in rows:
        if r.get("curve") and r.get("size"):
            curves.setdefault(r["curve"], {})[int(r["size"])] = r["median_ms"] / 1000
    fits = []
    for curve, points in sorted(curves.items()):
        if len(points) >= 2:
            sizes = sorted(points)
            fits.append(fit_exponent(curve, sizes, [points[n] for n in sizes]))
    return fits
