"""Running ``plsync`` as a user does (a subprocess, no PLSYNC_ variables from the suite), and finding what
a run left behind by its owner process rather than by a before/after diff of the whole machine."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil

from fixtures.leftovers import owner_pid, processes_mentioning, server_directories

PLSYNC = str(Path(sys.executable).parent / "plsync")


def clean_env(**extra: str) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("PLSYNC_")} | extra


def plsync(*args: str, timeout: float = 120, env: dict[str, str] | None = None,
           cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PLSYNC, *args], capture_output=True, text=True, timeout=timeout,
                          env=clean_env() | (env or {}), cwd=cwd)


def directories_of(pid: int) -> list[Path]:
    """Server directories (PostgreSQL, Redis) that the process ``pid`` created."""
    return [d for d in server_directories() if owner_pid(d) == pid]


def wait_until(condition: object, timeout_s: float = 20) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.1)
    return bool(condition())  # type: ignore[operator]


def still_running_in(directories: list[Path]) -> list[str]:
    return [line for d in directories for line in processes_mentioning(str(d))]


def command_lines(pid: int) -> list[str]:
    """Command lines of a process's descendants (those exiting while we look are skipped)."""
    lines = []
    with contextlib.suppress(psutil.NoSuchProcess):
        for child in psutil.Process(pid).children(recursive=True):
            with contextlib.suppress(psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
                lines.append(" ".join(child.cmdline()))
    return lines
