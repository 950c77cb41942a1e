"""Stage ``migrate``: the schema at Alembic's head (every other stage needs it)."""

from __future__ import annotations

from plsync.gates import FieldGate
from plsync.records.files import MIGRATE
from plsync.stages.base import Stage, StageContext
from system import migrate


def run(ctx: StageContext) -> None:
    before = migrate.current_revision(ctx.db.engine)
    migrate.upgrade(ctx.db.engine)
    revision = migrate.current_revision(ctx.db.engine)
    ctx.run.write_record(MIGRATE, {"before": before, "revision": revision,
                                    "at_head": revision == migrate.head_revision()})


STAGE = Stage("migrate", "Alembic upgrade to head", run, required=True,
              gates=(FieldGate("schema at head", MIGRATE, "at_head", "==", True),))
