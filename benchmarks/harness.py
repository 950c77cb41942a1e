"""How every benchmark measures: pytest-benchmark's ``pedantic`` with a set-up that restores the state each
round needs, the raw-SQL ceiling timed inside that same set-up (so service and ceiling rounds alternate
and meet the same machine noise), then the judgement against the target, stored in ``extra_info``."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from benchmarks.results import judge, row

#: A ceiling: run the raw statement(s). It may return its own measurement (seconds) when only part of
#: its run counts (lock hold); otherwise its whole call is timed.
Ceiling = Callable[[], object]


@dataclass
class Session:
    """What the whole benchmark session shares: sizes and the rows collected for the summary."""

    rounds: int
    heavy_rounds: int
    rows: list[dict[str, Any]] = field(default_factory=list)


class Bench:
    def __init__(self, benchmark: Any, session: Session) -> None:
        self.benchmark = benchmark
        self.session = session

    def measure(self, operation: str, params: Mapping[str, Any], target: Callable[[], object], *,
                prepare: Callable[[], object] | None = None, ceiling: Ceiling | None = None,
                heavy: bool = False, rounds: int | None = None, warmup: int = 1,
                curve: str | None = None, notes: str | None = None) -> object:
        """Time ``target`` (after ``prepare``, untimed, every round) beside ``ceiling``; judge; fail the test
        when the documented target is missed. Returns what the last round of ``target`` returned."""
        raw_seconds: list[float] = []

        def setup() -> None:
            if prepare is not None:
                prepare()
            if ceiling is not None:
                began = time.perf_counter()
                own = ceiling()
                raw_seconds.append(own if isinstance(own, float) else time.perf_counter() - began)
                if prepare is not None:
                    prepare()

        count = rounds or (self.session.heavy_rounds if heavy else self.session.rounds)
        result = self.benchmark.pedantic(target, setup=setup, rounds=count, warmup_rounds=warmup)
        if not self.benchmark.enabled:  # --benchmark-disable: the target ran once, as a plain test
            return result
        seconds = list(self.benchmark.stats.stats.data)
        extra = judge(operation, params, seconds, raw_seconds[warmup:])
        if curve is not None:
            extra.update(curve=curve, size=params.get("users"))
        if notes:
            extra["notes"] = notes
        self.benchmark.extra_info.update(extra)
        self.session.rows.append(row(self.benchmark.name, seconds, extra))
        if extra.get("target_failure"):
            pytest.fail(f"target missed: {extra['target_failure']}", pytrace=False)
        return result

    def annotate(self, **values: Any) -> None:
        """Add facts to the last measurement (its ``extra_info`` and its summary row)."""
        self.benchmark.extra_info.update(values)
        self.session.rows[-1].update(values)

    def rounds_at(self, users: int) -> int | None:
        """Fewer rounds for the large populations (each round of a bulk operation takes seconds there):
        three at 100k, one at 1M; None means the usual."""
        if users >= 1_000_000:
            return 1
        return min(3, self.session.heavy_rounds) if users >= 100_000 else None
