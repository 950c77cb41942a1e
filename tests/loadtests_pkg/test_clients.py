"""The swarm's direct client outside Locust (events ignored): same calls, same ledger."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

import gevent
import pytest

from loadtests.clients import INTERRUPTED, DirectClient, HttpClient, error_kind, interruption, outcome_of_status
from scenarios.invariants import check_invariants, stored_xp
from scenarios.ledger import Ledger, LedgerEntry, Outcome
from scenarios.read_checker import check_reads
from scenarios.read_history import History, ReadRecord, WriteRecord
from scenarios.read_modes import READ_MODES, ReadMode
from system.config import SystemConfig
from system.db import Database
from tests.helpers import strategy


@dataclass
class FakeRecorder:
    students: list[int]
    staff_id: int = 0
    specialization: str = "PLAYER"
    ledger: Ledger = field(default_factory=Ledger)
    strategy: str = "coupled"
    modes: tuple[str, ...] = ("service",)
    history: History = field(default_factory=History)

    def pick_student(self, rng: random.Random) -> int:
        return rng.choice(self.students)

    def pick_read_mode(self, rng: random.Random) -> ReadMode:
        return READ_MODES[rng.choice(self.modes)]

    def record_read(self, record: ReadRecord) -> None:
        self.history.read(record)

    def record_write(self, record: WriteRecord) -> None:
        self.history.write(record)

    def record(self, operation: str, user_id: int, xp: int, outcome: Outcome, latency_s: float,
               attempts: int = 1, error: str | None = None) -> None:
        entry = LedgerEntry(operation, user_id, self.specialization, xp, outcome, latency_s, attempts, error)
        self.ledger.record(entry)


def test_direct_client_every_operation_into_the_ledger(db: Database, config: SystemConfig,
                                                       students: list[int]) -> None:
    recorder = FakeRecorder(students[:3], staff_id=students[-1])
    reports: list[tuple[str, bool]] = []
    rng = random.Random(1)
    with strategy("coupled", db, config) as impl:
        client = DirectClient(impl, recorder, lambda op, _s, err: reports.append((op, err is None)))
        for operation in ("level_up", "level_up", "sync", "read", "advance_license", "bulk_sync_dry_run"):
            getattr(client, operation)(rng)
    assert [op for op, _ in reports] == ["level_up", "level_up", "sync", "read", "advance_license",
                                         "bulk_sync_dry_run"]
    assert all(ok for _, ok in reports) and recorder.ledger.counts() == {"ok": 6, "failed": 0, "unknown": 0}
    with db.transaction() as session:
        assert check_invariants(session, recorder.ledger, {(s, "PLAYER"): 0 for s in students[:3]}).passed


def test_direct_reads_in_every_mode_and_writes_go_into_the_history(db: Database, config: SystemConfig,
                                                                    students: list[int]) -> None:
    modes = ("two_statements", "one_statement", "repeatable_read", "service")
    recorder = FakeRecorder(students[:1], modes=modes, strategy="legacy")
    rng = random.Random(3)
    with strategy("legacy", db, config) as impl:
        client = DirectClient(impl, recorder)
        for _ in range(12):
            client.read(rng)
        client.level_up(rng)
        client.advance_license(rng)
        client.sync(rng)
    reads, writes = recorder.history.reads, recorder.history.writes
    assert {r.mode for r in reads} == set(modes) and all(r.outcome is Outcome.OK for r in reads)
    assert all(r.start_s <= r.end_s and r.progress_level == r.license_level is not None for r in reads)
    level_up, advance, sync = writes
    assert (sync.operation, sync.transactions) == ("sync", 1)  # one transaction, even under legacy
    assert (level_up.operation, level_up.transactions, level_up.first_side) == ("level_up", 2, "progress")
    assert level_up.progress_from is not None and level_up.progress_to is not None
    assert (advance.operation, advance.first_side) == ("advance_license", "license")
    verdict = check_reads(reads, writes)  # nothing concurrent: nothing fractured
    assert sum(m.fractured_total for m in verdict.modes) == 0 and sum(m.reads for m in verdict.modes) == 12


def test_http_status_maps_to_outcome() -> None:
    assert [outcome_of_status(s) for s in (200, 404, 409, 422, 500, 0)] == [
        Outcome.OK, Outcome.FAILED, Outcome.FAILED, Outcome.FAILED, Outcome.UNKNOWN, Outcome.UNKNOWN]
    # A 503 of load shedding was refused before it ran: failed, never done; any other 503 may have written.
    shed = '{"detail": "the API is overloaded", "error": "OverloadedError"}'
    assert outcome_of_status(503, error_kind(shed)) is Outcome.FAILED
    assert outcome_of_status(503, error_kind('{"error": "InfrastructureError"}')) is Outcome.UNKNOWN
    assert outcome_of_status(503, error_kind("Service Unavailable")) is Outcome.UNKNOWN

class FakeResponse:
    def __init__(self, status: int, body: dict[str, object] | None) -> None:
        self.status_code, self.body, self.text, self.failed = status, body, "" if body else "nope", None

    def json(self) -> dict[str, object] | None:
        return self.body

    def failure(self, error: str) -> None:
        self.failed = error

    def __enter__(self) -> FakeResponse:
        return self

    def __exit__(self, *_exc: object) -> None:
        return None


class FakeSession:
    """Answers like the API: a level-up's result, a consistency reading, or a failure."""

    def __init__(self, replies: list[FakeResponse]) -> None:
        self.replies = replies

    def get(self, _path: str, **_kw: object) -> FakeResponse:
        return self.replies.pop(0)

    post = get


