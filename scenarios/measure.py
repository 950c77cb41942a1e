"""Measuring helpers: wall time, peak resident memory sampled in the background, table checksums."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import psutil
from sqlalchemy import text
from sqlalchemy.orm import Session

from fixtures.reset import SNAPSHOT_TABLES


@dataclass
class Measurement:
    seconds: float = 0.0
    rss_start_mb: float = 0.0
    rss_peak_mb: float = 0.0
    samples: list[float] = field(default_factory=list, repr=False)

    @property
    def ms(self) -> float:
        return self.seconds * 1000

    @property
    def rss_growth_mb(self) -> float:
        return self.rss_peak_mb - self.rss_start_mb


@contextmanager
def measured(interval_s: float = 0.002) -> Iterator[Measurement]:
    """Time the block and sample this process's RSS every ``interval_s`` while it runs."""
    proc = psutil.Process()
    result = Measurement(rss_start_mb=proc.memory_info().rss / 2**20)
    result.rss_peak_mb = result.rss_start_mb
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            result.rss_peak_mb = max(result.rss_peak_mb, proc.memory_info().rss / 2**20)
            done.wait(interval_s)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    began = time.perf_counter()
    try:
        yield result
    finally:
        result.seconds = time.perf_counter() - began
        done.set()
        sampler.join()
        result.rss_peak_mb = max(result.rss_peak_mb, proc.memory_info().rss / 2**20)


def table_checksums(session: Session, tables: tuple[str, ...] = SNAPSHOT_TABLES) -> dict[str, str]:
    """One md5 per table over every row in id order: equal checksums mean nothing changed."""
    return {t: session.execute(text(f"SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x.id), '')) "
                                    f"FROM {t} x")).scalar_one() for t in tables}
