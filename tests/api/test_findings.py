"""Every finding of fuzzing the API (schemathesis, seed 1201, and the probes it prompted), as a regular test.

Each request once got a 500, a 503 for what was bad input, an undocumented status, a body that did not
match the OpenAPI, or was wrongly accepted. Now each must get a documented client error with the one
error body, and change nothing in the database.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from system.db import Database
from tests.api.conftest import Users, auth
from tests.helpers import snapshot

BIG = 3_000_000_000  # past PostgreSQL's integer (int4) range


def assert_refused(response: Any, status: int) -> dict[str, Any]:
    """A client error of ``status`` carrying the one error body of every refusal."""
    assert response.status_code == status, (response.status_code, response.text[:500])
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["error"], str) and body["error"]
    return dict(body)


def documented_schema(client: TestClient, method: str, path: str, status: int) -> str:
    """The name of the body schema the OpenAPI documents for ``status`` of the operation serving ``path``."""
    spec = client.get("/openapi.json").json()
    bare = path.split("?")[0].split("/")
    for template, operations in spec["paths"].items():
        parts = template.split("/")
        if len(parts) == len(bare) and all(t == b or t.startswith("{") for t, b in zip(parts, bare, strict=True)):
            responses = operations[method]["responses"]
            assert str(status) in responses, f"{status} not documented for {method} {template}: {sorted(responses)}"
            ref: str = responses[str(status)]["content"]["application/json"]["schema"]["$ref"]
            return ref.rsplit("/", 1)[-1]
    raise AssertionError(f"no operation serves {path}")


def finding_requests(users: Users) -> list[tuple[str, str, str, dict[str, Any] | None, int]]:
    """(finding, method, path, JSON body, status now expected)."""
    me = users.student
    return [
        # F1: a NUL in a body string reached psycopg2 (ValueError: ... cannot contain NUL) -> 500.
        ("nul-in-body-specialization", "post", f"/api/v1/licenses/admin/sync/user/{me}",
         {"specialization": "\x00"}, 422),
        ("nul-in-reason-level-up", "post", f"/api/v1/progress/{me}/PLAYER/level-up",
         {"xp": 600, "sessions": 6, "reason": "a\x00b"}, 422),
        ("nul-in-reason-advance", "post", f"/api/v1/licenses/{me}/PLAYER/advance",
         {"target_level": 2, "reason": "x\x00"}, 422),
        # F2: a NUL in a path or query parameter -> 500.
        ("nul-in-path", "post", f"/api/v1/progress/{me}/PL%00AYER/level-up", {"xp": 1}, 422),
        ("nul-in-query", "get", "/api/v1/licenses/admin/sync/desync-issues?specialization=%00", None, 422),
        # F3: ids past int4 reached PostgreSQL ("integer out of range") and came back as 503.
        ("user-id-past-int4-level-up", "post", f"/api/v1/progress/{BIG}/PLAYER/level-up", {"xp": 1}, 422),
        ("user-id-past-int8", "post", f"/api/v1/progress/{10**20}/PLAYER/level-up", {"xp": 1}, 422),
        ("user-id-past-int4-consistency", "get", f"/api/v1/licenses/{BIG}/PLAYER/consistency", None, 422),
        ("user-id-past-int4-sync", "post", f"/api/v1/licenses/admin/sync/user/{BIG}",
         {"specialization": "PLAYER"}, 422),
        # F4: XP past int4 -> 503.
        ("xp-past-int4", "post", f"/api/v1/progress/{me}/PLAYER/level-up", {"xp": BIG}, 422),
        ("xp-past-int8", "post", f"/api/v1/progress/{me}/PLAYER/level-up", {"xp": 10**23}, 422),
        # F5: a lone surrogate in a body string failed to encode in psycopg2 (UnicodeEncodeError) -> 500.
        ("surrogate-in-reason", "post", f"/api/v1/progress/{me}/PLAYER/level-up",
         {"xp": 600, "sessions": 6, "reason": "a\ud800"}, 422),
        ("surrogate-in-specialization", "post", f"/api/v1/licenses/admin/sync/user/{me}",
         {"specialization": "PL\ud800"}, 422),
        # F6: pydantic's lax mode took true for 1 XP and "no" for dry_run=false: a *real* bulk sync.
        ("bool-as-xp", "post", f"/api/v1/progress/{me}/PLAYER/level-up", {"xp": True}, 422),
        ("string-as-dry-run", "post", "/api/v1/licenses/admin/sync/all", {"dry_run": "no"}, 422),
        ("unknown-field", "post", "/api/v1/licenses/admin/sync/all", {"dry_run": True, "dryrun": False}, 422),
        # F7: an unknown user or specialization got 404, a status the OpenAPI did not list.
        ("unknown-user-consistency", "get", "/api/v1/licenses/999999/PLAYER/consistency", None, 404),
        ("unknown-specialization", "post", f"/api/v1/progress/{me}/WIZARD/level-up", {"xp": 1}, 404),
        ("no-rows-to-sync", "post", "/api/v1/licenses/admin/sync/user/999999/all", {}, 404),
        # F8: the services' 422 body ({"detail": str}) did not match the documented HTTPValidationError.
        ("unknown-direction", "post", f"/api/v1/licenses/admin/sync/user/{me}/all", {"direction": "sideways"}, 422),
        ("negative-xp", "post", f"/api/v1/progress/{me}/PLAYER/level-up", {"xp": -1}, 422),
    ]


CASES = [case[0] for case in finding_requests(Users(1, 2, 3, 4))]


@pytest.mark.parametrize("finding", CASES)
def test_fuzz_finding_is_refused_cleanly(finding: str, client: TestClient, tokens: dict[str, str],
                                         users: Users, db: Database) -> None:
    (_, method, path, body, status), = [c for c in finding_requests(users) if c[0] == finding]
    before = snapshot(db)
    kwargs: dict[str, Any] = {"headers": auth(tokens["admin"]) | {"Content-Type": "application/json"}}
    if body is not None:  # json.dumps escapes a lone surrogate as \ud800, as the fuzzer sent it (httpx cannot)
        kwargs["content"] = json.dumps(body)
    assert_refused(client.request(method.upper(), path, **kwargs), status)
    assert documented_schema(client, method, path, status) == "ErrorBody"
    assert snapshot(db) == before


def test_total_xp_overflow_is_bad_input_not_database_trouble(client: TestClient, tokens: dict[str, str],
                                                             users: Users, db: Database) -> None:
    """F4: XP within int4 per call, but a total past int4, came back as 503 (a retry would never help)."""
    path = f"/api/v1/progress/{users.student}/PLAYER/level-up"
    first = client.post(path, json={"xp": 2_000_000_000}, headers=auth(tokens["admin"]))
    assert first.status_code == 200
    before = snapshot(db)
    body = assert_refused(client.post(path, json={"xp": 2_000_000_000}, headers=auth(tokens["admin"])), 422)
    assert body["error"] == "InvalidInputError" and "out of range" in body["detail"]
    assert snapshot(db) == before


def test_body_that_is_not_utf8_gets_a_documented_status(client: TestClient, tokens: dict[str, str],
                                                        db: Database) -> None:
    """F7: bytes that are not UTF-8 got FastAPI's 400 'error parsing the body', undocumented."""
    before = snapshot(db)
    response = client.post("/api/v1/licenses/admin/sync/all", content=b"\xff\xfe{",
                           headers=auth(tokens["admin"]) | {"Content-Type": "application/json"})
    status = response.status_code
    documented = client.get("/openapi.json").json()["paths"]["/api/v1/licenses/admin/sync/all"]["post"]["responses"]
    assert str(status) in documented, (status, sorted(documented))
    assert_refused(response, status)
    assert snapshot(db) == before


