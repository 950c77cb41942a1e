"""The harness's side of the step driver (loadtests/step_driver.py): one long-lived Locust process fed one step
at a time, and each step judged from what it wrote into its own directory.

Per step: the XP of every pair is read just before it (the invariant checker's baseline), the driver runs the
step, then its ledger, its histograms and the generator's record are read back and the invariant checker
reads the database. The population is replaced only after a step whose checker saw a violation (a legacy
step that lost updates), so every step starts from a database with none; the driver is told to read the
students again.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from fixtures import children
from fixtures.errors import ProvisioningError
from fixtures.population import fresh_population, xp_baseline
from loadtests.capacity import Slo, StepResult, judge
from loadtests.ledger_sink import read_ledgers
from loadtests.open_model import ModelLatency, read_summary
from plsync.records.capacity import GeneratorStepRecord
from plsync.records.files import GENERATOR_STEP
from scenarios.invariants import InvariantReport, check_invariants
from system.db import Database

PROJECT = Path(__file__).resolve().parent.parent
SETUP_VARIABLE = "PLSYNC_STEP_DRIVER"  # loadtests.step_driver.SETUP_VARIABLE (not imported: it patches for gevent)
#: How long the driver may take to start (imports, its pool) and, past a step's run time, to finish one.
START_TIMEOUT_S = 60.0
STEP_GRACE_S = 60.0


@dataclass(frozen=True)
class StepOrder:
    """One line to the driver (loadtests.step_driver.Step)."""

    id: int
    dir: str
    strategy: str
    rate_per_s: float
    run_time_s: float
    warmup_s: float
    arrivals: str
    late_limit_s: float
    seed: int
    reload_population: bool = False


class StepDriverProcess:
    """The driver's process: started once, fed steps on stdin, each answered by one line on stdout."""

    def __init__(self, setup: dict[str, Any], log: Path, extra_env: dict[str, str] | None = None) -> None:
        self.log = log
        with log.open("w") as err:
            self.proc = children.spawn(
                [sys.executable, "-m", "loadtests.step_driver"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=err, text=True, cwd=PROJECT,
                env={**os.environ, **(extra_env or {}), SETUP_VARIABLE: json.dumps(setup)})
        self._reply(START_TIMEOUT_S)

    def run(self, order: StepOrder) -> None:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(json.dumps(asdict(order)) + "\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            self._failed("it is gone")
        reply = self._reply(order.run_time_s + STEP_GRACE_S)
        if reply.get("id") != order.id or not reply.get("ok"):
            self._failed(f"step {order.id}: {reply.get('error') or reply}")

    def _reply(self, timeout_s: float) -> dict[str, Any]:
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout_s)
        line = self.proc.stdout.readline() if ready else ""
        if not line:
            self._failed("no answer" if self.proc.poll() is None else f"it exited {self.proc.returncode}")
        reply: dict[str, Any] = json.loads(line)
        return reply

    def _failed(self, why: str) -> None:
        raise ProvisioningError(f"the capacity step driver failed ({why}); see {self.log}")

    def close(self) -> None:
        if self.proc.stdin is not None and self.proc.poll() is None:
            try:
                self.proc.stdin.close()  # end of steps: the driver stops its runner and exits
                self.proc.wait(15)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                pass
        children.stop(self.proc)

    def __enter__(self) -> StepDriverProcess:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


@dataclass
class Population:
    """The students every step hits; replaced only when a step left a violation behind."""

    db: Database
    students: int
    specialization: str = "PLAYER"
    seed: int = 42
    generation: int = 0

    def rebuild(self) -> None:
        with self.db.transaction() as session:
            fresh_population(session, self.students, self.specialization, self.seed)
        self.generation += 1

    def baseline(self) -> dict[tuple[int, str], int]:
        with self.db.transaction() as session:
            return xp_baseline(session)

    def check(self, directory: Path, baseline: dict[tuple[int, str], int]) -> InvariantReport:
        ledger = read_ledgers(directory / "ledgers")
        with self.db.transaction() as session:
            return check_invariants(session, ledger, baseline)


@dataclass
class StepRun:
    """What one step left: its figures, the checker's verdict and the generator's account."""

    latency: ModelLatency | None
    invariants: InvariantReport
    generator: GeneratorStepRecord


def run_step(driver: StepDriverProcess, population: Population, order: StepOrder, *,
             seen_generation: list[int]) -> StepRun:
    """Run one step on ``driver`` and judge it; the population is rebuilt afterwards when it saw a violation.
    ``seen_generation`` holds the population generation the driver last read (updated here)."""
    reload = seen_generation[0] != population.generation
    baseline = population.baseline()
    driver.run(StepOrder(**{**asdict(order), "reload_population": reload}))
    seen_generation[0] = population.generation
    directory = Path(order.dir)
    report = population.check(directory, baseline)
    generator = GENERATOR_STEP.decode(json.loads((directory / GENERATOR_STEP.filename).read_text()),
                                      str(directory / GENERATOR_STEP.filename))
    if not report.passed:
        population.rebuild()
    return StepRun(read_summary(directory), report, generator)


def step_result(slo: Slo, strategy: str, rate: float, repeat: int, run: StepRun, run_dir: str) -> StepResult:
    """The step's verdict (loadtests/capacity.py's ``judge``) and figures, as the search records them."""
    latency, report = run.latency, run.invariants
    response = latency.response_time if latency else None
    dispatch = latency.dispatch_lag if latency else None
    lag = latency.schedule_lag if latency else None
    slots = latency.slots if latency else None
    slo_ms = response.get(slo.label) if response else None
    dispatch_ms = dispatch.get(slo.label) if dispatch else None
    dropped = slots.dropped_ratio if slots else 1.0
    failures = run.generator.failures
    lost_xp = report.get("lost_updates").amount
    desynced = report.violations("desynced_pairs")
    verdict, reasons = judge(slo, slo_ms=slo_ms, dispatch_lag_slo_ms=dispatch_ms, dropped_ratio=dropped,
                             failures=failures, lost_xp=lost_xp, desynced_pairs=desynced,
                             gated=strategy != "legacy")
    if latency is None or not latency.complete:
        verdict, reasons = "invalid", [*reasons, "histograms missing from the generator"]
    if run.generator.errors:
        reasons = [*reasons, *run.generator.errors[:3]]
    return StepResult(
        rate, (latency.achieved_rate_per_s or 0.0) if latency else 0.0, response.get("p50") if response else None,
        response.get("p99") if response else None, slo_ms,
        latency.service_time.get("p99") if latency else None, lag.get("p99") if lag else None, dispatch_ms,
        dropped, failures, lost_xp, desynced, sum(r.violations for r in report.results),
        run.generator.cpu_us_per_request, verdict, reasons, repeat, run_dir)


def timed(say: Callable[[str], None]) -> Callable[[str], None]:
    """``say`` with the seconds since the first line (how long each step took, overhead included)."""
    start = time.monotonic()
    return lambda line: say(f"[{time.monotonic() - start:5.1f}s] {line}")
