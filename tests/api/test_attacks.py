"""The API attacked: forged, expired and stolen-identity tokens get 401, a student on staff endpoints 403,
and in every case the database is unchanged (row snapshots of every data table before and after)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from fixtures.population import add_users
from system.api.app import create_app
from system.api.tokens import TokenCodec
from system.config import SystemConfig
from system.db import Database
from tests.api.conftest import Users, auth
from tests.api.forge import forgeries
from tests.helpers import snapshot


def operations(users: Users) -> list[tuple[str, str, dict[str, Any] | None]]:
    """Every authenticated operation, with a body that would change something if it were let through."""
    other = users.other_student
    return [
        ("POST", f"/api/v1/progress/{other}/PLAYER/level-up", {"xp": 5000, "sessions": 50}),
        ("POST", f"/api/v1/licenses/{other}/PLAYER/advance", {"target_level": 3}),
        ("GET", f"/api/v1/licenses/{other}/PLAYER/consistency", None),
        ("GET", "/api/v1/licenses/admin/sync/desync-issues", None),
        ("POST", f"/api/v1/licenses/admin/sync/user/{other}", {"specialization": "PLAYER"}),
        ("POST", f"/api/v1/licenses/admin/sync/user/{other}/all", {"direction": "license_to_progress"}),
        ("POST", "/api/v1/licenses/admin/sync/all", {"dry_run": False}),
    ]


def desync_one(db: Database, users: Users) -> None:
    """A desynced pair, so that a sync let through would visibly change a row."""
    with db.transaction() as session:
        session.execute(text("UPDATE user_licenses SET current_level = 2, max_achieved_level = 2 "
                             "WHERE user_id = :u AND specialization_type = 'PLAYER'"), {"u": users.other_student})


def test_forged_tokens_are_refused_everywhere_and_change_nothing(client: TestClient, config: SystemConfig,
                                                                 tokens: dict[str, str], users: Users,
                                                                 db: Database) -> None:
    desync_one(db, users)
    before = snapshot(db)
    forged = forgeries(users.admin, config.api_secret, tokens["student"])
    for name, token in forged.items():
        for method, path, body in operations(users):
            # As bytes: an HTTP client can send any, and httpx would refuse to encode a non-ASCII str.
            headers = {"Authorization": f"Bearer {token}".encode()}
            response = client.request(method, path, json=body, headers=headers)
            assert response.status_code == 401, (name, path, response.text)
            assert response.json()["error"] == "AuthenticationError", name
            assert response.headers["www-authenticate"] == "Bearer"
    assert snapshot(db) == before
    assert len(forged) >= 19


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer ", "Basic YWRtaW46YWRtaW4=", "bearer", "Token abc"])
def test_missing_or_foreign_authorization_headers_get_401(client: TestClient, users: Users, header: str) -> None:
    for method, path, body in operations(users):
        headers = {"Authorization": header} if header else {}
        response = client.request(method, path, json=body, headers=headers)
        assert response.status_code == 401 and response.json()["error"] == "AuthenticationError", (header, path)


def test_genuine_tokens_for_users_who_are_not_who_they_claim_get_401(
        client: TestClient, codec: TokenCodec, users: Users, db: Database) -> None:
    with db.transaction() as session:
        (deleted,) = add_users(session, 1, seed=9, role="admin")
        session.execute(text("DELETE FROM users WHERE id = :u"), {"u": deleted})
    desync_one(db, users)
    before = snapshot(db)
    cases = {
        "deleted admin": codec.issue(deleted, "admin"),
        "user who never existed": codec.issue(999_999, "admin"),
        "student claiming admin": codec.issue(users.student, "admin"),
        "instructor claiming admin": codec.issue(users.instructor, "admin"),
        "admin claiming student": codec.issue(users.admin, "student"),
    }
    for name, token in cases.items():
        for method, path, body in operations(users):
            response = client.request(method, path, json=body, headers=auth(token))
            assert response.status_code == 401, (name, path, response.text)
    assert snapshot(db) == before


def test_a_user_deleted_or_demoted_after_the_token_was_issued_is_refused(
        config: SystemConfig, db: Database, codec: TokenCodec, users: Users) -> None:
    """With the caller cache off, the very next request sees the change (with it on, within its TTL)."""
    with db.transaction() as session:
        (admin,) = add_users(session, 1, seed=11, role="admin")
    token = codec.issue(admin, "admin")
    path = "/api/v1/licenses/admin/sync/desync-issues"
    app = create_app(dataclasses.replace(config, api_caller_cache_s=0), db=db)
    with TestClient(app, raise_server_exceptions=False) as c:
        assert c.get(path, headers=auth(token)).status_code == 200
        with db.transaction() as session:
            session.execute(text("UPDATE users SET role = 'student' WHERE id = :u"), {"u": admin})
        assert c.get(path, headers=auth(token)).status_code == 401
        with db.transaction() as session:
            session.execute(text("DELETE FROM users WHERE id = :u"), {"u": admin})
        denied = c.get(path, headers=auth(token))
        assert denied.status_code == 401 and "does not exist" in denied.json()["detail"]


def test_a_student_gets_403_on_every_operation_not_their_own(client: TestClient, tokens: dict[str, str],
                                                            users: Users, db: Database) -> None:
    desync_one(db, users)
    before = snapshot(db)
    for method, path, body in operations(users):
        response = client.request(method, path, json=body, headers=auth(tokens["student"]))
        assert response.status_code == 403, (path, response.text)
        assert response.json()["error"] == "AccessDeniedError"
    # ... and 403 comes before the body is validated: a student learns nothing of what an admin may send.
    invalid = client.post("/api/v1/licenses/admin/sync/all", json={"dry_run": "maybe", "x": 1},
                          headers=auth(tokens["student"]))
    assert invalid.status_code == 403
    instructor_bulk = client.post("/api/v1/licenses/admin/sync/all", json={"dry_run": False},
                                  headers=auth(tokens["instructor"]))
    assert instructor_bulk.status_code == 403  # bulk sync is admin only
    assert snapshot(db) == before


def test_unauthenticated_requests_are_refused_before_their_body_is_validated(client: TestClient,
                                                                             users: Users) -> None:
    """401 for any body: the API tells a stranger nothing about what it would accept. The token is checked
    before the body is read (system.api.limits), so even bytes that are not UTF-8 JSON get 401."""
    response = client.post(f"/api/v1/progress/{users.student}/PLAYER/level-up", json={"xp": "lots", "x": [1]})
    assert response.status_code == 401
    undecodable = client.post(f"/api/v1/progress/{users.student}/PLAYER/level-up", content=b"\xff{",
                              headers={"Content-Type": "application/json"})
    assert undecodable.status_code == 401 and undecodable.json()["error"] == "AuthenticationError"
