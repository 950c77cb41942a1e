"""pyperf's rule for an unstable measurement, the one rule every part of the harness applies: a standard
deviation of 10 % of the mean or more, or a minimum or maximum 50 % or more away from the mean."""

from __future__ import annotations

import statistics
from collections.abc import Sequence

STDEV_LIMIT = 0.10
SPREAD_LIMIT = 0.50


def unstable_reasons(*, count: int, mean: float, stdev: float, low: float, high: float) -> list[str]:
    """pyperf's warnings from a measurement's summary; empty when it looks stable. A single sample cannot
    show its spread: that is said too."""
    if count < 2:
        return ["a single round: its stability is unknown"]
    if mean <= 0:
        return []
    reasons = []
    if stdev >= STDEV_LIMIT * mean:
        reasons.append(f"the standard deviation is {stdev / mean:.0%} of the mean")
    if (mean - low) >= SPREAD_LIMIT * mean:
        reasons.append(f"the minimum is {(mean - low) / mean:.0%} smaller than the mean")
    if (high - mean) >= SPREAD_LIMIT * mean:
        reasons.append(f"the maximum is {(high - mean) / mean:.0%} greater than the mean")
    return reasons


def instability(samples: Sequence[float]) -> list[str]:
    """pyperf's warnings for these samples (any unit)."""
    if len(samples) < 2:
        return unstable_reasons(count=len(samples), mean=0.0, stdev=0.0, low=0.0, high=0.0)
    return unstable_reasons(count=len(samples), mean=statistics.fmean(samples), stdev=statistics.stdev(samples),
                            low=min(samples), high=max(samples))
