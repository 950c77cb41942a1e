"""Fractured reads forced deterministically: a reader and a writer interleaved at a named point.

Two interleavings, each run per read mode (and, by the matrix, per strategy):

- ``reader_paused``: the reader runs its first statement and stops there (BETWEEN_READS); a student
  levels up (1 -> 2) and the write finishes, every commit of it; then the reader runs its last statement.
- ``writer_paused``: the student's level-up stops where progress is written and the license not yet
  (AFTER_PROGRESS_WRITE: legacy has committed its first transaction there, the others have committed
  nothing); the reader reads the whole pair there, from its own connection; then the writer finishes.

Both record the history (the read, the write, their windows) and the read checker decides: a fractured
read is ``transient`` (a reader saw a violation; none remains) with its kind and the write that explains
it as evidence; a consistent read is ``prevented``. The measurement decides, the catalog only expects.
"""

from __future__ import annotations

import time
from dataclasses import asdict
from typing import Any

from scenarios.read_checker import check_reads
from scenarios.read_history import History, ReadRecord, WriteRecord, writer_transactions
from scenarios.read_modes import DirectReader, ReadMode
from scenarios.scenario import Observation, ScenarioEnv, settle
from scenarios.steps import attempt, levels
from system.services.checkpoints import AFTER_PROGRESS_WRITE, BETWEEN_READS
from system.services.types import LevelUpRequest, LevelUpResult
from system.strategies import Strategy

SPECIALIZATION = "PLAYER"


def _write(strategy: Strategy, history: History, user_id: int) -> str | None:
    """Level the student up (600 XP and 6 sessions: level 1 -> 2), recording the write; its error, if any."""
    began = time.time()
    result, error = attempt(lambda: strategy.level_up(LevelUpRequest(user_id, SPECIALIZATION, 600, 6)))
    ended = time.time()
    if isinstance(result, LevelUpResult):
        history.write(WriteRecord("level_up", user_id, SPECIALIZATION, began, ended, result.previous_level,
                                  result.level, None, result.license_level, writer_transactions(strategy.name)))
    return error


def _read(reader: DirectReader, mode: ReadMode, history: History, user_id: int,
          checkpoint: Any = None) -> None:
    began = time.time()
    seen = reader.read(mode, user_id, SPECIALIZATION, checkpoint)
    history.read(ReadRecord(mode.name, user_id, SPECIALIZATION, began, time.time(), seen.progress_level,
                            seen.license_level))


def _judge(env: ScenarioEnv, history: History, user_id: int, evidence: dict[str, Any]) -> Observation:
    if not history.reads or not history.writes:
        raise RuntimeError(f"the interleaving did not happen: {len(history.reads)} reads, "
                           f"{len(history.writes)} writes recorded")
    verdict = check_reads(history.reads, history.writes).modes[0]
    fractured = [e for examples in verdict.examples.values() for e in examples]
    seen = [{"kind": f.kind, "why": f.why, "read": asdict(f.read), "writes": [asdict(w) for w in f.writes]}
            for f in fractured]
    evidence |= {"read": {"progress_level": history.reads[0].progress_level,
                          "license_level": history.reads[0].license_level},
                 "fractured": {k: v for k, v in verdict.fractured.items() if v},
                 "after": levels(env, user_id, SPECIALIZATION)}
    return settle(env, seen_midway=seen, evidence=evidence, pair=(user_id, SPECIALIZATION))


def reader_paused(env: ScenarioEnv, *, mode: ReadMode) -> Observation:
    env.reset()
    (u,) = env.students()
    history = History()
    errors: list[str] = []
    with env.strategy() as strategy:
        reader = DirectReader(env.admin)

        def writer_commits_now(point: str, _session: object) -> None:
            if point == BETWEEN_READS:
                errors.extend(e for e in [_write(strategy, history, u)] if e)

        _read(reader, mode, history, u, writer_commits_now)
    return _judge(env, history, u, {"interleaving": "reader paused after its first statement; the level-up "
                                    "committed in full", "writer_error": errors or None})


def writer_paused(env: ScenarioEnv, *, mode: ReadMode) -> Observation:
    env.reset()
    (u,) = env.students()
    history = History()
    reader = DirectReader(env.admin)

    def reader_reads_now(point: str, _session: object) -> None:
        if point == AFTER_PROGRESS_WRITE and not history.reads:
            _read(reader, mode, history, u)

    with env.strategy(reader_reads_now) as strategy:
        error = _write(strategy, history, u)
    return _judge(env, history, u, {"interleaving": "level-up paused with progress written, the license not "
                                    "yet; the reader read the pair there", "writer_error": error})
