"""One settings object for a harness run. Built from the command line and environment, then passed down."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from fixtures.provision import ServerRequest
from system.config import SystemConfig
from system.errors import ConfigurationError


@dataclass(frozen=True)
class HarnessSettings:
    database: str = "embedded"
    database_url: str | None = None
    redis_url: str | None = None
    #: The user vouches that the database may be written to destructively (reset, faults, deletes).
    disposable: bool = False
    runs_root: Path = Path("runs")
    seed: int = 42
    #: Signs the API's tokens (PLSYNC_API_SECRET); None: the system draws a random one per run.
    api_secret: str | None = field(default=None, repr=False)
    system_overrides: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.servers()  # validates the database mode and URL
        if not self.runs_root.is_absolute():
            # Resolved once, here: no child process may depend on the directory it is started in.
            object.__setattr__(self, "runs_root", self.runs_root.resolve())

    def servers(self) -> ServerRequest:
        return ServerRequest(self.database, self.database_url, self.redis_url, self.disposable)

    @classmethod
    def build(cls, *, database_url: str | None = None, database: str | None = None,
              redis_url: str | None = None, disposable: bool = False, runs_root: Path | None = None,
              seed: int | None = None, env: Mapping[str, str] | None = None,
              **system_overrides: object) -> HarnessSettings:
        """Command-line values win over the environment, which wins over the defaults."""
        from plsync.limits import limits_from_env

        env = os.environ if env is None else env
        url = database_url or env.get("PLSYNC_DATABASE_URL") or None
        mode = database or ("url" if url else "embedded")
        if mode == "testcontainers":
            url = None
        return cls(database=mode, database_url=url, redis_url=redis_url or env.get("PLSYNC_REDIS_URL") or None,
                   disposable=disposable or env.get("PLSYNC_DISPOSABLE", "") in ("1", "true", "yes"),
                   runs_root=runs_root or Path(env.get("PLSYNC_RUNS_DIR", "runs")),
                   seed=seed if seed is not None else int(env.get("PLSYNC_SEED", "42")),
                   api_secret=env.get("PLSYNC_API_SECRET") or None,
                   system_overrides={**limits_from_env(env), **system_overrides})

    def require_shared_redis(self, strategies: Iterable[str]) -> None:
        """A Redis strategy (``redis``, ``redis_fenced``) excludes only the processes that share its Redis. On a
        database other processes use, a Redis started for this process alone would exclude nothing: refuse."""
        from system.strategies import strategy_class

        needing = [s for s in strategies if strategy_class(s).needs_redis]
        if needing and self.database == "url" and not self.redis_url:
            raise ConfigurationError(
                f"the {needing[0]} strategy on a shared database needs the Redis every other client of it uses: "
                "pass --redis-url (or set PLSYNC_REDIS_URL); a Redis of this process alone would exclude nothing")

    def system_config(self, database_url: str, redis_url: str | None, *,
                      sync_log_dir: Path | None = None) -> SystemConfig:
        secret = {"api_secret": self.api_secret} if self.api_secret else {}
        return SystemConfig(database_url=database_url, redis_url=redis_url, sync_log_dir=sync_log_dir, **secret,
                            **self.system_overrides)  # type: ignore[arg-type]
