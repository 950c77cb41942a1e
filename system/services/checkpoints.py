"""Named points inside an operation where a caller may stall or fail it (races and fault scenarios).

The points mean the same under every strategy: AFTER_PROGRESS_WRITE is "progress is written, the
license not yet", whether that gap lies inside one transaction or (``legacy``) between two.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

AFTER_GUARD = "after_guard"                    # the strategy's own lock is taken (Redis, advisory), or
#                                                the transaction opened where it has none; nothing read yet
AFTER_PROGRESS_READ = "after_progress_read"    # progress row read, nothing written yet
AFTER_PROGRESS_WRITE = "after_progress_write"  # progress written, license not yet
AFTER_LICENSE_WRITE = "after_license_write"    # license written, progress not yet
AFTER_SYNC_READ = "after_sync_read"            # a pair sync has read both rows, written nothing
BEFORE_COMMIT = "before_commit"                # everything written and flushed, COMMIT not yet sent
BETWEEN_READS = "between_reads"                # a reader ran its first statement, not its last (after its
#                                                only one, for a reader of one statement)

#: Called with the point's name and the session of the transaction the point lies in.
Checkpoint = Callable[[str, Session | None], None]


def reach(checkpoint: Checkpoint | None, point: str, session: Session | None) -> None:
    if checkpoint is not None:
        checkpoint(point, session)
