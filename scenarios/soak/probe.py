"""What the soak samples of its own process and of the server after every run, always at the same point
of the cycle and after ``gc.collect()``, so consecutive samples differ only by what the runs kept.

tracemalloc traces from the soak's start to its end, one frame per block (lines, not call stacks, are what a
sample keeps). Measured here: starting and stopping it around each run, or clearing its traces each run,
grows the process by 2-16 KiB a run by itself (the allocator never gets its tables back in one piece),
which is the very slope the soak looks for; tracing throughout is flat. Its traced total is read at every
sample; its top lines come from comparing snapshots every ``GROWTH_EVERY`` samples, because a comparison
walks every live block in Python (~0.1 s here).
"""

from __future__ import annotations

import gc
import os
import sysconfig
import threading
import tracemalloc
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import psutil
from sqlalchemy import text

from system.db import Database

#: How many lines of tracemalloc's growth a sample keeps (the biggest first).
TOP_GROWTH = 3
#: Samples between two snapshot comparisons (6 = hourly at the seed's 10-minute interval).
GROWTH_EVERY = 6
_CONNECTIONS = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"


@dataclass(frozen=True)
class ProcessSample:
    rss_bytes: int
    uss_bytes: int
    #: Bytes of Python objects alive that tracemalloc saw allocated since the soak started.
    traced_bytes: int
    #: tracemalloc's biggest growths since its previous snapshot, every ``GROWTH_EVERY`` samples (else empty):
    #: "file:line +N B (+M blocks)".
    top_growth: list[str] = field(default_factory=list)
    threads: int = 0
    os_threads: int = 0
    db_connections: int = 0


class Probe:
    def __init__(self, admin: Database, *, growth_every: int = GROWTH_EVERY) -> None:
        self.admin = admin
        self.growth_every = growth_every
        self.process = psutil.Process(os.getpid())
        self._previous: dict[tuple[str, int], tuple[int, int]] | None = None
        self._samples = 0
        self._started_tracing = False

    def __enter__(self) -> Probe:
        # Everything alive now (imports, the population's leftovers) is set apart from the collector: a full
        # collection then walks only what the soak allocates (ms instead of ~0.1 s per sample), and what it
        # frees is still freed. Frozen objects still count in RSS, so no memory figure changes.
        gc.collect()
        gc.freeze()
        if not tracemalloc.is_tracing():
            tracemalloc.start(1)
            self._started_tracing = True
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._previous = None
        if self._started_tracing:
            tracemalloc.stop()
        gc.unfreeze()

    def connections(self) -> int:
        with self.admin.engine.connect() as conn:
            return int(conn.execute(text(_CONNECTIONS)).scalar_one())

    def sample(self) -> ProcessSample:
        gc.collect()
        traced, _peak = tracemalloc.get_traced_memory()
        top = self._growth() if self._samples % self.growth_every == 0 else []
        self._samples += 1
        memory = self.process.memory_full_info()
        return ProcessSample(rss_bytes=memory.rss, uss_bytes=memory.uss, traced_bytes=traced, top_growth=top,
                             threads=threading.active_count(), os_threads=self.process.num_threads(),
                             db_connections=self.connections())

    def _growth(self) -> list[str]:
        """Lines whose live bytes grew most since the previous comparison. Only per-line totals are kept
        between two (their number is bounded by the code), not the snapshot (it grows with the heap)."""
        if not tracemalloc.is_tracing():
            return []
        current = {(s.traceback[0].filename, s.traceback[0].lineno): (s.size, s.count)
                   for s in tracemalloc.take_snapshot().statistics("lineno")}
        previous, self._previous = self._previous, current
        if previous is None:
            return []
        grown = sorted(((size - previous.get(line, (0, 0))[0], count - previous.get(line, (0, 0))[1], line)
                        for line, (size, count) in current.items()), reverse=True)
        return [f"{source_name(file)}:{lineno} +{size:,} B ({count:+,} blocks)"
                for size, count, (file, lineno) in grown[:TOP_GROWTH] if size > 0]


#: The project's root: its files are named from there in a report, not by where this checkout lies.
_ROOT = Path(__file__).resolve().parents[2]


def source_name(filename: str) -> str:
    """A traced file as a reader finds it: relative to the project, the standard library or site-packages."""
    path = Path(filename)
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    if path.is_relative_to(stdlib) and "site-packages" not in path.parts:
        return path.relative_to(stdlib).as_posix()
    if "site-packages" in path.parts:
        return "/".join(path.parts[path.parts.index("site-packages") + 1:])
    try:
        return path.resolve().relative_to(_ROOT).as_posix()
    except ValueError:
        return filename
