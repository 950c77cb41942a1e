"""Stage ``environment``: what the run ran on (database, server version, machine), so figures from two
runs can be compared knowingly."""

from __future__ import annotations

import os
import platform
import sys
from importlib import metadata

from sqlalchemy import text

from plsync.records.files import ENVIRONMENT
from plsync.stages.base import Stage, StageContext


def run(ctx: StageContext) -> None:
    with ctx.db.engine.connect() as conn:
        version = conn.execute(text("SHOW server_version")).scalar_one()
        max_connections = int(conn.execute(text("SHOW max_connections")).scalar_one())
    ctx.run.write_record(ENVIRONMENT, {
        "database_kind": ctx.env.database_kind, "server_version": version, "max_connections": max_connections,
        "disposable": ctx.env.disposable, "redis": bool(ctx.env.redis_url), "profile": ctx.profile.name,
        "sizes": ctx.profile, "strategies": ctx.strategies, "seed": ctx.settings.seed,
        "python": sys.version.split()[0], "platform": platform.platform(), "cpus": os.cpu_count(),
        "packages": installed_packages(),
    })


def installed_packages() -> dict[str, str]:
    """Every distribution installed in this environment and its version, by name: the figures depend on them
    (a newer psycopg2, SQLAlchemy or Locust moves latencies), and constraints.txt pins the same list."""
    found = {(d.metadata["Name"] or "").lower(): d.version for d in metadata.distributions()}
    return dict(sorted((name, version) for name, version in found.items() if name))


STAGE = Stage("environment", "database, server and machine the run measured", run, required=True)
