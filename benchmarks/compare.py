"""Compare two benchmark runs (pytest-benchmark JSON files): per benchmark, the change in a statistic and
whether it is significant, judged on the raw rounds.

Thresholds are pytest-benchmark's own (``median:10%`` or ``median:0.001`` seconds, parsed by
``parse_compare_fail`` into a check whose ``fails()`` returns a message). A regression is reported only
when the threshold is passed *and* the difference is significant: Mann-Whitney U on the two runs'
rounds (no normality assumed: latency distributions are skewed), or, for a saved file without its
rounds, Welch's t from the means and standard deviations. pyperf's 95 % level.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pytest_benchmark.utils import RegressionCheck, parse_compare_fail

ALPHA = 0.05


def parse_thresholds(expressions: Sequence[str]) -> list[RegressionCheck]:
    """``median:10%``-style expressions; a malformed one raises ValueError naming it."""
    checks = []
    for expression in expressions:
        try:
            checks.append(parse_compare_fail(expression))
        except Exception as exc:  # argparse.ArgumentTypeError: keep the CLI's error in one family
            raise ValueError(f"malformed threshold {expression!r}: expected FIELD:N% or FIELD:SECONDS with FIELD "
                             "one of min, max, mean, median, stddev, iqr") from exc
    return checks


@dataclass(frozen=True)
class Significance:
    test: str  # mann-whitney-u | welch-t | none
    p_value: float | None

    @property
    def significant(self) -> bool:
        return self.p_value is not None and self.p_value < ALPHA


def significance(before: Mapping[str, Any], after: Mapping[str, Any]) -> Significance:
    """Two pytest-benchmark ``stats`` objects: on their rounds when both have them, else on their summaries."""
    from scipy import stats as scipy_stats  # imported when needed: it costs seconds on a busy machine

    a, b = before.get("data") or [], after.get("data") or []
    if len(a) >= 2 and len(b) >= 2:
        result = scipy_stats.mannwhitneyu(b, a, alternative="two-sided")
        return Significance("mann-whitney-u", float(result.pvalue))
    if min(before.get("rounds", 0), after.get("rounds", 0)) >= 2 and (before["stddev"] or after["stddev"]):
        result = scipy_stats.ttest_ind_from_stats(after["mean"], after["stddev"], after["rounds"],
                                                  before["mean"], before["stddev"], before["rounds"],
                                                  equal_var=False)
        return Significance("welch-t", float(result.pvalue))
    return Significance("none", None)


@dataclass(frozen=True)
class Change:
    benchmark: str
    field: str
    before_s: float
    after_s: float
    significance: Significance
    regressions: list[str]  # one message per threshold passed significantly

    @property
    def change(self) -> float:
        """Relative change of ``field``: +0.25 is 25 % slower."""
        return self.after_s / self.before_s - 1 if self.before_s else float("inf")

    @property
    def regressed(self) -> bool:
        return bool(self.regressions)


def _key(bench: Mapping[str, Any]) -> str:
    return str(bench.get("fullname") or bench["name"])


def compare_runs(before: Mapping[str, Any], after: Mapping[str, Any], checks: Sequence[RegressionCheck] = (),
                 field: str = "median") -> tuple[list[Change], list[str]]:
    """Changes of every benchmark present in both runs, and the names found in only one of them."""
    old = {_key(b): b for b in before.get("benchmarks", [])}
    changes, unmatched = [], []
    for bench in after.get("benchmarks", []):
        base = old.pop(_key(bench), None)
        if base is None:
            unmatched.append(f"new: {bench['name']}")
            continue
        sig = significance(base["stats"], bench["stats"])
        failed = [message for check in checks
                  if (message := check.fails(bench["stats"], base["stats"])) and sig.significant]
        changes.append(Change(bench["name"], field, base["stats"][field], bench["stats"][field], sig, failed))
    unmatched += [f"gone: {b['name']}" for b in old.values()]
    return changes, unmatched


def comparison_record(baseline: str, before: Mapping[str, Any], after: Mapping[str, Any],
                      thresholds: Sequence[str]) -> dict[str, Any]:
    """The comparison as JSON for the run directory: every change, and the regressions that fail the run."""
    changes, unmatched = compare_runs(before, after, parse_thresholds(thresholds))
    return {
        "baseline": baseline, "thresholds": list(thresholds), "alpha": ALPHA,
        "changes": [{"benchmark": c.benchmark, "field": c.field, "before_s": c.before_s, "after_s": c.after_s,
                     "change": c.change, "test": c.significance.test, "p_value": c.significance.p_value,
                     "significant": c.significance.significant, "regressions": c.regressions} for c in changes],
        "unmatched": unmatched,
        "regressions": [f"{c.benchmark}: {message} ({c.significance.test} p={c.significance.p_value:.3g})"
                        for c in changes for message in c.regressions],
    }
