"""Run the Alembic migrations programmatically (the CLI and the tests both come through here)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

MIGRATIONS = Path(__file__).parent / "migrations"
HEAD = "head"


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return cfg


def upgrade(engine: Engine, revision: str = HEAD) -> None:
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def downgrade(engine: Engine, revision: str) -> None:
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def downgrade_on(conn: Connection, revision: str) -> None:
    """Downgrade inside the caller's transaction (it commits or rolls back with everything else)."""
    cfg = alembic_config(conn.engine)
    cfg.attributes["connection"] = conn
    command.downgrade(cfg, revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return current_revision_on(conn)


def current_revision_on(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str:
    script = ScriptDirectory.from_config(_script_only_config())
    head = script.get_current_head()
    assert head is not None
    return head


def revisions() -> list[str]:
    """Every revision id from base to head, in order."""
    script = ScriptDirectory.from_config(_script_only_config())
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def _script_only_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg
