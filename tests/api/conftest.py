"""Fixtures of the API tests: the app in-process over a real PostgreSQL, users of every role, tokens."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from fixtures.population import add_users
from system.api.app import create_app
from system.api.tokens import TokenCodec
from system.config import SystemConfig
from system.db import Database


@dataclass(frozen=True)
class Users:
    admin: int
    instructor: int
    student: int
    other_student: int


@pytest.fixture
def client(db: Database, config: SystemConfig) -> Iterator[TestClient]:
    # 500s come back as responses (as a remote client would see them), not as exceptions in the test.
    with TestClient(create_app(config, strategy="coupled", db=db), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def users(db: Database, students: list[int]) -> Users:
    with db.transaction() as session:
        (admin,) = add_users(session, 1, seed=1, role="admin")
        (instructor,) = add_users(session, 1, seed=2, role="instructor")
    return Users(admin, instructor, students[0], students[1])


@pytest.fixture
def admin_id(db: Database, students: list[int]) -> int:
    """An admin, so that ``plsync serve`` has one to print a token for."""
    with db.transaction() as session:
        (admin,) = add_users(session, 1, seed=3, role="admin")
    return admin


@pytest.fixture
def codec(config: SystemConfig) -> TokenCodec:
    """Mints tokens the way every client does: with the app's secret."""
    return TokenCodec(config.api_secret, config.api_token_ttl_s)


@pytest.fixture
def tokens(codec: TokenCodec, users: Users) -> dict[str, str]:
    return {role: codec.issue(uid, role)
            for role, uid in (("admin", users.admin), ("instructor", users.instructor), ("student", users.student))}


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
