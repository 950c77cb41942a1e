"""The HTTP API: roles on every endpoint, bulk sync a dry run unless asked, level-ups through the strategy."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from system.db import Database
from tests.api.conftest import auth
from tests.helpers import snapshot

ADMIN_ENDPOINTS = [
    ("get", "/api/v1/licenses/admin/sync/desync-issues", None),
    ("post", "/api/v1/licenses/admin/sync/user/1", {"specialization": "PLAYER"}),
    ("post", "/api/v1/licenses/admin/sync/user/1/all", {}),
    ("post", "/api/v1/licenses/admin/sync/all", {}),
]


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_ENDPOINTS)
def test_admin_endpoints_refuse_callers_without_the_role(client: TestClient, tokens: dict[str, str],
                                                         method: str, path: str, body: object) -> None:
    call = getattr(client, method)
    kwargs = {"json": body} if body is not None else {}
    assert call(path, **kwargs).status_code == 401
    assert call(path, headers=auth("1.forged"), **kwargs).status_code == 401
    denied = call(path, headers=auth(tokens["student"]), **kwargs)
    assert denied.status_code == 403 and "requires role" in denied.json()["detail"]
    assert denied.json()["error"] == "AccessDeniedError"


def test_bulk_sync_is_admin_only_and_a_dry_run_unless_asked(client: TestClient, tokens: dict[str, str],
                                                            db: Database, students: list[int]) -> None:
    with db.transaction() as session:
        session.execute(text("UPDATE user_licenses SET current_level = 2, max_achieved_level = 2 "
                             "WHERE user_id = :u AND specialization_type = 'PLAYER'"), {"u": students[1]})
    denied = client.post("/api/v1/licenses/admin/sync/all", json={}, headers=auth(tokens["instructor"]))
    assert denied.status_code == 403
    before = snapshot(db)
    dry = client.post("/api/v1/licenses/admin/sync/all", json={}, headers=auth(tokens["admin"]))
    assert dry.status_code == 200 and dry.json()["dry_run"] is True and dry.json()["planned"] == 1
    assert snapshot(db) == before
    real = client.post("/api/v1/licenses/admin/sync/all", json={"dry_run": False}, headers=auth(tokens["admin"]))
    assert real.json()["synced"] == 1
    issues = client.get("/api/v1/licenses/admin/sync/desync-issues", headers=auth(tokens["instructor"])).json()
    assert issues["count"] == 0
    assert client.get("/health/integrity").json()["healthy"] is True


def test_level_up_and_license_endpoints(client: TestClient, tokens: dict[str, str], students: list[int]) -> None:
    me = students[0]
    up = client.post(f"/api/v1/progress/{me}/PLAYER/level-up", json={"xp": 600, "sessions": 6},
                     headers=auth(tokens["student"]))
    assert up.status_code == 200 and (up.json()["level"], up.json()["license_level"]) == (2, 2)
    other = client.post(f"/api/v1/progress/{students[1]}/PLAYER/level-up", json={"xp": 1},
                        headers=auth(tokens["student"]))
    assert other.status_code == 403
    bad = client.post(f"/api/v1/progress/{me}/PLAYER/level-up", json={"xp": -1}, headers=auth(tokens["student"]))
    assert bad.status_code == 422 and bad.json()["errors"] == [
        {"loc": ["body", "xp"], "msg": "Input should be greater than or equal to 0", "type": "greater_than_equal"}]
    too_far = client.post(f"/api/v1/licenses/{me}/INTERNSHIP/advance", json={"target_level": 5},
                          headers=auth(tokens["instructor"]))
    assert too_far.status_code == 422 and "(1-3)" in too_far.json()["detail"]
    ok = client.post(f"/api/v1/licenses/{me}/INTERNSHIP/advance", json={"target_level": 3},
                     headers=auth(tokens["instructor"]))
    assert ok.status_code == 200 and ok.json()["progress_level"] == 3
    status = client.get(f"/api/v1/licenses/{me}/INTERNSHIP/consistency", headers=auth(tokens["student"])).json()
    assert status["consistent"] is True
    missing = client.post("/api/v1/progress/99999/PLAYER/level-up", json={"xp": 1}, headers=auth(tokens["admin"]))
    assert missing.status_code == 404


def test_sync_one_user_endpoints(client: TestClient, tokens: dict[str, str], db: Database,
                                 students: list[int]) -> None:
    u = students[2]
    with db.transaction() as session:
        session.execute(text("UPDATE specialization_progress SET current_level = 3 WHERE student_id = :u"), {"u": u})
    one = client.post(f"/api/v1/licenses/admin/sync/user/{u}", json={"specialization": "COACH"},
                      headers=auth(tokens["admin"]))
    assert one.json()["action"] == "updated" and one.json()["level_after"] == 3
    rest = client.post(f"/api/v1/licenses/admin/sync/user/{u}/all", json={}, headers=auth(tokens["admin"]))
    assert [r["action"] for r in rest.json()["results"]] == ["already_in_sync", "updated", "updated"]
    bad = client.post(f"/api/v1/licenses/admin/sync/user/{u}/all", json={"direction": "sideways"},
                      headers=auth(tokens["admin"]))
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == ["body", "direction"]
    assert "'progress_to_license' or 'license_to_progress'" in bad.json()["detail"]
