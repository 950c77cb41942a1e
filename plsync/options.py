"""Options and output shared by the CLI's commands."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from rich.console import Console

from plsync.rundir import to_jsonable
from plsync.settings import HarnessSettings

# Rich assumes 80 columns when output is not a terminal; tables would wrap into unreadable cells.
console = Console(stderr=True, width=None if sys.stderr.isatty() else 140)
out = Console(width=None if sys.stdout.isatty() else 140)

DatabaseUrl = Annotated[str | None, typer.Option("--database-url", envvar="PLSYNC_DATABASE_URL",
                                                 help="Use this PostgreSQL server instead of a throwaway one.")]
DatabaseMode = Annotated[str | None, typer.Option("--database", help="embedded (default), url or testcontainers.")]
RedisUrl = Annotated[str | None, typer.Option("--redis-url", envvar="PLSYNC_REDIS_URL",
                                              help="Use this Redis instead of starting one.")]
Disposable = Annotated[bool, typer.Option("--disposable", help="Allow destructive operations on a database "
                                                                 "plsync did not create.")]
Strategy = Annotated[str, typer.Option("--strategy", help="legacy, coupled, advisory, redis, serializable, "
                                                          "trigger")]
AsJson = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


def settings_from(database_url: str | None, database: str | None, redis_url: str | None = None,
              disposable: bool = False, **extra: Any) -> HarnessSettings:
    return HarnessSettings.build(database_url=database_url, database=database, redis_url=redis_url,
                                 disposable=disposable, **extra)


def emit(payload: Any, as_json: bool) -> None:
    if as_json:
        print(json.dumps(to_jsonable(payload), indent=2))
    else:
        out.print(payload)


