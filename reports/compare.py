"""Compare two runs metric by metric (Rally's ``esrally compare`` columns: metric, stage, baseline,
contender, diff, diff %), with significance where both runs kept raw samples, and thresholds that make a
comparison a CI gate."""

from __future__ import annotations

import fnmatch
import math
import re
from dataclasses import dataclass

from scipy.stats import mannwhitneyu

from reports.metrics import HIGHER, Metric, run_metrics
from reports.run_reader import RunReader
from system.errors import InvalidInputError

ALPHA = 0.05
#: Fewer samples than this on either side and a rank test says little: no significance is claimed.
MIN_SAMPLES = 8
BETTER, WORSE, SAME, NEW, GONE = "better", "worse", "same", "new", "gone"


@dataclass(frozen=True)
class Row:
    key: str
    metric: str
    stage: str
    subject: str
    unit: str
    baseline: float | None
    contender: float | None
    diff: float | None
    diff_pct: float | None
    change: str
    p_value: float | None

    @property
    def significant(self) -> bool | None:
        """None when the runs kept no samples to test."""
        return None if self.p_value is None else self.p_value < ALPHA


@dataclass(frozen=True)
class Threshold:
    """``PATTERN:PCT`` (or ``PCT`` for every metric): a worse change past PCT % fails, when significant."""

    pattern: str
    percent: float

    @classmethod
    def parse(cls, raw: str) -> Threshold:
        pattern, _, pct = raw.rpartition(":")
        found = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*%\s*", pct)
        if not found:
            raise InvalidInputError(f"malformed threshold {raw!r}: expected PCT% or PATTERN:PCT% (e.g. 10% or "
                                    "'*latency*:5%')")
        return cls(pattern.strip() or "*", float(found.group(1)))

    def fails(self, row: Row) -> str | None:
        if row.change != WORSE or row.diff_pct is None:
            return None
        if not (fnmatch.fnmatch(row.key, self.pattern) or fnmatch.fnmatch(row.metric, self.pattern)):
            return None
        if abs(row.diff_pct) < self.percent or row.significant is False:
            return None
        shown = "∞" if math.isinf(row.diff_pct) else f"{row.diff_pct:+.1f}"
        evidence = f", p = {row.p_value:.3g}" if row.p_value is not None else ", no samples to test"
        return (f"{row.metric} ({row.stage}{'/' + row.subject if row.subject else ''}): {row.baseline:g} -> "
                f"{row.contender:g} {row.unit} ({shown}%{evidence}; allowed {self.percent:g}%)")


def _change(base: float, cont: float, better: str) -> str:
    if math.isclose(base, cont, rel_tol=1e-9, abs_tol=1e-12):
        return SAME
    improved = cont > base if better == HIGHER else cont < base
    return BETTER if improved else WORSE


def _row(base: Metric | None, cont: Metric | None) -> Row:
    known = base or cont
    assert known is not None
    if base is None or cont is None:
        return Row(known.key, known.name, known.stage, known.subject, known.unit,
                   base.value if base else None, cont.value if cont else None, None, None,
                   NEW if base is None else GONE, None)
    diff = cont.value - base.value
    pct = (diff / abs(base.value) * 100) if base.value else (0.0 if diff == 0 else math.copysign(math.inf, diff))
    p_value = None
    if len(base.samples) >= MIN_SAMPLES and len(cont.samples) >= MIN_SAMPLES:
        p_value = float(mannwhitneyu(base.samples, cont.samples, alternative="two-sided").pvalue)
    return Row(known.key, known.name, known.stage, known.subject, known.unit, base.value, cont.value, diff, pct,
               _change(base.value, cont.value, known.better), p_value)


def compare_runs(baseline: RunReader, contender: RunReader) -> list[Row]:
    base = {m.key: m for m in run_metrics(baseline)}
    cont = {m.key: m for m in run_metrics(contender)}
    keys = list(base) + [k for k in cont if k not in base]
    return [_row(base.get(k), cont.get(k)) for k in keys]


def regressions(rows: list[Row], thresholds: list[Threshold]) -> list[str]:
    return [message for row in rows for t in thresholds if (message := t.fails(row))]
