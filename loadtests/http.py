"""Locustfile: FastHttpUser against the API (``plsync serve``), the same workloads as the direct user.

    PLSYNC_API_SECRET=... locust -f loadtests/http.py --headless -H http://127.0.0.1:8000 -u 32 -r 32 -t 60s

The users act as the database's first admin, with tokens minted from the API's secret exactly as any
client mints them (system.api.tokens), renewed before they expire on long runs.
"""

from __future__ import annotations

import random
import time
from typing import Any

from locust import constant, events, task
from locust.contrib.fasthttp import FastHttpUser
from locust.env import Environment

from loadtests.clients import HttpClient
from loadtests.common import SwarmContext, register_lifecycle, register_setup_done
from loadtests.latency_recording import register_latency_recording
from loadtests.shapes import StagesShape  # noqa: F401  (Locust picks the shape up from this module)
from system.api.tokens import TokenCodec

HOLDER: dict[str, Any] = {}
register_lifecycle(HOLDER, "http")
LATENCY = register_latency_recording()


@events.init.add_listener
def require_secret(environment: Environment, **_kw: Any) -> None:
    if environment.parsed_options is not None and not environment.parsed_options.plsync_api_secret:
        raise SystemExit("plsync: set PLSYNC_API_SECRET or --plsync-api-secret to the secret `plsync serve` uses")


register_setup_done(HOLDER)  # after this module's init listeners: a worker's test waits for them all


class RenewingToken:
    """A token for (user, role), minted again once half its lifetime has passed."""

    def __init__(self, codec: TokenCodec, user_id: int, role: str) -> None:
        self.codec, self.user_id, self.role = codec, user_id, role
        self._token, self._renew_at = "", 0.0

    def __call__(self) -> str:
        now = time.time()
        if now >= self._renew_at:
            self._token = self.codec.issue(self.user_id, self.role, now=now)
            self._renew_at = now + self.codec.ttl_s / 2
        return self._token


class ApiUser(FastHttpUser):
    wait_time = constant(0)
    connection_timeout = 10.0
    network_timeout = 30.0

    def on_start(self) -> None:
        self.ctx: SwarmContext = HOLDER["ctx"]
        self.rng = random.Random()
        # This host's own secret (a master's spawn message replaces the flag's value with the master's).
        codec = TokenCodec(self.ctx.api_secret or self.environment.parsed_options.plsync_api_secret)
        self.api = HttpClient(self.client, self.ctx, RenewingToken(codec, self.ctx.staff_id, "admin"))

    @task
    def act(self) -> None:
        operation = getattr(self.api, self.ctx.pick_operation(self.rng))

        def send() -> tuple[int, str | None]:
            operation(self.rng)
            return self.api.last_reply  # its status, for an overload run's per-second counts

        LATENCY.run(send)  # closed: at once; open: at the schedule's next slot
