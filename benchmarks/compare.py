"""What ``plsync bench --compare`` compares: the benchmark figures of an earlier run directory, or of any saved
pytest-benchmark JSON file, against this run's, through the harness's one comparison (reports/compare.py: one
threshold grammar, one Mann-Whitney test, and one rule for what may gate).

A benchmark gates on its median over its raw-SQL ceiling, both timed in the same rounds of the same run: the
ratio cancels what moved the whole machine between the two runs. Its raw median is shown beside it and gates
only over repeated runs: the rounds of one run measure that run's noise, not the noise between runs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.results import rows_from_json, scale_fits
from benchmarks.suite import load_report
from plsync.records.benchmarks import BenchmarkRecord, ScaleFitRecord
from plsync.records.files import BENCHMARK_SCALE, BENCHMARKS
from reports.compare import Row, compare_metrics, parse_thresholds, regressions
from reports.metrics import Metric, benchmark_metrics
from reports.run_reader import RunReader


def benchmark_side(path: Path) -> list[Metric]:
    """The benchmark metrics of a run directory (its records) or of a pytest-benchmark JSON file (its rows, built
    as the suite builds them)."""
    if path.is_dir() and (path / BENCHMARKS.filename).exists():
        run = RunReader(path)
        return list(benchmark_metrics(run.load(BENCHMARKS), run.get(BENCHMARK_SCALE, [])))
    rows = rows_from_json(load_report(path))
    return list(benchmark_metrics([BenchmarkRecord.model_validate(r) for r in rows],
                                  [ScaleFitRecord.model_validate(vars(f) | {"verdict": f.verdict})
                                   for f in scale_fits(rows)]))


def comparison_record(baseline: str, before: Sequence[Metric], after: Sequence[Metric],
                      thresholds: Sequence[str]) -> tuple[list[Row], dict[str, Any]]:
    """The rows, and the comparison as JSON for the run directory: every row, and the regressions that fail the
    run."""
    rows = compare_metrics([before], [after])
    return rows, {"baseline": baseline, "thresholds": list(thresholds),
                  "rows": [dataclasses.asdict(r) for r in rows],
                  "regressions": regressions(rows, parse_thresholds(thresholds))}
