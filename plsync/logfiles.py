"""Where the system's own log lines go while the harness breaks it on purpose."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def system_log_to(path: Path) -> Iterator[Path]:
    """Send the ``system`` loggers' records to ``path`` instead of the terminal for the block's duration.

    Scenarios inject faults on purpose; the system logs each one as an error (a failed sync hook, a failed
    background run). Those lines are evidence, kept in the run directory, not alarms for the terminal.
    """
    logger = logging.getLogger("system")
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(threadName)s]: %(message)s"))
    propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield path
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate
        handler.close()
