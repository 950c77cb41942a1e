"""The open model's schedule: intended start times at an offered rate, fixed before any reply arrives.

As pgbench ``--rate``, wrk2 ``-R`` and k6's arrival-rate executors do: arrivals follow a clock (constant
spacing, or a seeded Poisson process), so a stalled system does not slow the offered load down, and every
request is timed from when it *should* have started. No Locust or gevent import: the harness parses and
validates a plan without being monkey-patched.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass

from loadtests.stages import stages_named
from system.errors import ConfigurationError

ARRIVALS = ("constant", "poisson")
_RATE = re.compile(r"^\s*(?P<n>\d+(?:\.\d+)?)\s*(?:/\s*(?P<unit>s|sec|m|min|h))?\s*$")
_PER_S = {None: 1.0, "s": 1.0, "sec": 1.0, "m": 1 / 60, "min": 1 / 60, "h": 1 / 3600}


def parse_rate(text: str | float) -> float:
    """Requests per second in ``800/s``, ``800``, ``48000/m``; ConfigurationError for 0, negatives or junk."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        value = float(text)
    else:
        match = _RATE.match(str(text))
        if match is None:
            raise ConfigurationError(f"malformed rate {text!r} (e.g. 800/s, 800, 48000/m)")
        value = float(match["n"]) * _PER_S[match["unit"]]
    if not math.isfinite(value) or value <= 0:
        raise ConfigurationError(f"the rate must be positive, not {text!r}")
    return value


@dataclass(frozen=True)
class ArrivalPlan:
    """What the open model offers: ``rate_per_s`` in total (split across workers), how arrivals are spaced,
    at most ``max_users`` requests in flight (k6's maxVUs), and how late a request may start before it is
    counted as dropped instead of sent."""

    rate_per_s: float
    arrivals: str = "constant"
    max_users: int = 64
    late_limit_s: float = 5.0
    seed: int = 42
    #: Rate stages (loadtests/stages.py: the user fraction of each stage scales the rate), over ``run_time_s``.
    stages: str = "steady"
    #: The first seconds of the schedule run but are left out of the figures (connections opening, caches
    #: warming): the steady window starts after them.
    warmup_s: float = 0.0

    def __post_init__(self) -> None:
        parse_rate(self.rate_per_s)
        if self.arrivals not in ARRIVALS:
            raise ConfigurationError(f"unknown arrivals {self.arrivals!r} (choose from {', '.join(ARRIVALS)})")
        if self.max_users < 1:
            raise ConfigurationError("max users must be at least 1")
        if not self.late_limit_s > 0:
            raise ConfigurationError("the late limit must be positive")
        stages_named(self.stages)
        if self.warmup_s < 0:
            raise ConfigurationError("the warm-up cannot be negative")

    def rate_at(self, elapsed_s: float, run_time_s: float) -> float:
        """The offered rate ``elapsed_s`` into the run (the stage's fraction of the full rate)."""
        stages = stages_named(self.stages)
        fraction = min(elapsed_s / run_time_s, 0.999999) if run_time_s > 0 else 0.0
        stage = next(s for s in stages if fraction < s.until)
        return self.rate_per_s * stage.users

    def offsets(self, run_time_s: float, *, worker: int = 0, workers: int = 1) -> Iterator[float]:
        """Intended start times (seconds from the schedule's start) of one process's share: 1/``workers`` of
        the rate. Constant spacing is phase-shifted per worker so the merged schedule stays evenly spaced;
        Poisson shares are independent (their sum is a Poisson process at the full rate), seeded per worker.
        Infinite: the caller stops at the end of the run."""
        if not 0 <= worker < workers:
            raise ConfigurationError(f"worker {worker} of {workers}")
        rng = random.Random(self.seed * 1000 + worker)
        t = worker / self.rate_at(0.0, run_time_s) if self.arrivals == "constant" else 0.0
        stages = stages_named(self.stages)
        fixed = self.rate_per_s * stages[0].users / workers if len(stages) == 1 else None  # no lookup per slot
        while True:
            share = fixed or self.rate_at(t, run_time_s) / workers
            if self.arrivals == "poisson":
                t += rng.expovariate(share)
                yield t
            else:
                yield t
                t += 1.0 / share

    def describe(self) -> str:
        stages = "" if self.stages == "steady" else f", {self.stages} stages"
        return (f"{self.rate_per_s:g}/s {self.arrivals}{stages}, at most {self.max_users} users, "
                f"late after {self.late_limit_s:g}s")
