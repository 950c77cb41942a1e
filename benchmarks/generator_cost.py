"""What the open model's generator costs against the closed model's, on the trivial endpoint (issue 19's budget:
at most 1.2x Locust's CPU per request at the same throughput).

The closed model runs first, ``users`` users as fast as they can: its throughput R and Locust's CPU per request
over the steady window. The open model then offers ``share`` x R (a schedule the generator can hold; at R itself
the closed model's saturated process leaves no headroom for any schedule) with a pool of ``4 x users``; its
achieved rate is printed beside it, so the two throughputs can be compared. Repeated ``rounds`` times,
alternating, on a machine that others share: read the spread, not one figure.

    ./run python -m benchmarks.generator_cost [--users 2] [--seconds 12] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from dataclasses import dataclass
from pathlib import Path

from benchmarks.baselines import Ceiling, http_ceiling
from loadtests.open_model import read_summary


@dataclass(frozen=True)
class Round:
    closed_rps: float
    closed_cpu_us: float
    open_rate: float
    open_achieved: float
    open_cpu_us: float

    @property
    def ratio(self) -> float:
        return self.open_cpu_us / self.closed_cpu_us


def _locust_cpu_us(ceiling: Ceiling) -> float:
    group = ceiling.cpu.group("locust") if ceiling.cpu else None
    if group is None:
        raise RuntimeError("the run had no steady window: lengthen --seconds")
    return group.cpu_us


def one_round(users: int, seconds: int, share: float, workdir: Path) -> Round:
    closed_dir, open_dir = workdir / "closed", workdir / "open"
    closed_dir.mkdir(parents=True)
    open_dir.mkdir(parents=True)
    closed = http_ceiling(users=users, seconds=seconds, workdir=closed_dir)
    rate = round(closed.rps * share)
    opened = http_ceiling(users=users * 4, seconds=seconds, workdir=open_dir, rate_per_s=rate)
    latency = read_summary(open_dir)
    achieved = latency.achieved_rate_per_s if latency and latency.achieved_rate_per_s else opened.rps
    return Round(closed.rps, _locust_cpu_us(closed), rate, achieved, _locust_cpu_us(opened))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=12)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--share", type=float, default=0.8, help="The open rate as a share of the closed rps")
    args = parser.parse_args()
    rounds = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.rounds):
            result = one_round(args.users, args.seconds, args.share, Path(tmp) / f"round-{i}")
            rounds.append(result)
            print(f"round {i}: closed {result.closed_rps:.0f}/s at {result.closed_cpu_us:.0f} us/request; open "
                  f"{result.open_rate:g}/s offered, {result.open_achieved:.0f}/s achieved, at "
                  f"{result.open_cpu_us:.0f} us/request: {result.ratio:.2f}x", flush=True)
    ratios = [r.ratio for r in rounds]
    print(f"open/closed Locust CPU per request: median {statistics.median(ratios):.2f}x, "
          f"range {min(ratios):.2f}-{max(ratios):.2f}x over {len(ratios)} rounds")


if __name__ == "__main__":
    main()
