"""Locustfile: FastHttpUser against the API (``plsync serve``), the same workloads as the direct user.

    locust -f loadtests/http.py --headless -H http://127.0.0.1:8000 -u 32 -r 32 -t 60s
"""

from __future__ import annotations

import random
from typing import Any

from locust import constant, task
from locust.contrib.fasthttp import FastHttpUser

from loadtests.clients import HttpClient, SystemClient
from loadtests.common import SwarmContext, register_lifecycle
from loadtests.shapes import StagesShape  # noqa: F401  (Locust picks the shape up from this module)
from system.api.auth import issue_token

HOLDER: dict[str, Any] = {}
register_lifecycle(HOLDER)


class ApiUser(FastHttpUser):
    wait_time = constant(0)
    connection_timeout = 10.0
    network_timeout = 30.0

    def on_start(self) -> None:
        self.ctx: SwarmContext = HOLDER["ctx"]
        self.rng = random.Random()
        token = issue_token(self.ctx.staff_id, self.environment.parsed_options.plsync_api_secret, "admin")
        self.api: SystemClient = HttpClient(self.client, self.ctx, token)

    @task
    def act(self) -> None:
        getattr(self.api, self.ctx.pick_operation(self.rng))(self.rng)
