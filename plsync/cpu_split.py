"""Cores of its own for the load generator of an overload run.

When the generator, the API and PostgreSQL share a machine's cores, an overload run measures the generator as
much as the system: the more it offers, the less CPU is left for the API and the database to serve it, and
goodput against capacity falls for a reason that is not the system's. So an overload run splits the cores
(Linux's ``sched_setaffinity``): one for the generator (one Locust process, which never uses more than one),
the rest for the system under test: the API process and, when the harness started them, PostgreSQL (its
backends inherit the postmaster's mask) and Redis. The calibration and the overload run with the same split,
so capacity and goodput compare like with like. Every process pinned gets back the mask it had afterwards.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field

import psutil


@dataclass(frozen=True)
class CpuSplit:
    generator: tuple[int, ...]
    system: tuple[int, ...]


def split_cores(available: Collection[int] | None = None) -> CpuSplit | None:
    """One core for the generator, the others for the system; None with fewer than two cores to split."""
    cpus = sorted(available if available is not None else os.sched_getaffinity(0))
    if len(cpus) < 2:
        return None
    return CpuSplit(generator=(cpus[0],), system=tuple(cpus[1:]))


def _tree(pid: int) -> Iterator[psutil.Process]:
    root = psutil.Process(pid)
    yield root
    yield from root.children(recursive=True)


@dataclass
class Pinning:
    """Pins process trees to ``split``'s cores; ``restore`` gives each process (and each child born meanwhile,
    which took its parent's pinned mask) the mask its root had before."""

    split: CpuSplit
    #: Which group was pinned to which cores, as the run's record reports it.
    pinned: dict[str, list[int]] = field(default_factory=dict)
    #: Groups that could not be pinned, and why.
    refused: dict[str, str] = field(default_factory=dict)
    _roots: dict[int, set[int]] = field(default_factory=dict)

    def system(self, group: str, pid: int | None) -> None:
        self._pin(group, pid, self.split.system)

    def generator(self, group: str, pid: int) -> None:
        self._pin(group, pid, self.split.generator)

    def _pin(self, group: str, pid: int | None, cpus: Collection[int]) -> None:
        if pid is None:
            self.refused[group] = "not started by the harness: it runs where its owner put it"
            return
        try:
            before = os.sched_getaffinity(pid)
            for proc in _tree(pid):
                with contextlib.suppress(psutil.NoSuchProcess, ProcessLookupError):
                    os.sched_setaffinity(proc.pid, cpus)
        except (OSError, psutil.Error) as exc:
            self.refused[group] = f"{type(exc).__name__}: {exc}"
            return
        self._roots.setdefault(pid, before)
        self.pinned[group] = sorted(cpus)

    def restore(self) -> None:
        for pid, mask in self._roots.items():
            with contextlib.suppress(OSError, psutil.Error):
                for proc in _tree(pid):
                    with contextlib.suppress(psutil.NoSuchProcess, ProcessLookupError):
                        os.sched_setaffinity(proc.pid, mask)
        self._roots.clear()

    def __enter__(self) -> Pinning:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.restore()
