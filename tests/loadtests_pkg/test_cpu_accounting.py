"""CPU per request: the steady window from Locust's history, and the accounting of a real process."""

from __future__ import annotations

import subprocess
import sys
import time

import psutil
import pytest

from loadtests.cpu_accounting import CpuSampler, steady_window


def test_the_steady_window_drops_ramp_up_and_the_edges() -> None:
    history = [(100, 0, 0), (101, 8, 50), (102, 16, 400), (103, 16, 900), (104, 16, 1400), (105, 16, 1900),
               (106, 16, 2300)]
    assert steady_window(history, 16) == (103.0, 105.0, 1000)
    assert steady_window(history[:4], 16) is None  # too short to have a steady part


def test_the_accounting_agrees_with_what_the_kernel_reports() -> None:
    """A busy process, sampled in the background; its CPU over a window must match its own /proc figures
    (however much of a core a loaded machine gives it)."""
    busy_loop = "import time\nend = time.time() + 4\nwhile time.time() < end: pass"
    burner = subprocess.Popen([sys.executable, "-c", busy_loop])
    try:
        with CpuSampler({"burner": lambda: [burner.pid]}, interval_s=0.1):
            pass  # the sampler starts and stops cleanly on its own
        with CpuSampler({"burner": lambda: [burner.pid]}, interval_s=0.1) as sampler:
            time.sleep(0.4)
            t0, c0 = time.time(), psutil.Process(burner.pid).cpu_times()
            time.sleep(2.0)
            t1, c1 = time.time(), psutil.Process(burner.pid).cpu_times()
            time.sleep(0.3)
        account = sampler.account((t0, t1), requests=1000)
    finally:
        burner.wait(10)
    assert account is not None
    cost = account.group("burner")
    used = (c1.user + c1.system) - (c0.user + c0.system)
    assert cost is not None and cost.processes == 1 and used > 0.2
    assert cost.cpu_us == pytest.approx(used / 1000 * 1e6, rel=0.15)
    assert cost.cores_busy == pytest.approx(used / (t1 - t0), rel=0.15)
    box = account.group("box")
    assert box is not None and box.cores_busy >= cost.cores_busy * 0.8
