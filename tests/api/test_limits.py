"""Limits before work, in-process: the token and the body's size are decided before the body is read, each
operation's limit fits the largest body its schema admits, and the OpenAPI documents every refusal."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field

from system.api.limits import NO_BODY_LIMIT, schema_body_limit, worst_case_json_bytes
from system.api.schemas import INT32_MAX, REASON_MAX, AdvanceLicenseBody, LevelUpBody
from system.db import Database
from system.errors import ConfigurationError
from tests.api.conftest import Users, auth
from tests.helpers import snapshot

LEVEL_UP = "/api/v1/progress/{}/PLAYER/level-up"


def test_a_huge_body_is_refused_with_401_without_a_token_and_413_with_one(
        client: TestClient, users: Users, tokens: dict[str, str], db: Database) -> None:
    before = snapshot(db)
    huge = b'{"xp": 1, "reason": "' + b"x" * 2_000_000 + b'"}'
    for headers, status, kind in (({}, 401, "AuthenticationError"),
                                  (auth("forged.token.here"), 401, "AuthenticationError"),
                                  (auth(tokens["student"]), 413, "PayloadTooLarge")):
        response = client.post(LEVEL_UP.format(users.student), content=huge,
                               headers=headers | {"Content-Type": "application/json"})
        assert response.status_code == status and response.json()["error"] == kind, response.text
        assert response.headers["connection"] == "close"  # the unread rest is not read to find a next request
    assert snapshot(db) == before


def test_a_chunked_body_past_the_limit_is_refused_while_it_is_read(
        client: TestClient, users: Users, tokens: dict[str, str], db: Database) -> None:
    def chunks() -> Iterator[bytes]:  # no Content-Length: sent with Transfer-Encoding: chunked
        yield b'{"xp": 1, "reason": "'
        for _ in range(100):
            yield b"y" * 1024
        yield b'"}'

    before = snapshot(db)
    response = client.post(LEVEL_UP.format(users.student), content=chunks(),
                           headers=auth(tokens["student"]) | {"Content-Type": "application/json"})
    assert response.status_code == 413 and response.json()["error"] == "PayloadTooLarge", response.text
    assert snapshot(db) == before


def test_a_body_on_an_operation_without_one_is_bounded_too(client: TestClient, tokens: dict[str, str]) -> None:
    response = client.request("GET", "/health/integrity", content=b"x" * (NO_BODY_LIMIT + 1))
    assert response.status_code == 413, response.text


def test_the_largest_body_the_schema_admits_fits_its_limit_and_is_served(
        client: TestClient, users: Users, tokens: dict[str, str]) -> None:
    # Every character of the reason outside the BMP: json.dumps escapes each as two \\uXXXX, 12 bytes.
    widest = {"xp": INT32_MAX // 4, "sessions": 0, "theory_hours": 0, "practice_hours": 0,
              "reason": "\U0001F600" * REASON_MAX}
    raw = json.dumps(widest).encode()
    assert len(raw) <= worst_case_json_bytes(LevelUpBody) <= schema_body_limit(LevelUpBody)
    response = client.post(LEVEL_UP.format(users.student), content=raw,
                           headers=auth(tokens["student"]) | {"Content-Type": "application/json"})
    assert response.status_code == 200, response.text


def test_limits_are_sized_to_the_schema_and_refuse_a_field_without_a_bound() -> None:
    assert schema_body_limit(LevelUpBody) == 12 * 1024  # 2 x 6,1xx bytes, rounded up to KiB
    assert worst_case_json_bytes(AdvanceLicenseBody) > REASON_MAX * 12

    class Unbounded(BaseModel):
        note: str = Field()

    with pytest.raises(ConfigurationError, match="without max_length"):
        worst_case_json_bytes(Unbounded)


def test_every_operation_with_a_body_documents_413_with_its_limit_and_408(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    with_body = [(path, method, op) for path, methods in paths.items() for method, op in methods.items()
                 if "requestBody" in op]
    assert len(with_body) == 5
    for path, method, op in with_body:
        assert "(this operation: " in op["responses"]["413"]["description"], (path, method)
        assert "408" in op["responses"], (path, method)
