"""Locustfile: users that call the system's services in-process through a strategy.

    locust -f loadtests/direct.py --headless -u 64 -r 64 -t 60s --plsync-workload hotspot

psycopg2 blocks the whole gevent loop during a query unless it is made cooperative: psycogreen's
patch runs before any connection is made, so N users really hold N transactions open at once.
"""

from __future__ import annotations

import logging
import os
import random
from typing import Any

from psycogreen.gevent import patch_psycopg

patch_psycopg()

import gevent  # noqa: E402
from locust import User, constant, events, task  # noqa: E402
from locust.env import Environment  # noqa: E402
from locust.runners import WorkerRunner  # noqa: E402

from loadtests.clients import DirectClient, SystemClient  # noqa: E402
from loadtests.common import SwarmContext, register_lifecycle, register_setup_done  # noqa: E402
from loadtests.latency_recording import register_latency_recording  # noqa: E402
from loadtests.shapes import StagesShape  # noqa: E402, F401  (Locust picks the shape up from this module)
from plsync.limits import limits_from_env  # noqa: E402
from system.config import SystemConfig  # noqa: E402
from system.db import Database  # noqa: E402
from system.strategies import Strategy, StrategyContext, create_strategy, strategy_class  # noqa: E402

HOLDER: dict[str, Any] = {}
register_lifecycle(HOLDER)
LATENCY = register_latency_recording()


@events.init.add_listener
def open_strategy(environment: Environment, **_kw: Any) -> None:
    ctx: SwarmContext | None = HOLDER.get("ctx")
    if ctx is None:
        return
    opts = environment.parsed_options
    pool = opts.plsync_pool_size or max(8, int(opts.num_users or 8) + 4)
    # This host's database and Redis, with the limits a parent hands down (e.g. a short Redis lease under the
    # pause nemesis).
    config = SystemConfig(database_url=ctx.database_url, redis_url=ctx.redis_url,
                          pool_size=pool, max_overflow=8, **limits_from_env(os.environ))
    db = Database.connect(config, application_name=f"plsync-swarm-{opts.plsync_strategy}")
    use_strategy(opts.plsync_strategy, db, config)
    HOLDER["db"] = db
    HOLDER["warm"] = False
    _warm_for_open_model(opts)


def _warm_for_open_model(opts: Any) -> None:
    """The open model times each request from its slot: open the users' connections before the schedule
    starts, not inside the first slots' response times. A worker on another host learns of the open model only
    from its master's spawn message, at its test's start: it warms then."""
    if not getattr(opts, "plsync_rate", "") or HOLDER.get("warm", True):
        return
    connections = [HOLDER["db"].engine.connect() for _ in range(int(opts.num_users or 8))]
    for connection in connections:
        connection.close()
    HOLDER["warm"] = True


def use_strategy(name: str, db: Database, config: SystemConfig) -> Strategy:
    """The users spawned from now on run ``name`` (loadtests/step_driver.py switches strategies in one process):
    the previous strategy is closed; the database, and its pool of warm connections, are the caller's and kept."""
    previous = HOLDER.pop("strategy", None)
    if previous is not None:
        previous.close()
    HOLDER["strategy"] = strategy = create_strategy(name, StrategyContext(db=db, config=config))
    return strategy


@events.quitting.add_listener
def close_strategy(**_kw: Any) -> None:
    if "strategy" in HOLDER:
        HOLDER.pop("strategy").close()
        HOLDER.pop("db").dispose()


@events.test_start.add_listener
def adopt_master_strategy(environment: Environment, **_kw: Any) -> None:
    """A worker runs the strategy its master names (the spawn message carries the master's flags)."""
    ctx: SwarmContext | None = HOLDER.get("ctx")
    if ctx is None or not isinstance(environment.runner, WorkerRunner) or "strategy" not in HOLDER:
        return
    wanted = environment.parsed_options.plsync_strategy
    if wanted == HOLDER["strategy"].name:
        _warm_for_open_model(environment.parsed_options)
        return
    if strategy_class(wanted).needs_redis and not ctx.redis_url:
        # Not a Redis of its own: the lock would exclude no other worker. Refuse, as the command line does.
        ctx.refused = (f"the master runs {wanted}, which needs the Redis every worker shares: start this worker "
                       "with PLSYNC_REDIS_URL or --plsync-redis-url")
        logging.getLogger("plsync").error("plsync: %s", ctx.refused)
        environment.process_exit_code = 2
        gevent.spawn(environment.runner.quit)
        return
    close_strategy()
    open_strategy(environment)


register_setup_done(HOLDER)  # after this module's init listeners: a worker's test waits for them all


class DirectUser(User):
    wait_time = constant(0)

    def on_start(self) -> None:
        self.ctx: SwarmContext = HOLDER["ctx"]
        self.rng = random.Random()

        def report(operation: str, seconds: float, error: BaseException | None) -> None:
            self.environment.events.request.fire(request_type="direct", name=operation, response_time=seconds * 1000,
                                                 response_length=0, exception=error, context={})

        self.api: SystemClient = DirectClient(HOLDER["strategy"], self.ctx, report)

    @task
    def act(self) -> None:
        operation = getattr(self.api, self.ctx.pick_operation(self.rng))
        LATENCY.run(lambda: operation(self.rng))  # closed: at once; open: at the schedule's next slot