def test_http_reads_and_level_ups_go_into_the_history() -> None:
    level_up = {"user_id": 1, "specialization": "PLAYER", "previous_level": 1, "level": 2, "total_xp": 600,
                "license_level": 2, "strategy": "legacy", "attempts": 1, "hook_error": None, "leveled_up": True}
    session = FakeSession([FakeResponse(200, level_up), FakeResponse(200, {"progress_level": 2, "license_level": 1}),
                           FakeResponse(503, None)])
    recorder = FakeRecorder([1], modes=("api",), strategy="legacy")
    client = HttpClient(session, recorder, lambda: "token")
    rng = random.Random(1)
    client.level_up(rng)
    client.read(rng)
    client.read(rng)
    (write,) = recorder.history.writes
    assert (write.progress_from, write.progress_to, write.license_to, write.transactions) == (1, 2, 2, 2)
    ok, failed = recorder.history.reads
    assert (ok.mode, ok.progress_level, ok.license_level, ok.outcome) == ("api", 2, 1, Outcome.OK)
    assert (failed.outcome, failed.progress_level, failed.error) == (Outcome.UNKNOWN, None, "the read failed")
    verdict = check_reads(recorder.history.reads, recorder.history.writes).mode("api")
    assert verdict is not None and (verdict.reads, verdict.failed_reads) == (1, 1)
    assert verdict.fractured["visible_desync"] == 1  # the level-up had ended before the read began



def test_locust_counts_failures_by_status_and_kind_while_the_ledger_keeps_each_detail() -> None:
    """Locust keeps a row per distinct failure message: one per shed request's queue length would be thousands."""
    def reply(status: int, text: str) -> FakeResponse:
        response = FakeResponse(status, None)
        response.text = text
        return response

    sheds = [reply(503, f'{{"detail": "the API is overloaded: {n} requests wait", "error": "OverloadedError"}}')
             for n in (55, 95)]
    replies = [*sheds, reply(404, '{"detail": "unknown user 7", "error": "NotFoundError"}'), reply(502, "Bad Gateway")]
    recorder = FakeRecorder([1])
    client = HttpClient(FakeSession(list(replies)), recorder, lambda: "token")
    for _ in replies:
        client.level_up(random.Random(1))
    assert [r.failed for r in replies] == ["HTTP 503 OverloadedError", "HTTP 503 OverloadedError",
                                           "HTTP 404 NotFoundError", "HTTP 502: Bad Gateway"]
    errors = [e.error or "" for e in recorder.ledger.entries]
    assert ["55 requests wait" in errors[0], "95 requests wait" in errors[1], "unknown user 7" in errors[2]] == [
        True, True, True]
    assert [e.outcome for e in recorder.ledger.entries] == [Outcome.FAILED, Outcome.FAILED, Outcome.FAILED,
                                                            Outcome.UNKNOWN]


