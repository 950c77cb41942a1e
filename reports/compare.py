"""Compare runs metric by metric (Rally's ``esrally compare`` columns: metric, stage, baseline, contender, diff,
diff %), and the thresholds that make a comparison a CI gate: the one comparison of the harness (``plsync
compare`` of two runs, ``plsync bench --compare``).

What may gate, and on what basis (every row says which):

- a **count** (lost XP, failed gates, cells not as expected) is what it is: its threshold gates it;
- a **ratio** to a control timed in the same run (a benchmark's median over its raw-SQL ceiling measured in
  the same rounds, recovery over the same SQL run raw, a swarm over pgbench) gates on its threshold: the
  control absorbs what moved the whole machine between the runs;
- a raw **measurement** (a latency, a throughput) gates only over repeated runs: Mann-Whitney U on the
  per-run values, at least ``MIN_RUNS`` runs a side. Thousands of samples from one run measure that run's
  noise, not the noise between runs (two runs of the same code an hour apart differ "significantly" on them),
  so a comparison of one run with one run shows such a change and never fails on it.
"""

from __future__ import annotations

import fnmatch
import math
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from reports.histogram_metrics import DEFAULT_PERCENTILES, histogram_metrics
from reports.metrics import COUNT, HIGHER, RATIO, Metric, run_metrics
from reports.run_reader import RunReader
from system.errors import InvalidInputError

ALPHA = 0.05
#: Runs a side for a test between runs: with 4 and 4 the smallest two-sided Mann-Whitney p is 0.029 (< ALPHA);
#: with 3 and 3 it is 0.1, so fewer could never show a difference.
MIN_RUNS = 4
BETTER, WORSE, SAME, NEW, GONE = "better", "worse", "same", "new", "gone"


@dataclass(frozen=True)
class Row:
    key: str
    metric: str
    stage: str
    subject: str
    unit: str
    #: The median over each side's runs.
    baseline: float | None
    contender: float | None
    diff: float | None
    diff_pct: float | None
    change: str
    kind: str  # count | ratio | measured
    #: What a threshold may gate this row on, in words.
    basis: str
    runs: tuple[int, int]
    #: Mann-Whitney U between the runs' values (None without MIN_RUNS runs a side).
    p_value: float | None

    @property
    def significant(self) -> bool | None:
        """None when there is no test between runs."""
        return None if self.p_value is None else self.p_value < ALPHA

    @property
    def gateable(self) -> bool:
        if self.kind in (COUNT, RATIO):
            return self.significant is not False  # repeated runs that show no difference do not gate either
        return bool(self.significant)


@dataclass(frozen=True)
class Threshold:
    """``PATTERN:PCT%`` (or ``PCT%`` for every metric): a worse change past PCT % fails, where the row may gate.
    A pattern without a wildcard matches metrics containing it (``median:10%``); with one, the whole key or
    metric name (``'*latency median*:10%'``)."""

    pattern: str
    percent: float

    @classmethod
    def parse(cls, raw: str) -> Threshold:
        pattern, _, pct = raw.rpartition(":")
        found = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*%\s*", pct)
        if not found:
            raise InvalidInputError(f"malformed threshold {raw!r}: expected PCT% or PATTERN:PCT% (e.g. 10%, "
                                    "median:10% or '*latency*:5%')")
        pattern = pattern.strip() or "*"
        return cls(pattern if any(c in pattern for c in "*?[") else f"*{pattern}*", float(found.group(1)))

    def matches(self, row: Row) -> bool:
        return fnmatch.fnmatch(row.key, self.pattern) or fnmatch.fnmatch(row.metric, self.pattern)

    def fails(self, row: Row) -> str | None:
        if row.change != WORSE or row.diff_pct is None or not self.matches(row):
            return None
        if abs(row.diff_pct) < self.percent or not row.gateable:
            return None
        shown = "∞" if math.isinf(row.diff_pct) else f"{row.diff_pct:+.1f}"
        evidence = f"; p = {row.p_value:.3g}" if row.p_value is not None else ""
        return (f"{row.metric} ({row.stage}{'/' + row.subject if row.subject else ''}): {row.baseline:g} -> "
                f"{row.contender:g} {row.unit} ({shown}%, {row.basis}{evidence}; allowed {self.percent:g}%)")


