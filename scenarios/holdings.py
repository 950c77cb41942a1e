"""Who holds what, seen from outside while a client is frozen: its database session and the locks the
server sees, the sessions of the other clients and what they wait for, and the pair's Redis lock.

Read from separate connections only: looking through the frozen client's own session would wake it
(and reset the server's idle-in-transaction clock).
"""

from __future__ import annotations

from typing import Any

import redis
from sqlalchemy import text

from system.db import Database

_SESSIONS = text("""
    SELECT a.pid, a.application_name, a.state, a.wait_event_type, a.wait_event, pg_blocking_pids(a.pid) AS blockers,
           a.backend_xid IS NOT NULL AS has_xid,
           round(extract(epoch FROM clock_timestamp() - a.state_change) * 1000) AS in_state_ms,
           EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = a.pid AND l.locktype = 'advisory' AND l.granted)
               AS holds_advisory
      FROM pg_stat_activity a
     WHERE a.datname = current_database() AND a.application_name = ANY(:apps)
""")


class HoldingsProbe:
    """Snapshots of one pair's holders. ``names`` maps an application name to the client it stands for."""

    def __init__(self, admin: Database, names: dict[str, str], redis_url: str | None, lock_key: str) -> None:
        self.admin, self.names, self.lock_key = admin, names, lock_key
        self.redis = redis.Redis.from_url(redis_url, socket_connect_timeout=2) if redis_url else None
        self.frozen_token: bytes | None = None

    def remember_holder(self) -> None:
        """Called the moment the client freezes holding the pair's Redis lock: its token names it later."""
        if self.redis is not None:
            self.frozen_token = self.redis.get(self.lock_key)

    def look(self, frozen_pid: int | None) -> dict[str, Any]:
        with self.admin.engine.connect() as conn:
            rows = conn.execute(_SESSIONS, {"apps": list(self.names)}).mappings().all()
        pids = {r["pid"]: self._who(r, frozen_pid) for r in rows}
        sessions = []
        for r in rows:
            if r["pid"] != frozen_pid and r["state"] == "idle":
                continue  # an idle pooled connection holds nothing
            entry: dict[str, Any] = {"client": pids[r["pid"]], "state": r["state"], "for_ms": int(r["in_state_ms"])}
            if r["has_xid"]:
                entry["holds"] = "a transaction id (rows it wrote or locked stay locked)"
            if r["holds_advisory"]:
                entry["holds_advisory_lock"] = True
            if r["wait_event_type"] == "Lock":
                entry["waits_for"] = f"{r['wait_event']} lock held by " + ", ".join(
                    pids.get(b, f"pid {b}") for b in r["blockers"])
            sessions.append(entry)
        if frozen_pid is not None and frozen_pid not in pids:
            sessions.append({"client": "frozen client", "state": "no session: the server ended it"})
        snapshot: dict[str, Any] = {"database_sessions": sessions}
        if self.redis is not None:
            snapshot["redis_lock"] = self._redis_holder()
        return snapshot

    def _who(self, row: Any, frozen_pid: int | None) -> str:
        if row["pid"] == frozen_pid:
            return "frozen client"
        return str(self.names.get(row["application_name"], row["application_name"]))

    def _redis_holder(self) -> dict[str, Any]:
        assert self.redis is not None
        token, ttl_ms = self.redis.get(self.lock_key), self.redis.pttl(self.lock_key)
        if token is None:
            return {"holder": "nobody"}
        holder = "frozen client" if token == self.frozen_token else "another client"
        return {"holder": holder, "expires_in_ms": ttl_ms}

    def close(self) -> None:
        if self.redis is not None:
            self.redis.close()
