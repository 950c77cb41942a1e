"""One look for progress bars: description, bar, count, elapsed; shown only on a terminal (in a log or a
pipe a bar is noise)."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn


def progress_bar(console: Console, *, count: str = "{task.completed:,}/{task.total:,}") -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), TextColumn(count), TimeElapsedColumn(),
                    console=console, transient=True, disable=not console.is_terminal)