def parse_thresholds(expressions: Sequence[str]) -> list[Threshold]:
    return [Threshold.parse(e) for e in expressions]


def _change(base: float, cont: float, better: str) -> str:
    if math.isclose(base, cont, rel_tol=1e-9, abs_tol=1e-12):
        return SAME
    improved = cont > base if better == HIGHER else cont < base
    return BETTER if improved else WORSE


def _between_runs(base: list[float], cont: list[float]) -> float | None:
    """Mann-Whitney U (two-sided, exact for small samples) on the per-run values: the harness's one rank test."""
    if len(base) < MIN_RUNS or len(cont) < MIN_RUNS:
        return None
    if len(set(base) | set(cont)) == 1:
        return 1.0  # every run measured the same: no difference at all
    from scipy.stats import mannwhitneyu  # imported when needed: it costs seconds on a busy machine

    return float(mannwhitneyu(base, cont, alternative="two-sided").pvalue)


def _basis(known: Metric, p_value: float | None, runs: tuple[int, int]) -> str:
    if known.kind == COUNT:
        return "a count"
    if known.kind == RATIO:
        return f"ratio to {known.control}, timed in the same run"
    if p_value is not None:
        return f"{runs[0]} vs {runs[1]} runs, Mann-Whitney U on the per-run values"
    return (f"not gated: {runs[0]} vs {runs[1]} run(s) (a test between runs needs {MIN_RUNS} a side; or read its "
            "ratio to a control)")


def _row(base: list[Metric], cont: list[Metric]) -> Row:
    known = (base or cont)[0]
    runs = (len(base), len(cont))
    if not base or not cont:
        value = statistics.median(m.value for m in base or cont)
        return Row(known.key, known.name, known.stage, known.subject, known.unit, value if base else None,
                   value if cont else None, None, None, NEW if not base else GONE, known.kind,
                   _basis(known, None, runs), runs, None)
    b, c = statistics.median(m.value for m in base), statistics.median(m.value for m in cont)
    diff = c - b
    pct = (diff / abs(b) * 100) if b else (0.0 if diff == 0 else math.copysign(math.inf, diff))
    p_value = _between_runs([m.value for m in base], [m.value for m in cont])
    return Row(known.key, known.name, known.stage, known.subject, known.unit, b, c, diff, pct,
               _change(b, c, known.better), known.kind, _basis(known, p_value, runs), runs, p_value)


def compare_metrics(baseline: Sequence[Sequence[Metric]], contender: Sequence[Sequence[Metric]]) -> list[Row]:
    """Rows for every metric of either side; each side is one or more runs' metrics (repeats of one code)."""
    def by_key(runs: Sequence[Sequence[Metric]]) -> dict[str, list[Metric]]:
        keyed: dict[str, list[Metric]] = {}
        for metrics in runs:
            for metric in metrics:
                keyed.setdefault(metric.key, []).append(metric)
        return keyed

    base, cont = by_key(baseline), by_key(contender)
    keys = list(base) + [k for k in cont if k not in base]
    return [_row(base.get(k, []), cont.get(k, [])) for k in keys]


def compare_runs(baseline: Sequence[RunReader], contender: Sequence[RunReader],
                 percentiles: Sequence[float] = DEFAULT_PERCENTILES) -> list[Row]:
    """Each side: one run directory, or several runs of the same code (a test between runs needs MIN_RUNS).
    Latency percentiles of swarms and capacity steps are recomputed from each run's histograms."""
    def metrics(run: RunReader) -> list[Metric]:
        return run_metrics(run) + histogram_metrics(run, percentiles)

    return compare_metrics([metrics(r) for r in baseline], [metrics(r) for r in contender])


def regressions(rows: list[Row], thresholds: list[Threshold]) -> list[str]:
    return [message for row in rows for t in thresholds if (message := t.fails(row))]
