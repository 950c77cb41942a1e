"""The work between two runs of the job: concurrent clients through a strategy (level-ups, license advances,
syncs, the same code path as every other client), then a fresh random fault mix injected with its ground
truth, so every run has real work and its repairs can be checked against what was injected.

Every client operation goes into a ledger; the invariant checker compares it with the database at the end.
A ``license_without_progress`` fault deletes a progress row, and with it the XP the ledger acknowledged:
that loss is the injection's doing, so the pair's ledger starts again from zero there.
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text

from fixtures.faults import DESYNC_KINDS, FaultMix, inject_faults_in
from scenarios.ledger import Ledger, LedgerEntry, Outcome, Pair, outcome_of
from scenarios.runner import StrategyRunner
from system.config import SystemConfig
from system.db import Database
from system.errors import InvalidInputError
from system.services.types import AdvanceLicenseRequest, Direction, LevelUpRequest

#: Shares of the client operations: mostly level-ups, some license advances and single-pair syncs.
OPERATIONS = ("level_up", "advance_license", "sync")
WEIGHTS = (70, 15, 15)


@dataclass(frozen=True)
class LoadSize:
    operations: int  # client operations between two runs
    threads: int  # concurrent clients
    faults: int  # desyncs injected between two runs

    def __post_init__(self) -> None:
        if self.operations < 0 or self.threads < 1 or self.faults < 0:
            raise InvalidInputError(f"load between runs out of range: {self.operations} operations, {self.threads} "
                                    f"clients, {self.faults} faults (operations and faults >= 0, clients >= 1)")

    @classmethod
    def parse(cls, raw: str, default: LoadSize) -> LoadSize:
        """``ops=N,threads=N,faults=N`` (any subset; the rest from ``default``)."""
        given: dict[str, int] = {}
        names = {"ops": "operations", "threads": "threads", "faults": "faults"}
        for part in (p.strip() for p in raw.split(",") if p.strip()):
            key, sep, value = part.partition("=")
            if not sep or key.strip() not in names or not value.strip().isdigit():
                raise InvalidInputError(f"malformed load {part!r}: expected ops=N, threads=N or faults=N")
            given[names[key.strip()]] = int(value)
        return LoadSize(**{"operations": default.operations, "threads": default.threads,
                           "faults": default.faults, **given})


@dataclass(frozen=True)
class Burst:
    operations: int
    ok: int
    failed: int
    unknown: int
    seconds: float


class SoakLoad:
    def __init__(self, admin: Database, config: SystemConfig, strategy: str, size: LoadSize, seed: int, *,
                 truth: Path | None = None) -> None:
        """``truth``: a JSON-lines file that gets each injection's manifest (appended, not kept in memory)."""
        self.admin, self.size, self.seed, self.truth = admin, size, seed, truth
        with admin.transaction() as session:
            rows = session.execute(text(
                "SELECT p.student_id, p.specialization_id, p.total_xp, s.max_levels FROM specialization_progress p "
                "JOIN specializations s ON s.id = p.specialization_id ORDER BY 1, 2")).all()
        if not rows:
            raise ValueError("the soak's load needs a population with progress rows")
        self.pairs: list[Pair] = [(r[0], r[1]) for r in rows]
        self.max_level = {r[1]: int(r[3]) for r in rows}
        self.baseline: dict[Pair, int] = {(r[0], r[1]): int(r[2]) for r in rows}
        # The ledger kept as running totals per pair, every pair present from the start: a list of entries
        # (or a dict gaining keys) would grow with every run, and the soak measures growth.
        self._xp: dict[Outcome, dict[Pair, int]] = {o: dict.fromkeys(self.pairs, 0) for o in Outcome}
        self.outcomes: Counter[Outcome] = Counter()
        self.runner = StrategyRunner(config, strategy, connections=size.threads)
        self._pool = ThreadPoolExecutor(size.threads, thread_name_prefix="soak-client")

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self.runner.close()

    # -- client operations ----------------------------------------------------------------------------
    def burst(self, cycle: int) -> Burst:
        """``size.operations`` operations spread over ``size.threads`` concurrent clients."""
        ledger = Ledger()
        share, extra = divmod(self.size.operations, self.size.threads)
        began = time.perf_counter()
        futures = [self._pool.submit(self._client, ledger, share + (i < extra), random.Random(
            f"{self.seed}:{cycle}:{i}")) for i in range(self.size.threads)]
        for future in futures:
            future.result()
        seconds = time.perf_counter() - began
        entries = ledger.entries
        for entry in entries:
            self._xp[entry.outcome][(entry.user_id, entry.specialization)] += entry.xp
        counts = Counter(e.outcome for e in entries)
        self.outcomes.update(counts)
        return Burst(len(entries), counts[Outcome.OK], counts[Outcome.FAILED], counts[Outcome.UNKNOWN], seconds)

    def _client(self, ledger: Ledger, count: int, rng: random.Random) -> None:
        strategy = self.runner.strategy
        for _ in range(count):
            user, spec = rng.choice(self.pairs)
            kind = rng.choices(OPERATIONS, weights=WEIGHTS)[0]
            xp = rng.randint(5, 120) if kind == "level_up" else 0
            began = time.perf_counter()
            try:
                if kind == "level_up":
                    strategy.level_up(LevelUpRequest(user, spec, xp, sessions=1, reason="soak client"))
                elif kind == "advance_license":
                    strategy.advance_license(AdvanceLicenseRequest(user, spec, rng.randint(1, self.max_level[spec]),
                                                                   reason="soak client"))
                else:
                    strategy.sync(user, spec, rng.choice(list(Direction)))
            except Exception as exc:  # a client sees the error; the ledger keeps what it was told
                ledger.record(LedgerEntry(kind, user, spec, xp, outcome_of(exc), time.perf_counter() - began,
                                          error=f"{type(exc).__name__}: {exc}"))
                continue
            ledger.record(LedgerEntry(kind, user, spec, xp, Outcome.OK, time.perf_counter() - began))

    # -- faults ---------------------------------------------------------------------------------------
    def random_mix(self, cycle: int) -> FaultMix:
        rng = random.Random(f"{self.seed}:faults:{cycle}")
        return FaultMix(dict(Counter(rng.choice(DESYNC_KINDS) for _ in range(self.size.faults))))

    def inject(self, cycle: int) -> int:
        """A fresh random mix on pairs chosen by a per-cycle seed; its ground truth goes to ``truth``. Returns
        how many faults were injected."""
        # No statement cache: Alembic's revision query compiles a new Table each time, and the engine's cache
        # would keep up to 500 of them, a growth of the harness the memory slope would charge to the job.
        with self.admin.engine.connect() as conn, conn.begin():
            manifest = inject_faults_in(conn.execution_options(compiled_cache=None), self.random_mix(cycle),
                                        seed=self.seed * 100_003 + cycle)
        for fault in manifest.faults:
            if fault.kind == "license_without_progress":
                self._restart_pair((fault.user_id, fault.specialization))
        if self.truth is not None:
            with self.truth.open("a") as out:
                out.write(json.dumps({"cycle": cycle, **manifest.to_json()}) + "\n")
        return len(manifest.faults)

    def _restart_pair(self, pair: Pair) -> None:
        self.baseline[pair] = 0
        for totals in self._xp.values():
            totals[pair] = 0

    # -- for the invariant checker --------------------------------------------------------------------
    def totals(self) -> dict[str, dict[Pair, int]]:
        """XP per pair and outcome (what the invariant checker reads of a ledger), non-zero ones only."""
        return {o.value: {pair: xp for pair, xp in t.items() if xp} for o, t in self._xp.items()}


def as_ledger(totals: dict[str, dict[Pair, int]]) -> Ledger:
    """A ledger with one entry per pair and outcome carrying its XP total: for the invariant checker it is the
    same ledger as the one of every operation."""
    ledger = Ledger()
    for outcome, pairs in totals.items():
        for (user, spec), xp in pairs.items():
            ledger.record(LedgerEntry("level_up", user, spec, xp, Outcome(outcome), 0.0))
    return ledger
