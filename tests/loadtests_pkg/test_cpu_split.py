"""The overload run's core split: one core for the generator, the rest for the system, and every process pinned
given back the mask it had (also a child born while it was pinned)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import psutil
import pytest

from plsync.cpu_split import CpuSplit, Pinning, split_cores

pytestmark = pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two cores to split")


def test_one_core_for_the_generator_the_rest_for_the_system() -> None:
    assert split_cores({3, 1, 2}) == CpuSplit(generator=(1,), system=(2, 3))
    assert split_cores({0, 1}) == CpuSplit(generator=(0,), system=(1,))
    assert split_cores({5}) is None  # nothing to split: the run says the cores were shared


def _parent_with_a_late_child() -> subprocess.Popen[bytes]:
    """A process that starts a child only after it has been pinned (as PostgreSQL forks a backend)."""
    code = ("import subprocess, sys, time; time.sleep(0.5); "
            "c = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)']); c.wait()")
    return subprocess.Popen([sys.executable, "-c", code])


def test_pinned_trees_run_on_their_cores_and_get_their_masks_back() -> None:
    split = split_cores()
    assert split is not None
    everything = os.sched_getaffinity(0)
    parent = _parent_with_a_late_child()
    generator = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        with Pinning(split) as pinning:
            pinning.system("postgres", parent.pid)
            pinning.generator("locust", generator.pid)
            assert os.sched_getaffinity(parent.pid) == set(split.system)
            assert os.sched_getaffinity(generator.pid) == set(split.generator)
            deadline = time.monotonic() + 10
            while not psutil.Process(parent.pid).children() and time.monotonic() < deadline:
                time.sleep(0.05)
            (child,) = psutil.Process(parent.pid).children()
            assert os.sched_getaffinity(child.pid) == set(split.system)  # inherited from its pinned parent
            assert pinning.pinned == {"postgres": list(split.system), "locust": list(split.generator)}
        assert os.sched_getaffinity(parent.pid) == everything
        assert os.sched_getaffinity(child.pid) == everything
        assert os.sched_getaffinity(generator.pid) == everything
    finally:
        for proc in psutil.Process(parent.pid).children(recursive=True):
            proc.kill()
        parent.kill()
        generator.kill()
        parent.wait()
        generator.wait()


def test_a_process_it_cannot_pin_is_reported_not_ignored() -> None:
    split = split_cores()
    assert split is not None
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    with Pinning(split) as pinning:
        pinning.system("postgres", None)  # a server given by URL
        pinning.system("api", gone.pid)  # exited (or not ours)
    assert pinning.pinned == {}
    assert "not started by the harness" in pinning.refused["postgres"]
    assert "api" in pinning.refused
