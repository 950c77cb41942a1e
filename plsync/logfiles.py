"""Where the system's own log lines go while the harness breaks it on purpose."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def system_log_to(path: Path, names: tuple[str, ...] = ("system",)) -> Iterator[Path]:
    """Send the records of the loggers ``names`` (the ``system`` ones by default) to ``path`` instead of the
    terminal for the block's duration.

    Scenarios inject faults on purpose; the system logs each one as an error (a failed sync hook, a failed
    background run), APScheduler a warning for each run it skips. Those lines are evidence, kept in the run
    directory, not alarms for the terminal.
    """
    loggers = [logging.getLogger(name) for name in names]
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(threadName)s]: %(message)s"))
    propagate = [logger.propagate for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.propagate = False
    try:
        yield path
    finally:
        for logger, before in zip(loggers, propagate, strict=True):
            logger.removeHandler(handler)
            logger.propagate = before
        handler.close()
