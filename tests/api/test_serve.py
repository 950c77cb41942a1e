"""``plsync serve`` from outside: it prints a working admin token, refuses forged ones, stops on SIGTERM."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from fixtures.ports import free_port
from system.api.tokens import TokenCodec
from system.config import generate_api_secret
from system.db import Database
from tests.api.forge import OLD_CONSTANT, claims, old_format, signed
from tests.helpers import snapshot

PLSYNC = str(Path(sys.executable).parent / "plsync")


@dataclass
class Served:
    base: str
    admin_token: str
    proc: subprocess.Popen[str]


@contextmanager
def serve(db: Database, tmp_path: Path, *, strategy: str, secret: str | None, extra: tuple[str, ...] = ()
          ) -> Iterator[Served]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLSYNC_")}
    if secret is not None:
        env["PLSYNC_API_SECRET"] = secret
    url = db.engine.url.render_as_string(hide_password=False)
    proc = subprocess.Popen([PLSYNC, "serve", "--port", str(port), "--strategy", strategy, "--database-url", url,
                             "--token-file", str(tmp_path / "token"), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("admin token: "), (line, proc.stderr.read() if proc.poll() is not None else "")
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/health/integrity", timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                assert time.monotonic() < deadline, "the API never answered"
                time.sleep(0.1)
        yield Served(base, line.removeprefix("admin token: ").strip(), proc)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)  # raises if the server ignores SIGTERM


def test_serve_with_a_given_secret_answers_level_ups_and_prints_a_working_admin_token(
        db: Database, students: list[int], admin_id: int, tmp_path: Path) -> None:
    secret = generate_api_secret()
    with serve(db, tmp_path, strategy="advisory", secret=secret) as served:
        health = httpx.get(f"{served.base}/health/integrity", timeout=5)
        assert health.json() == {"orphan_records": {"orphan_progress": 0, "orphan_licenses": 0,
                                                    "has_issues": False}, "desync_count": 0, "healthy": True}
        token = TokenCodec(secret).issue(students[0], "student")  # any client holding the secret
        up = httpx.post(f"{served.base}/api/v1/progress/{students[0]}/PLAYER/level-up",
                        json={"xp": 600, "sessions": 5}, headers={"Authorization": f"Bearer {token}"}, timeout=5)
        assert up.status_code == 200 and up.json()["strategy"] == "advisory" and up.json()["level"] == 2
        assert TokenCodec(secret).verify(served.admin_token).user_id == admin_id
        issues = httpx.get(f"{served.base}/api/v1/licenses/admin/sync/desync-issues",
                           headers={"Authorization": f"Bearer {served.admin_token}"}, timeout=5)
        assert issues.status_code == 200
        written = tmp_path / "token"
        assert written.read_text().strip() == served.admin_token
        assert stat.S_IMODE(written.stat().st_mode) == 0o600


def test_serve_without_a_secret_draws_one_and_refuses_forged_tokens_from_outside(
        db: Database, students: list[int], admin_id: int, tmp_path: Path) -> None:
    forged = {
        "old constant, old format, user 999": old_format(999, "admin"),
        "old constant, old format, the real admin": old_format(admin_id, "admin"),
        "old constant, HS256 JWT": signed(claims(admin_id, "admin"), OLD_CONSTANT),
        "another random secret": TokenCodec(generate_api_secret()).issue(admin_id, "admin"),
    }
    before = snapshot(db)
    with serve(db, tmp_path, strategy="coupled", secret=None) as served:
        for name, token in forged.items():
            for method, path, body in (("GET", "/api/v1/licenses/admin/sync/desync-issues", None),
                                       ("POST", "/api/v1/licenses/admin/sync/all", {"dry_run": False})):
                response = httpx.request(method, f"{served.base}{path}", json=body, timeout=5,
                                         headers={"Authorization": f"Bearer {token}"})
                assert response.status_code == 401, (name, response.text)
                assert response.headers["www-authenticate"] == "Bearer"
        ok = httpx.get(f"{served.base}/api/v1/licenses/admin/sync/desync-issues", timeout=5,
                       headers={"Authorization": f"Bearer {served.admin_token}"})
        assert ok.status_code == 200  # the token it printed, signed with the secret it drew, works
    assert snapshot(db) == before
