"""Locustfile: users that call the system's services in-process through a strategy.

    locust -f loadtests/direct.py --headless -u 64 -r 64 -t 60s --plsync-workload hotspot

psycopg2 blocks the whole gevent loop during a query unless it is made cooperative: psycogreen's
patch runs before any connection is made, so N users really hold N transactions open at once.
"""

from __future__ import annotations

import random
from typing import Any

from psycogreen.gevent import patch_psycopg

patch_psycopg()

from locust import User, constant, events, task  # noqa: E402
from locust.env import Environment  # noqa: E402

from loadtests.common import SwarmContext, register_lifecycle, timed  # noqa: E402
from loadtests.shapes import StagesShape  # noqa: E402, F401  (Locust picks the shape up from this module)
from system.config import SystemConfig  # noqa: E402
from system.db import Database  # noqa: E402
from system.services.coupler import ProgressLicenseCoupler  # noqa: E402
from system.services.sync_service import ProgressLicenseSyncService  # noqa: E402
from system.services.types import AdvanceLicenseRequest, Direction, LevelUpRequest  # noqa: E402
from system.strategies import Strategy, StrategyContext, create_strategy  # noqa: E402

HOLDER: dict[str, Any] = {}
register_lifecycle(HOLDER)


@events.init.add_listener
def open_strategy(environment: Environment, **_kw: Any) -> None:
    ctx: SwarmContext | None = HOLDER.get("ctx")
    if ctx is None:
        return
    opts = environment.parsed_options
    pool = opts.plsync_pool_size or max(8, int(opts.num_users or 8) + 4)
    config = SystemConfig(database_url=opts.plsync_database_url, redis_url=opts.plsync_redis_url,
                          pool_size=pool, max_overflow=8)
    db = Database.connect(config, application_name=f"plsync-swarm-{opts.plsync_strategy}")
    HOLDER["strategy"] = create_strategy(opts.plsync_strategy, StrategyContext(db=db, config=config))
    HOLDER["db"] = db


@events.quitting.add_listener
def close_strategy(**_kw: Any) -> None:
    if "strategy" in HOLDER:
        HOLDER.pop("strategy").close()
        HOLDER.pop("db").dispose()


class DirectUser(User):
    wait_time = constant(0)

    def on_start(self) -> None:
        self.ctx: SwarmContext = HOLDER["ctx"]
        self.strategy: Strategy = HOLDER["strategy"]
        self.rng = random.Random()

    @task
    def act(self) -> None:
        getattr(self, self.ctx.pick_operation(self.rng))()

    def level_up(self) -> None:
        student, xp = self.ctx.pick_student(self.rng), self.rng.randint(5, 50)
        request = LevelUpRequest(student, self.ctx.specialization, xp, 1, reason="swarm level-up")
        timed(self.environment, self.ctx, "level_up", student, xp, lambda: self.strategy.level_up(request))

    def sync(self) -> None:
        student = self.ctx.pick_student(self.rng)
        timed(self.environment, self.ctx, "sync", student, 0,
              lambda: self.strategy.sync(student, self.ctx.specialization, Direction.PROGRESS_TO_LICENSE))

    def read(self) -> None:
        student = self.ctx.pick_student(self.rng)

        def consistency() -> object:
            with self.strategy.db.transaction() as session:
                return ProgressLicenseCoupler(lock_rows=False).validate_consistency(
                    session=session, user_id=student, specialization=self.ctx.specialization)

        timed(self.environment, self.ctx, "read", student, 0, consistency)

    def advance_license(self) -> None:
        student, level = self.ctx.pick_student(self.rng), self.rng.randint(1, 3)
        request = AdvanceLicenseRequest(student, self.ctx.specialization, level, self.ctx.staff_id, "swarm admin")
        timed(self.environment, self.ctx, "advance_license", student, 0,
              lambda: self.strategy.advance_license(request))

    def bulk_sync_dry_run(self) -> None:
        def dry_run() -> object:
            with self.strategy.db.transaction() as session:
                return ProgressLicenseSyncService().auto_sync_all(session=session, dry_run=True)

        timed(self.environment, self.ctx, "bulk_sync_dry_run", 0, 0, dry_run)
