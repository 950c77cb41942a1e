"""Locustfile: FastHttpUser against the API (``plsync serve``), the same workloads as the direct user.

    locust -f loadtests/http.py --headless -H http://127.0.0.1:8000 -u 32 -r 32 -t 60s
"""

from __future__ import annotations

import random
import time
from typing import Any

from locust import constant, task
from locust.contrib.fasthttp import FastHttpUser

from loadtests.common import SwarmContext, register_lifecycle
from loadtests.shapes import StagesShape  # noqa: F401  (Locust picks the shape up from this module)
from scenarios.ledger import Outcome
from system.api.auth import issue_token

HOLDER: dict[str, Any] = {}
register_lifecycle(HOLDER)


def outcome_of_status(status: int) -> Outcome:
    if 200 <= status < 300:
        return Outcome.OK
    if 400 <= status < 500:
        return Outcome.FAILED  # the API said it did nothing (bad input, conflict, lock timeout)
    return Outcome.UNKNOWN  # 5xx or no response: the write may or may not have happened


class ApiUser(FastHttpUser):
    wait_time = constant(0)
    connection_timeout = 10.0
    network_timeout = 30.0

    def on_start(self) -> None:
        self.ctx: SwarmContext = HOLDER["ctx"]
        self.rng = random.Random()
        token = issue_token(self.ctx.staff_id, self.environment.parsed_options.plsync_api_secret, "admin")
        self.auth = {"Authorization": f"Bearer {token}"}

    @task
    def act(self) -> None:
        getattr(self, self.ctx.pick_operation(self.rng))()

    def _call(self, method: str, path: str, name: str, user_id: int, xp: int, body: dict[str, Any] | None = None
              ) -> None:
        began = time.perf_counter()
        kwargs: dict[str, Any] = {"headers": self.auth, "name": name, "catch_response": True}
        if body is not None:
            kwargs["json"] = body
        with getattr(self.client, method)(path, **kwargs) as response:
            status = response.status_code or 0
            outcome = outcome_of_status(status)
            error = None
            if outcome is not Outcome.OK:
                error = f"HTTP {status}: {(response.text or '')[:200]}"
                response.failure(error)
        self.ctx.record(name, user_id, xp, outcome, time.perf_counter() - began, error=error)

    def level_up(self) -> None:
        student, xp = self.ctx.pick_student(self.rng), self.rng.randint(5, 50)
        self._call("post", f"/api/v1/progress/{student}/{self.ctx.specialization}/level-up", "level_up", student, xp,
                   {"xp": xp, "sessions": 1, "reason": "swarm level-up"})

    def sync(self) -> None:
        student = self.ctx.pick_student(self.rng)
        self._call("post", f"/api/v1/licenses/admin/sync/user/{student}", "sync", student, 0,
                   {"specialization": self.ctx.specialization})

    def read(self) -> None:
        student = self.ctx.pick_student(self.rng)
        self._call("get", f"/api/v1/licenses/{student}/{self.ctx.specialization}/consistency", "read", student, 0)

    def advance_license(self) -> None:
        student = self.ctx.pick_student(self.rng)
        self._call("post", f"/api/v1/licenses/{student}/{self.ctx.specialization}/advance", "advance_license",
                   student, 0, {"target_level": self.rng.randint(1, 3), "reason": "swarm admin"})

    def bulk_sync_dry_run(self) -> None:
        self._call("post", "/api/v1/licenses/admin/sync/all", "bulk_sync_dry_run", 0, 0, {"dry_run": True})
