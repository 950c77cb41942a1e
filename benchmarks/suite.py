"""Run the benchmark suite (plain pytest with pytest-benchmark) as a child process into a run directory,
then read what it wrote: the one path ``plsync bench`` and the readiness stage share.

The child runs from the run directory (anything pytest-benchmark writes relative to its working
directory lands there, never in the checkout) with the cache plugin off, and writes its complete report
(every round) with ``--benchmark-json``.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.results import rows_from_json, scale_fits
from benchmarks.stats import ScaleFit
from fixtures import children
from plsync.profiles import Profile

SUITE_DIR = Path(__file__).resolve().parent
REPORT = "pytest-benchmark.json"
LOG = "benchmarks.log"
_SUMMARY_LINE = re.compile(r"^(FAILED|ERROR) (.*)$", re.MULTILINE)


@dataclass(frozen=True)
class SuiteRequest:
    profile: Profile
    slow: bool = False
    select: str | None = None  # pytest's -k expression
    strategies: Sequence[str] = ()
    rounds: int | None = None
    extra_args: Sequence[str] = ()
    database_url: str | None = None
    redis_url: str | None = None
    timeout_s: float = 7200

    def args(self, report: Path) -> list[str]:
        # The API's fuzzing plugins (schemathesis, Hypothesis) load themselves into every pytest; the
        # benchmarks use neither, and they cost more start-up than a smoke run's whole suite.
        args = [sys.executable, "-m", "pytest", str(SUITE_DIR), "-p", "no:cacheprovider", "-p", "no:schemathesis",
                "-p", "no:hypothesispytest", "-q", "-rfE",
                "--benchmark-json", str(report), "--plsync-profile", self.profile.name]
        if not self.slow:
            args += ["-m", "not slow"]
        if self.select:
            args += ["-k", self.select]
        for name in self.strategies:
            args += ["--plsync-strategy", name]
        if self.rounds:
            args += ["--plsync-rounds", str(self.rounds)]
        return args + list(self.extra_args)


@dataclass
class SuiteRun:
    returncode: int
    seconds: float
    rows: list[dict[str, Any]] = field(default_factory=list)
    scale: list[ScaleFit] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.returncode == 0


def run_suite(request: SuiteRequest, workdir: Path) -> SuiteRun:
    """Run the suite in ``workdir`` (created), leaving its report and log there."""
    workdir.mkdir(parents=True, exist_ok=True)
    report = workdir / REPORT
    env = dict(os.environ)
    for key, value in (("PLSYNC_DATABASE_URL", request.database_url), ("PLSYNC_REDIS_URL", request.redis_url)):
        if value:
            env[key] = value
        else:
            env.pop(key, None)
    began = time.perf_counter()
    result = children.run(request.args(report), timeout=request.timeout_s, cwd=workdir, env=env)
    (workdir / LOG).write_text(result.stdout + result.stderr)
    run = SuiteRun(result.returncode, time.perf_counter() - began)
    run.failures = [f"{kind}: {what}" for kind, what in _SUMMARY_LINE.findall(result.stdout)]
    if result.returncode not in (0, 1) and not run.failures:  # usage error, interrupted, nothing collected
        tail = (result.stderr or result.stdout).strip().splitlines()[-5:]
        run.failures = [f"pytest exited {result.returncode}: " + " / ".join(tail)]
    if report.exists():
        run.rows = rows_from_json(json.loads(report.read_text()))
        run.scale = scale_fits(run.rows)
    return run


def load_report(path: Path) -> dict[str, Any]:
    """A pytest-benchmark JSON report: a file, or the one a run directory holds."""
    target = path / REPORT if path.is_dir() else path
    if not target.is_file():
        raise FileNotFoundError(f"no pytest-benchmark report at {target}")
    data: dict[str, Any] = json.loads(target.read_text())
    if "benchmarks" not in data:
        raise ValueError(f"{target} is not a pytest-benchmark report (no 'benchmarks')")
    return data
