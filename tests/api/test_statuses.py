"""Database trouble is 503 with Retry-After, lock trouble 409: both in the one error body, nothing changed."""

from __future__ import annotations

import dataclasses

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.orm import sessionmaker

from fixtures.ports import free_port
from system.api.app import create_app
from system.api.tokens import TokenCodec
from system.config import SystemConfig
from system.db import Database
from tests.api.conftest import Users, auth
from tests.helpers import snapshot


def test_an_unreachable_database_is_503_with_retry_after(config: SystemConfig, codec: TokenCodec,
                                                         users: Users) -> None:
    # A real engine towards a loopback port nobody listens on: every connection is refused.
    engine = create_engine(f"postgresql+psycopg2://postgres@127.0.0.1:{free_port()}/none",
                           connect_args={"connect_timeout": 2})
    down = Database(engine=engine, sessions=sessionmaker(engine))
    try:
        with TestClient(create_app(config, db=down), raise_server_exceptions=False) as client:
            for response in (client.get("/health/integrity"),
                             client.get("/api/v1/licenses/admin/sync/desync-issues",
                                        headers=auth(codec.issue(users.admin, "admin")))):
                assert response.status_code == 503, response.text
                assert response.headers["retry-after"].isdigit()
                assert response.json()["error"] == "InfrastructureError"
    finally:
        engine.dispose()


def test_a_row_locked_past_the_lock_timeout_is_409_and_changes_nothing(config: SystemConfig, db: Database,
                                                                      tokens: dict[str, str],
                                                                      users: Users) -> None:
    impatient = dataclasses.replace(config, lock_timeout_s=0.2)
    with TestClient(create_app(impatient), raise_server_exceptions=False) as client:
        before = snapshot(db)
        with db.engine.connect() as holder, holder.begin():
            holder.execute(text("SELECT 1 FROM specialization_progress WHERE student_id = :u FOR UPDATE"),
                           {"u": users.student})
            response = client.post(f"/api/v1/progress/{users.student}/PLAYER/level-up", json={"xp": 600},
                                   headers=auth(tokens["student"]))
        assert response.status_code == 409, response.text
        assert response.json()["error"] == "ConcurrencyError" and "LockNotAvailable" in response.json()["detail"]
        assert snapshot(db) == before
