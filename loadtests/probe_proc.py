"""What the API probe reads of the API's process from /proc: its pid (from the port it listens on) and its
resident memory over a probe."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from types import TracebackType

LISTEN = "0A"  # the TCP state LISTEN in /proc/net/tcp


def pid_listening_on(port: int, proc: Path = Path("/proc")) -> int | None:
    """The process holding a socket that listens on ``port`` (None when none of ours is found)."""
    inodes = set()
    for table in ("net/tcp", "net/tcp6"):
        try:
            lines = (proc / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == LISTEN and int(local.rsplit(":", 1)[1], 16) == port:
                inodes.add(f"socket:[{inode}]")
    if not inodes:
        return None
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            for fd in (entry / "fd").iterdir():
                if os.readlink(fd) in inodes:
                    return int(entry.name)
        except OSError:
            continue  # gone, or not ours to read
    return None


def rss_mb(pid: int) -> float | None:
    """VmRSS of ``pid`` in MB (10^6 bytes), or None once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024 / 1e6
    except OSError:
        return None
    return None


class RssSampler:
    """The resident memory of ``pid`` every ``interval_s`` while in use: first sample and peak."""

    def __init__(self, pid: int | None, interval_s: float = 0.005) -> None:
        self.pid, self.interval_s = pid, interval_s
        self.first_mb: float | None = None
        self.peak_mb: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            time.sleep(self.interval_s)

    def _sample(self) -> None:
        if self.pid is None:
            return
        value = rss_mb(self.pid)
        if value is None:
            return
        if self.first_mb is None:
            self.first_mb = value
        self.peak_mb = value if self.peak_mb is None else max(self.peak_mb, value)

    @property
    def growth_mb(self) -> float | None:
        return None if self.first_mb is None or self.peak_mb is None else self.peak_mb - self.first_mb

    def __enter__(self) -> RssSampler:
        self._sample()  # the baseline, before anything is sent
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()
