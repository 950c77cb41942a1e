"""Records of the ``scenarios`` stage (``matrix.json``, also ``plsync scenarios``): one cell per scenario and
strategy, its observed outcome against the expected ones and the seeds' claims, with its evidence."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from plsync.records.base import Record


class Claim(Record):
    source: str
    strategy: str | None = None
    outcome: str
    words: str


class MatrixCellRecord(Record):
    scenario: str
    family: str
    strategy: str
    observed: str
    expected: list[str]
    matches: bool
    seconds: float
    #: What the scenario saw, shaped by the scenario (free-form: shown as it is).
    evidence: dict[str, Any] = Field(default_factory=dict)
    claims: list[Claim] = Field(default_factory=list)
    contradicted_claims: list[Claim] = Field(default_factory=list)