def test_forged_admin_token_for_a_nonexistent_user_is_refused(client: TestClient, db: Database,
                                                              users: Users) -> None:
    """The issue's attack: the old constant secret, user 999, role admin, ran a real bulk sync."""
    import hashlib
    import hmac

    signature = hmac.new(b"plsync-development-secret", b"999.admin", hashlib.sha256).hexdigest()[:32]
    before = snapshot(db)
    for method, path, body in (("GET", "/api/v1/licenses/admin/sync/desync-issues", None),
                               ("POST", "/api/v1/licenses/admin/sync/all", {"dry_run": False})):
        response = client.request(method, path, json=body, headers=auth(f"999.admin.{signature}"))
        assert_refused(response, 401)
    assert snapshot(db) == before


def test_integers_written_with_a_zero_fraction_are_accepted(client: TestClient, tokens: dict[str, str],
                                                            users: Users) -> None:
    """ST202, schemathesis --checks all, seed 90418: 509.0 is an integer to JSON Schema, and so to the
    OpenAPI, but strict ints refused it with 422. A fraction, a boolean or a string still is refused."""
    path = f"/api/v1/progress/{users.student}/PLAYER/level-up"
    ok = client.post(path, json={"xp": 600.0, "sessions": 6.0}, headers=auth(tokens["student"]))
    assert ok.status_code == 200 and ok.json()["total_xp"] == 600 and ok.json()["level"] == 2
    advanced = client.post(f"/api/v1/licenses/{users.student}/INTERNSHIP/advance", json={"target_level": 2.0},
                           headers=auth(tokens["instructor"]))
    assert advanced.status_code == 200 and advanced.json()["level"] == 2
    for bad in (600.5, True, "600"):
        assert_refused(client.post(path, json={"xp": bad}, headers=auth(tokens["student"])), 422)
