"""Records of the run itself: what it ran on (``environment.json``), the schema (``migrate.json``) and the
verdict (``verdict.json``: every stage's status and every gate's outcome)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from plsync.records.base import Record


class EnvironmentRecord(Record):
    database_kind: str
    server_version: str
    max_connections: int
    disposable: bool
    redis: bool
    profile: str
    #: The profile's sizes, as the profile declares them.
    sizes: dict[str, Any]
    strategies: list[str]
    seed: int
    python: str
    platform: str
    cpus: int | None
    #: Every installed distribution and its version (the figures depend on them); empty in runs before it.
    packages: dict[str, str] = Field(default_factory=dict)


class MigrateRecord(Record):
    before: str | None
    revision: str | None
    at_head: bool


class StageRun(Record):
    name: str
    status: str  # ran | error | skipped
    seconds: float = 0.0
    error: str | None = None


class GateOutcomeRecord(Record):
    stage: str
    gate: str
    subject: str
    status: str  # pass | fail | exempt | not_measured
    observed: Any
    expected: str
    source: str
    note: str = ""


class VerdictRecord(Record):
    passed: bool
    failures: list[str]
    profile: str
    stages: list[StageRun]
    gates: list[GateOutcomeRecord] = Field(default_factory=list)
