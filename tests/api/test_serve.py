"""``plsync serve`` runs the API under uvicorn on loopback; it answers and stops on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from fixtures.ports import free_port
from system.api.auth import issue_token
from system.config import SystemConfig
from system.db import Database

PLSYNC = str(Path(sys.executable).parent / "plsync")


def test_serve_answers_health_and_level_up_then_stops(db: Database, config: SystemConfig,
                                                      students: list[int]) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLSYNC_")}
    url = db.engine.url.render_as_string(hide_password=False)
    proc = subprocess.Popen([PLSYNC, "serve", "--port", str(port), "--strategy", "advisory", "--database-url", url],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                health = httpx.get(f"{base}/health/integrity", timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                assert time.monotonic() < deadline, "the API never answered"
                time.sleep(0.1)
        assert health.json() == {"orphan_records": {"orphan_progress": 0, "orphan_licenses": 0, "has_issues": False},
                                 "desync_count": 0, "healthy": True}
        token = issue_token(students[0], config.api_secret, "student")
        up = httpx.post(f"{base}/api/v1/progress/{students[0]}/PLAYER/level-up", json={"xp": 600, "sessions": 5},
                        headers={"Authorization": f"Bearer {token}"}, timeout=5)
        assert up.status_code == 200 and up.json()["strategy"] == "advisory" and up.json()["level"] == 2
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)  # raises if the server ignores SIGTERM
