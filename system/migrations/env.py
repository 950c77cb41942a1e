"""Alembic environment: runs on a connection handed over by ``system.migrate`` or on ``sqlalchemy.url``."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine

from system.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    url = config.get_main_option("sqlalchemy.url") or os.environ.get("PLSYNC_DATABASE_URL")
    context.configure(url=url, target_metadata=target_metadata,
                      literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = config.get_main_option("sqlalchemy.url") or os.environ.get("PLSYNC_DATABASE_URL")
    if not url:
        raise SystemExit("set PLSYNC_DATABASE_URL or sqlalchemy.url to run migrations")
    engine = create_engine(url)
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
