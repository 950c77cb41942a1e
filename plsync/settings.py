"""One settings object for a harness run. Built from the command line and environment, then passed down."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from system.config import SystemConfig, parse_database_url
from system.errors import ConfigurationError

DATABASE_MODES = ("embedded", "url", "testcontainers")


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
        if self.database not in DATABASE_MODES:
            raise ConfigurationError(f"unknown database mode {self.database!r} (choose from "
                                     f"{', '.join(DATABASE_MODES)})")
        if self.database == "url":
            if not self.database_url:
                raise ConfigurationError("database mode 'url' needs --database-url or PLSYNC_DATABASE_URL")
            parse_database_url(self.database_url)

    @classmethod
    def build(cls, *, database_url: str | None = None, database: str | None = None,
              redis_url: str | None = None, disposable: bool = False, runs_root: Path | None = None,
              seed: int | None = None, env: Mapping[str, str] | None = None,
              **system_overrides: object) -> HarnessSettings:
        """Command-line values win over the environment, which wins over the defaults."""
        env = os.environ if env is None else env
        url = database_url or env.get("PLSYNC_DATABASE_URL") or None
        mode = database or ("url" if url else "embedded")
        if mode == "testcontainers":
            url = None
        return cls(database=mode, database_url=url, redis_url=redis_url or env.get("PLSYNC_REDIS_URL") or None,
                   disposable=disposable or env.get("PLSYNC_DISPOSABLE", "") in ("1", "true", "yes"),
                   runs_root=runs_root or Path(env.get("PLSYNC_RUNS_DIR", "runs")),
                   seed=seed if seed is not None else int(env.get("PLSYNC_SEED", "42")),
                   api_secret=env.get("PLSYNC_API_SECRET") or None, system_overrides=dict(system_overrides))

    def system_config(self, database_url: str, redis_url: str | None) -> SystemConfig:
        secret = {"api_secret": self.api_secret} if self.api_secret else {}
        return SystemConfig(database_url=database_url, redis_url=redis_url, **secret,
                            **self.system_overrides)  # type: ignore[arg-type]
