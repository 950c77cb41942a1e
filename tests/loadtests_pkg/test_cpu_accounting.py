"""CPU per request: the steady window from Locust's history, and the accounting of a real process."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from loadtests.cpu_accounting import CpuSampler, steady_window


def test_the_steady_window_drops_ramp_up_and_the_edges() -> None:
    history = [(100, 0, 0), (101, 8, 50), (102, 16, 400), (103, 16, 900), (104, 16, 1400), (105, 16, 1900),
               (106, 16, 2300)]
    assert steady_window(history, 16) == (103.0, 105.0, 1000)
    assert steady_window(history[:4], 16) is None  # too short to have a steady part


def test_a_process_burning_cpu_is_accounted_per_request() -> None:
    busy_loop = "import time\nend = time.time() + 3\nwhile time.time() < end: pass"
    burner = subprocess.Popen([sys.executable, "-c", busy_loop])
    try:
        with CpuSampler({"burner": lambda: [burner.pid]}, interval_s=0.1) as sampler:
            began = time.time()
            time.sleep(2.5)
        account = sampler.account((began + 0.3, began + 2.3), requests=1000)
    finally:
        burner.wait(10)
    assert account is not None
    burner_cost = account.group("burner")
    assert burner_cost is not None and burner_cost.processes == 1
    # A busy loop keeps one core busy: ~2 s of CPU over 1,000 requests is ~2,000 µs each (shared machine: loose).
    assert 0.5 < burner_cost.cores_busy <= 1.1
    assert burner_cost.cpu_us == pytest.approx(burner_cost.cores_busy * 2.0 / 1000 * 1e6, rel=0.01)
    assert account.group("box") is not None and account.group("box").cores_busy >= burner_cost.cores_busy * 0.9  # type: ignore[union-attr]
