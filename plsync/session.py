"""Open the system for one CLI command: provision, check (or make) the schema, build the strategy."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from fixtures.population import add_students
from fixtures.provision import Environment, provision
from plsync.rundir import RunDirectory
from plsync.settings import HarnessSettings
from system import migrate
from system.config import SystemConfig
from system.db import Database
from system.errors import ConfigurationError
from system.services.catalog import specialization_ids

DEMO_STUDENTS = 10


@dataclass
class OpenSystem:
    env: Environment
    config: SystemConfig
    db: Database


@contextmanager
def open_system(settings: HarnessSettings, *, with_redis: bool = False, demo_data: bool = True,
                require_schema: bool = True, run: RunDirectory | None = None) -> Iterator[OpenSystem]:
    """Provision, connect and check (or, on a throwaway server, make) the schema. With a ``run``, the
    background job's logs go into its directory."""
    with provision(settings.servers(), with_redis=with_redis) as env:
        config = settings.system_config(env.database_url, env.redis_url,
                                        sync_log_dir=run.path / "sync_jobs" if run else None)
        db = Database.connect(config)
        try:
            if env.database_kind != "url":
                # A throwaway server starts empty: give it the schema, and demo students to act on.
                migrate.upgrade(db.engine)
                if demo_data:
                    with db.transaction() as session:
                        add_students(session, DEMO_STUDENTS, seed=settings.seed,
                                     specializations=specialization_ids(session=session))
                    print(f"plsync: throwaway {env.database_kind} database with {DEMO_STUDENTS} demo students "
                          f"(ids 1-{DEMO_STUDENTS}); use --database-url for a real one", file=sys.stderr)
            elif require_schema:
                current, head = migrate.current_revision(db.engine), migrate.head_revision()
                if current != head:
                    raise ConfigurationError(f"database schema is at {current or 'nothing'}, not {head}: "
                                             "run `plsync migrate` first")
            yield OpenSystem(env, config, db)
        finally:
            db.dispose()
