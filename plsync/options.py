"""Options and output shared by the CLI's commands: every command that touches data takes the same
database, Redis, ``--disposable`` and ``--json`` options."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from plsync.durations import FORMATS, parse_duration
from plsync.rundir import to_jsonable
from plsync.settings import HarnessSettings

# Rich assumes 80 columns when output is not a terminal; tables would wrap into unreadable cells.
console = Console(stderr=True, width=None if sys.stderr.isatty() else 140)
out = Console(width=None if sys.stdout.isatty() else 140)

DatabaseUrl = Annotated[str | None, typer.Option("--database-url", envvar="PLSYNC_DATABASE_URL",
                                                 help="Use this PostgreSQL server instead of a throwaway one.")]
DatabaseMode = Annotated[str | None, typer.Option("--database", help="embedded (default), url or testcontainers.")]
RedisUrl = Annotated[str | None, typer.Option("--redis-url", envvar="PLSYNC_REDIS_URL",
                                              help="Use this Redis instead of starting one (required for the "
                                                   "redis strategy on a shared database).")]
Disposable = Annotated[bool, typer.Option("--disposable", help="Allow destructive operations on a database "
                                                                 "plsync did not create.")]
Strategy = Annotated[str, typer.Option("--strategy", help="legacy, coupled, advisory, redis, redis_fenced, "
                                                          "serializable, trigger")]
AsJson = Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout.")]
RunsDir = Annotated[Path, typer.Option("--runs-dir", envvar="PLSYNC_RUNS_DIR",
                                       help="Where run directories are created (default: ./runs).")]


def duration_option(*names: str, help: str) -> Any:
    """An option holding a duration in Locust's syntax (``20``, ``20s``, ``5m``, ``1h30m``), as seconds."""
    return typer.Option(*names, parser=parse_duration, metavar="DURATION", help=f"{help} ({FORMATS})")


def settings_from(database_url: str | None, database: str | None, redis_url: str | None = None,
                  disposable: bool = False, **extra: Any) -> HarnessSettings:
    return HarnessSettings.build(database_url=database_url, database=database, redis_url=redis_url,
                                 disposable=disposable, **extra)


def emit_json(payload: Any) -> None:
    print(json.dumps(to_jsonable(payload), indent=2))


def say(message: str, *, style: str | None = None) -> None:
    """A result for people, one line on stdout, printed literally (brackets are text, not Rich markup)."""
    text = escape(message)
    out.print(f"[{style}]{text}[/]" if style else text, highlight=False, soft_wrap=True)


def note(message: str, *, style: str | None = "dim") -> None:
    """Progress and context on stderr (stdout stays for results), printed literally."""
    text = escape(message)
    console.print(f"[{style}]{text}[/]" if style else text, highlight=False, soft_wrap=True)


def error_line(message: str) -> None:
    console.print(f"[red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
