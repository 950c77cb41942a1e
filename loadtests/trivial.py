"""Locustfile for the HTTP ceiling: FastHttpUser against the trivial endpoint (no database), in the closed
model or, with ``--plsync-rate``, the open one (what the generator alone costs and holds in each)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from locust import constant, events, task
from locust.contrib.fasthttp import FastHttpUser
from locust.env import Environment

from loadtests.latency_recording import register_latency_recording

LATENCY = register_latency_recording()


@events.init_command_line_parser.add_listener
def add_arguments(parser: Any) -> None:
    parser.add_argument("--plsync-stats-out", default=None)


@events.quitting.add_listener
def write_stats(environment: Environment, **_kw: Any) -> None:
    out = environment.parsed_options.plsync_stats_out if environment.parsed_options else None
    if out:
        total = environment.stats.total
        Path(out).write_text(json.dumps({"requests": total.num_requests, "failures": total.num_failures,
                                         "rps": total.total_rps}) + "\n")


class PingUser(FastHttpUser):
    wait_time = constant(0)

    @task
    def ping(self) -> None:
        LATENCY.run(lambda: self.client.get("/ping", name="ping"))
