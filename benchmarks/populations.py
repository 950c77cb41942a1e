"""The databases the benchmarks run on: one migrated schema, copied (``CREATE DATABASE ... TEMPLATE``) for
each population, which is seeded with COPY and given a known fault mix (a tenth of its users desynced,
the four kinds in equal parts) whose manifest is the ground truth every repair is restored to."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, text

from fixtures import fault_state
from fixtures.bulk_population import PopulationSpec, populate
from fixtures.faults import DESYNC_KINDS, FaultMix, InjectedFault, Manifest, inject_faults
from fixtures.suite_server import SuiteServer
from scenarios.runner import StrategyRunner
from system import migrate
from system.config import SystemConfig, parse_database_url
from system.db import Database
from system.services.sync_status import SyncStatusView

DESYNCED_SHARE = 10  # one user in ten has a desynced pair


def fault_mix(users: int) -> FaultMix:
    return FaultMix(dict.fromkeys(DESYNC_KINDS, users // DESYNCED_SHARE // len(DESYNC_KINDS)))


def first_of_each_kind(faults: list[InjectedFault], count: int) -> list[InjectedFault]:
    """``count`` faults, a quarter of each desync kind, in manifest order."""
    per_kind = count // len(DESYNC_KINDS)
    chosen = [f for kind in DESYNC_KINDS for f in [g for g in faults if g.kind == kind][:per_kind]]
    if len(chosen) != count:
        raise ValueError(f"the manifest has too few faults for {count} desyncs")
    return chosen


@dataclass
class BenchDatabase:
    """A seeded population with its manifest, an engine for set-up work and a config for the system."""

    url: str
    users: int
    manifest: Manifest
    config: SystemConfig
    engine: Engine
    _db: Database | None = None
    _runners: dict[str, StrategyRunner] = field(default_factory=dict)

    @property
    def db(self) -> Database:
        """The system's own connection pool on this database, as an API process would hold it."""
        if self._db is None:
            self._db = Database.connect(self.config, application_name="plsync-bench")
        return self._db

    def runner(self, strategy: str) -> StrategyRunner:
        if strategy not in self._runners:
            self._runners[strategy] = StrategyRunner(self.config, strategy, connections=2)
        return self._runners[strategy]

    def in_transaction(self, work: Callable[[Connection], None]) -> None:
        with self.engine.begin() as conn:
            work(conn)

    def reinstate(self, faults: list[InjectedFault] | None = None) -> None:
        """Put these faults (default: the whole manifest) back as injected."""
        self.in_transaction(lambda conn: fault_state.reinstate(conn, self.manifest.faults if faults is None
                                                               else faults))

    def only(self, active: list[InjectedFault]) -> None:
        """Exactly ``active`` desynced: every other fault of the manifest healed."""
        chosen = {(f.user_id, f.specialization) for f in active}
        rest = [f for f in self.manifest.faults if (f.user_id, f.specialization) not in chosen]

        def both(conn: Connection) -> None:
            fault_state.heal(conn, rest)
            fault_state.reinstate(conn, active)

        self.in_transaction(both)

    def close(self) -> None:
        for runner in self._runners.values():
            runner.close()
        self._runners.clear()
        if self._db is not None:
            self._db.dispose()
        self.engine.dispose()


class Populations:
    """Databases made on demand and kept for the session: the schema once, each population size once."""

    def __init__(self, server: SuiteServer, *, seed: int, redis_url: str | None, log_dir: Path) -> None:
        self.server, self.seed, self.redis_url, self.log_dir = server, seed, redis_url, log_dir
        self._schema: str | None = None
        self._made: dict[int, BenchDatabase] = {}

    def empty(self, label: str = "empty") -> str:
        """A new database at the schema's head, with no data."""
        if self._schema is None:
            self._schema = self.server.create_database("plsync_bench_schema")
            engine = create_engine(parse_database_url(self._schema))
            migrate.upgrade(engine)
            engine.dispose()  # a template must have no connections
        return self.server.create_database(f"plsync_bench_{label}", template=self._schema)

    def config(self, url: str) -> SystemConfig:
        return SystemConfig(database_url=url, redis_url=self.redis_url, pool_size=4, max_overflow=4,
                            sync_log_dir=self.log_dir)

    def populated(self, users: int) -> BenchDatabase:
        if users not in self._made:
            url = self.empty(f"{users}_users")
            engine = create_engine(parse_database_url(url))
            populate(engine, PopulationSpec(users=users, seed=self.seed))
            manifest = inject_faults(engine, fault_mix(users), seed=self.seed)
            with engine.begin() as conn:
                conn.execute(text("ANALYZE"))
            bench = BenchDatabase(url, users, manifest, self.config(url), engine)
            with bench.db.transaction() as session:
                SyncStatusView().refresh(session=session, concurrently=False)
            self._made[users] = bench
        return self._made[users]

    def close(self) -> None:
        for bench in self._made.values():
            bench.close()
        self._made.clear()
