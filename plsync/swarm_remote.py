"""Swarms across hosts: a master that waits for workers started elsewhere, and the worker's own command.

The master (``plsync swarm --master --expect-workers N``) prepares the population, starts Locust's master on an
address the workers can reach, and judges the run from what the workers streamed to it: their ledgers
(``loadtests/ledger_stream.py``) and Locust's statistics. A worker (``plsync swarm --worker --master-host H``)
is plain ``locust --worker`` with this host's settings: the strategy, workload and sizes come from the master.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from system.errors import ConfigurationError
from system.strategies import strategy_class

BIN = Path(sys.executable).parent
LOCUSTFILES = Path(__file__).resolve().parent.parent / "loadtests"
#: Locust's default port for workers to reach their master.
DEFAULT_PORT = 5557


@dataclass(frozen=True)
class ExternalWorkers:
    """A master that starts no worker of its own: ``count`` workers connect to ``bind_host:port``."""

    count: int
    bind_host: str = "0.0.0.0"
    port: int = DEFAULT_PORT
    #: How long the master waits for all of them to connect before it gives up (Locust exits 1).
    connect_wait_s: int = 120

    def __post_init__(self) -> None:
        if not 1 <= self.count <= 8:  # as many as --workers allows here
            raise ConfigurationError("--expect-workers must be between 1 and 8")
        if not 0 < self.port < 65536:
            raise ConfigurationError(f"--master-port {self.port} is not a port")


@dataclass(frozen=True)
class WorkerPlan:
    """What a worker on another host must be told, checked before it starts."""

    master_host: str
    database_url: str | None
    master_port: int = DEFAULT_PORT
    transport: str = "direct"
    strategy: str | None = None
    redis_url: str | None = None
    api_secret: str | None = None

    def __post_init__(self) -> None:
        if not self.master_host:
            raise ConfigurationError("a worker needs --master-host: the address of the host running the master")
        if not self.database_url:
            raise ConfigurationError("a worker needs the database the master prepared: --database-url or "
                                     "PLSYNC_DATABASE_URL, as this host reaches it")
        if self.transport not in ("direct", "http"):
            raise ConfigurationError(f"unknown transport {self.transport!r} (direct or http)")
        if self.strategy is not None and strategy_class(self.strategy).needs_redis and not self.redis_url:
            raise ConfigurationError(f"the {self.strategy} strategy needs the Redis every worker shares: pass "
                                     "--redis-url (or set PLSYNC_REDIS_URL); a Redis of this host alone would "
                                     "exclude nobody")
        if self.transport == "http" and not self.api_secret:
            raise ConfigurationError("an HTTP worker mints its tokens with the API's secret: set PLSYNC_API_SECRET "
                                     "to the one `plsync serve` runs with")

    def command(self) -> list[str]:
        locustfile = LOCUSTFILES / ("direct.py" if self.transport == "direct" else "http.py")
        return [str(BIN / "locust"), "-f", str(locustfile), "--worker", "--master-host", self.master_host,
                "--master-port", str(self.master_port), "--loglevel", "WARNING"]

    def environment(self) -> dict[str, str]:
        values = {"PLSYNC_DATABASE_URL": self.database_url or ""}
        if self.strategy:
            values["PLSYNC_STRATEGY"] = self.strategy
        if self.redis_url:
            values["PLSYNC_REDIS_URL"] = self.redis_url
        if self.api_secret:
            values["PLSYNC_API_SECRET"] = self.api_secret
        return {**os.environ, **values}


def run_worker(plan: WorkerPlan) -> int:
    """Locust's worker in the foreground until its master ends the run; its exit code."""
    return subprocess.call(plan.command(), env=plan.environment())
