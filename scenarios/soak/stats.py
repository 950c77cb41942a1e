"""The soak's statistics, as pure functions: percentiles, a slope with its significance, growth, gaps.

A memory slope is judged the way pyperf judges a difference: not by its sign but by a test. The slope of
memory per run (least squares, SciPy's ``linregress``) is significant when a one-sided Student's t test
rejects "slope <= tolerance" at ``alpha``; on a shared machine one number alone says nothing.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from scipy import stats as sps

ALPHA = 0.01


@dataclass(frozen=True)
class SlopeFit:
    samples: int
    slope: float  # units per run
    stderr: float
    intercept: float
    #: One-sided p-value of "slope <= tolerance"; None with fewer than 3 samples.
    p_value: float | None
    tolerance: float
    alpha: float
    #: A positive slope beyond the tolerance that noise alone would produce less often than ``alpha``: a field
    #: (computed here, by the producer) so the record holds it and a gate reads it (``rss.slope.significant``).
    significant: bool = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "significant", self.p_value is not None and self.p_value < self.alpha)


def fit_slope(values: Sequence[float], *, tolerance: float = 0.0, alpha: float = ALPHA) -> SlopeFit:
    n = len(values)
    if n < 3:
        slope = float(values[-1] - values[0]) / (n - 1) if n == 2 else 0.0
        return SlopeFit(n, slope, float("nan"), float(values[0]) if n else 0.0, None, tolerance, alpha)
    fit = sps.linregress(np.arange(n, dtype=float), np.asarray(values, dtype=float))
    slope, stderr = float(fit.slope), float(fit.stderr)
    if stderr == 0.0 or not math.isfinite(stderr):  # a perfect line (or a flat one: SciPy gives nan)
        stderr = 0.0  # no noise to weigh the slope against: it is beyond the tolerance or it is not
        p = 0.0 if slope > tolerance else 1.0
    else:
        p = float(sps.t.sf((slope - tolerance) / stderr, n - 2))
    return SlopeFit(n, slope, stderr, float(fit.intercept), p, tolerance, alpha)


def growth_pct(values: Sequence[float], window: int = 5) -> float:
    """Growth from the start to the end of ``values`` in %, each end the median of ``window`` samples
    (fewer when the series is short), so one noisy sample at either end does not decide it."""
    if len(values) < 2:
        return 0.0
    k = max(1, min(window, len(values) // 4))
    first, last = statistics.median(values[:k]), statistics.median(values[-k:])
    return (last - first) / first * 100 if first else 0.0


@dataclass(frozen=True)
class Spread:
    count: int
    p50: float
    p95: float
    max: float
    mean: float


def spread(values: Sequence[float]) -> Spread:
    if not values:
        return Spread(0, 0.0, 0.0, 0.0, 0.0)
    arr = np.asarray(values, dtype=float)
    return Spread(len(values), float(np.percentile(arr, 50)), float(np.percentile(arr, 95)), float(arr.max()),
                  float(arr.mean()))


@dataclass(frozen=True)
class Gap:
    after: str  # ISO time of the success that started the gap
    before: str  # ISO time of the next success
    seconds: float


def gaps(successes: Sequence[datetime], limit_s: float) -> list[Gap]:
    """Stretches between consecutive successes (in time order) longer than ``limit_s``."""
    ordered = sorted(successes)
    return [Gap(a.isoformat(), b.isoformat(), (b - a).total_seconds())
            for a, b in itertools.pairwise(ordered) if (b - a).total_seconds() > limit_s]