class _ReplyNeverArrives:
    """A strategy whose level-up commits and then hangs before returning, as a reply still on its way does when
    Locust stops the user (it kills the user's greenlet: GreenletExit at the next switch)."""

    def __init__(self, impl: Any, commit_first: bool) -> None:
        self.impl, self.commit_first = impl, commit_first
        self.db, self.name = impl.db, impl.name  # what the client's reader and history take from a strategy

    def level_up(self, request: Any) -> Any:
        if self.commit_first:
            self.impl.level_up(request)
        gevent.sleep(30)
        return self.impl.level_up(request)


@pytest.mark.parametrize("commit_first", [True, False])
def test_a_call_cut_short_by_a_stop_is_recorded_as_unknown(commit_first: bool, db: Database, config: SystemConfig,
                                                           students: list[int]) -> None:
    recorder = FakeRecorder(students[:1])
    with db.transaction() as session:
        before = stored_xp(session, [(students[0], "PLAYER")])[(students[0], "PLAYER")]
    with strategy("coupled", db, config) as impl:
        client = DirectClient(_ReplyNeverArrives(impl, commit_first), recorder)  # type: ignore[arg-type]
        user = gevent.spawn(client.level_up, random.Random(3))
        gevent.sleep(0.5)  # the level-up ran (and committed when commit_first); the user waits for its reply
        user.kill(block=True, timeout=5)
    assert user.dead and isinstance(user.value, gevent.GreenletExit)  # the stop went on, not swallowed
    [entry] = recorder.ledger.entries
    assert entry.outcome is Outcome.UNKNOWN and entry.xp > 0 and entry.error == INTERRUPTED
    with db.transaction() as session:  # stored or not, an unknown outcome explains it: no unacknowledged write
        gained = stored_xp(session, [(students[0], "PLAYER")])[(students[0], "PLAYER")] - before
        report = check_invariants(session, recorder.ledger, {(students[0], "PLAYER"): before})
    assert gained == (entry.xp if commit_first else 0)  # committed before the stop, or never sent
    assert report.passed, report.failed_names()
    assert report.get("lost_updates").amount == 0 and report.get("unacknowledged_writes").amount == 0


def test_an_interruption_behind_its_clean_up_error_still_counts() -> None:
    """A rollback that fails on the way out of a killed call raises something else; its context is the stop."""
    try:
        try:
            raise gevent.GreenletExit()
        except BaseException:
            raise RuntimeError("execute cannot be used while an asynchronous query is underway") from None
    except RuntimeError as exc:
        # ``from None`` hides the context from tracebacks but keeps it: the stop is still found.
        assert isinstance(interruption(exc), gevent.GreenletExit)
    assert interruption(ValueError("bad input")) is None


class _HangingSession:
    """Locust's FastHttpSession as far as HttpClient uses it: a request that never gets its response."""

    def post(self, _path: str, **_kwargs: Any) -> Any:
        gevent.sleep(30)
        raise AssertionError("never reached: the user was stopped")


def test_http_call_cut_short_is_recorded_as_unknown() -> None:
    recorder = FakeRecorder([1])
    client = HttpClient(_HangingSession(), recorder, lambda: "token")
    user = gevent.spawn(client.level_up, random.Random(3))
    gevent.sleep(0.1)
    user.kill(block=True, timeout=5)
    [entry] = recorder.ledger.entries
    assert entry.outcome is Outcome.UNKNOWN and entry.operation == "level_up" and entry.error == INTERRUPTED


def test_a_read_and_a_write_cut_short_go_into_the_history_as_unknown() -> None:
    recorder = FakeRecorder([1], modes=("api",), strategy="coupled")
    session = _HangingSession()
    session.get = session.post  # type: ignore[attr-defined]
    client = HttpClient(session, recorder, lambda: "token")
    for call in (client.level_up, client.read):
        user = gevent.spawn(call, random.Random(3))
        gevent.sleep(0.1)
        user.kill(block=True, timeout=5)
    (write,) = recorder.history.writes
    assert (write.operation, write.outcome, write.progress_to) == ("level_up", Outcome.UNKNOWN, None)
    (read,) = recorder.history.reads
    assert (read.mode, read.outcome, read.progress_level) == ("api", Outcome.UNKNOWN, None)
    verdict = check_reads(recorder.history.reads, recorder.history.writes).mode("api")
    assert verdict is not None and (verdict.reads, verdict.failed_reads) == (0, 1)  # counted, left out
