"""Load shedding: the admission queue in front of the pool is bounded by length and by wait; a request refused
gets 503 with Retry-After at once and runs nothing; a client that disconnects while queued is dropped."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import socket
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from starlette.types import Message

from system.api.admission import (
    CLIENT,
    STANDING_AFTER_S,
    Admission,
    ClientGoneError,
    ClientWatch,
    OverloadedError,
)
from system.api.app import create_app
from system.api.tokens import TokenCodec
from system.config import SystemConfig, generate_api_secret
from system.db import Database
from tests.api.conftest import Users, auth
from tests.api.test_limits_serve import connect, head, response_status
from tests.api.test_serve import serve
from tests.helpers import snapshot


def test_a_full_queue_refuses_at_once_and_a_long_wait_refuses_at_its_limit() -> None:
    async def scenario() -> None:
        gate = Admission(slots=1, max_queue=1, max_wait_s=0.3)
        await gate.acquire()  # the one slot, held
        waiter = asyncio.ensure_future(gate.acquire())
        await asyncio.sleep(0.01)
        assert gate.waiting == 1
        began = time.monotonic()
        with pytest.raises(OverloadedError, match="already wait"):
            await gate.acquire()
        assert time.monotonic() - began < 0.05  # at once, not after the wait limit
        with pytest.raises(OverloadedError, match=r"within 0\.3 s"):
            await waiter
        assert time.monotonic() - began == pytest.approx(0.3, abs=0.15)
        assert gate.waiting == 0 and gate.shed == 2
        gate.release()
        await asyncio.wait_for(gate.acquire(), 0.1)  # the slot came back: nothing leaked

    asyncio.run(scenario())


def test_a_request_that_would_wait_past_the_limit_at_the_measured_rate_is_refused_at_once() -> None:
    async def scenario() -> None:
        gate = Admission(slots=1, max_queue=1000, max_wait_s=0.5)
        assert gate.drain_rate() is None  # nothing came free yet: only the length and the timer bound the queue
        primed = time.monotonic()
        for _ in range(10):
            await gate.acquire()
            gate.release()
        assert gate.drain_rate() == 100  # 10 within the shortest span it measures over (0.1 s)
        await asyncio.sleep(0.3)
        rate = gate.drain_rate()
        # Since the first of them, not over the whole second (which would read 10).
        assert rate == pytest.approx(10 / (time.monotonic() - primed), rel=0.1)
        await gate.acquire()
        waiters = []
        while gate.overloaded() is None:
            waiters.append(asyncio.ensure_future(gate.acquire()))
            await asyncio.sleep(0)
        # Refused once the next would wait longer than 0.5 s at the measured rate (about 30 a second): not at 1000.
        assert gate.waiting == pytest.approx(rate * 0.5, abs=2)
        began = time.monotonic()
        with pytest.raises(OverloadedError, match=r"would wait longer than 0\.5 s"):
            await gate.acquire()
        assert time.monotonic() - began < 0.05
        for w in waiters:
            w.cancel()
        await asyncio.gather(*waiters, return_exceptions=True)

    asyncio.run(scenario())


def test_once_the_queue_stands_a_request_may_wait_only_the_standing_wait() -> None:
    """A burst gets the whole wait limit; a queue that has not been empty for STANDING_AFTER_S (arrivals
    outpace the slots) lets a newcomer wait only standing_wait_s, so no backlog builds (CoDel)."""
    async def scenario() -> None:
        gate = Admission(slots=1, max_queue=100, max_wait_s=5, standing_wait_s=0.05)
        await gate.acquire()
        assert gate.wait_limit() == 5  # empty queue: a burst is absorbed
        first = asyncio.ensure_future(gate.acquire())
        await asyncio.sleep(STANDING_AFTER_S / 4)
        assert gate.wait_limit() == 5  # queued, but not for long
        await asyncio.sleep(STANDING_AFTER_S)
        assert gate.wait_limit() == 0.05  # the queue stands
        began = time.monotonic()
        with pytest.raises(OverloadedError, match=r"within 0\.05 s"):
            await gate.acquire()
        assert time.monotonic() - began == pytest.approx(0.05, abs=0.04)
        assert not first.done()  # queued before the queue stood: it keeps its own limit
        gate.release()
        await asyncio.wait_for(first, 0.1)
        gate.release()
        assert gate.wait_limit() == 5  # emptied: the next burst gets the whole limit again

    asyncio.run(scenario())


def test_waiters_are_admitted_in_order_and_a_turn_given_to_one_that_left_is_handed_on() -> None:
    async def scenario() -> None:
        gate = Admission(slots=1, max_queue=10, max_wait_s=5)
        await gate.acquire()
        order: list[int] = []

        async def wait(i: int) -> None:
            await gate.acquire()
            order.append(i)
            gate.release()

        tasks = [asyncio.ensure_future(wait(i)) for i in range(5)]
        await asyncio.sleep(0.01)
        tasks[2].cancel()
        gate.release()
        await asyncio.gather(*tasks, return_exceptions=True)
        assert order == [0, 1, 3, 4] and gate.waiting == 0
        await asyncio.wait_for(gate.acquire(), 0.1)

    asyncio.run(scenario())


def test_a_client_that_disconnects_while_queued_is_dropped_without_running() -> None:
    async def scenario() -> None:
        gate = Admission(slots=1, max_queue=10, max_wait_s=30)
        await gate.acquire()

        async def receive() -> Message:
            await asyncio.sleep(0.1)
            return {"type": "http.disconnect"}

        CLIENT.set(ClientWatch(receive))
        began = time.monotonic()
        with pytest.raises(ClientGoneError):
            await gate.acquire()
        assert time.monotonic() - began < 1 and gate.dropped == 1 and gate.waiting == 0

    asyncio.run(scenario())


def test_the_api_answers_503_with_retry_after_before_touching_the_database(
        db: Database, config: SystemConfig, users: Users, tokens: dict[str, str]) -> None:
    app = create_app(dataclasses.replace(config, pool_size=1, api_queue_max=0), strategy="coupled", db=db)
    path = f"/api/v1/progress/{users.student}/PLAYER/level-up"
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.post(path, json={"xp": 1}, headers=auth(tokens["student"])).status_code == 200  # cached caller
        before = snapshot(db)
        gate = app.state.components.admission
        client.portal.call(gate.acquire)  # every slot busy
        began = time.monotonic()
        refused = client.post(path, json={"xp": 1}, headers=auth(tokens["student"]))
        assert time.monotonic() - began < 0.5
        assert refused.status_code == 503 and refused.json()["error"] == "OverloadedError", refused.text
        assert refused.headers["retry-after"].isdigit()
        assert snapshot(db) == before
        client.portal.call(gate.release)
        assert client.post(path, json={"xp": 1}, headers=auth(tokens["student"])).status_code == 200


def test_a_shed_request_whose_small_body_arrived_keeps_its_connection(
        db: Database, config: SystemConfig, users: Users, tokens: dict[str, str]) -> None:
    """Closing it would make every shed client reconnect (measured: under overload new connections waited
    seconds in the accept queue); a body past the limit, or not there at once, still closes it unread."""
    app = create_app(dataclasses.replace(config, pool_size=1, api_queue_max=0), strategy="coupled", db=db)
    path = f"/api/v1/progress/{users.student}/PLAYER/level-up"
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.post(path, json={"xp": 1}, headers=auth(tokens["student"])).status_code == 200
        gate = app.state.components.admission
        client.portal.call(gate.acquire)
        kept = client.post(path, json={"xp": 1}, headers=auth(tokens["student"]))
        assert kept.status_code == 503 and "connection" not in kept.headers, kept.headers
        huge = client.post(path, content=b"x" * 20_000, headers={**auth(tokens["student"]),
                                                                 "Content-Type": "application/json"})
        assert huge.status_code == 503 and huge.headers["connection"] == "close"
        client.portal.call(gate.release)


def xp(db: Database, student: int) -> int:
    with db.transaction() as session:
        return int(session.execute(text("SELECT total_xp FROM specialization_progress WHERE student_id = :s AND "
                                        "specialization_id = 'PLAYER'"), {"s": student}).scalar_one())


def test_over_real_sockets_a_queued_client_that_leaves_is_not_run_and_a_full_queue_answers_503_at_once(
        db: Database, students: list[int], admin_id: int, tmp_path: Path) -> None:
    secret = generate_api_secret()
    a, b, c, d = students[:4]
    start = {s: xp(db, s) for s in (a, b, c, d)}

    def level_up(student: int) -> object:
        sock = connect(served.base)
        body = b'{"xp": 7}'
        sock.sendall(head(f"/api/v1/progress/{student}/PLAYER/level-up", TokenCodec(secret).issue(student, "student"),
                          f"Content-Length: {len(body)}\r\n") + body)
        return sock

    with serve(db, tmp_path, strategy="coupled", secret=secret,
               extra=("--pool-size", "1", "--queue-max", "1", "--queue-wait", "30")) as served, \
            db.engine.connect() as holder:
        with holder.begin():
            holder.execute(text("SELECT 1 FROM specialization_progress WHERE student_id = :s FOR UPDATE"), {"s": a})
            first = level_up(a)  # admitted, then waits for the row lock: the one slot is busy
            time.sleep(0.5)
            leaving = level_up(b)  # queued
            time.sleep(0.5)
            leaving.close()  # the client gives up while queued
            time.sleep(0.5)
            queued = level_up(c)  # the queue's one place
            time.sleep(0.5)
            with level_up(d) as refused:
                status, took = response_status(refused, 5)
                assert status == 503 and took < 0.5, (status, took)
        for sock in (first, queued):  # the lock is gone: both run
            assert response_status(sock, 15)[0] == 200
            sock.close()
    assert {s: xp(db, s) - start[s] for s in (a, b, c, d)} == {a: 7, b: 0, c: 7, d: 0}


def test_concurrent_requests_of_one_caller_share_one_read_of_its_role(
        client: TestClient, users: Users) -> None:
    comp = client.app.state.components  # type: ignore[attr-defined]
    reads: list[int] = []
    role_of = comp.callers.role_of

    def counted(user_id: int) -> str | None:
        reads.append(user_id)
        return role_of(user_id)

    comp.callers.role_of = counted

    async def twenty_at_once() -> None:
        await asyncio.gather(*(comp.confirm_caller(users.student, "student") for _ in range(20)))

    client.portal.call(twenty_at_once)
    assert reads == [users.student] and not comp.reading_roles


def test_over_real_sockets_the_server_sheds_before_the_app_and_keeps_what_the_app_would_answer(
        db: Database, students: list[int], admin_id: int, tmp_path: Path) -> None:
    """system.api.server answers a shed request itself (no task, no middleware, no app): its 503 is the app's,
    the connection stays open when the body came with the head and closes when it did not, and what the app
    would refuse first (a missing token) is still the app's to refuse."""
    secret = generate_api_secret()
    a, b = students[:2]
    start = xp(db, b)
    token = TokenCodec(secret).issue(b, "student")
    body = b'{"xp": 7}'
    shed = head(f"/api/v1/progress/{b}/PLAYER/level-up", token, f"Content-Length: {len(body)}\r\n") + body

    unread: dict[socket.socket, bytes] = {}

    def answer(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
        """One response. Two pipelined answers can come in one recv: what follows this one is kept for the next."""
        data = unread.pop(sock, b"")
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(4096)
            assert chunk, f"closed after {data!r}"
            data += chunk
        raw_head, rest = data.split(b"\r\n\r\n", 1)
        lines = raw_head.decode().split("\r\n")
        fields = dict(line.lower().split(": ", 1) for line in lines[1:])
        length = int(fields["content-length"])
        while len(rest) < length:
            rest += sock.recv(4096)
        unread[sock] = rest[length:]
        return int(lines[0].split(" ")[1]), fields, rest[:length]

    with serve(db, tmp_path, strategy="coupled", secret=secret,
               extra=("--pool-size", "1", "--queue-max", "0")) as served, db.engine.connect() as holder:
        with holder.begin():
            holder.execute(text("SELECT 1 FROM specialization_progress WHERE student_id = :s FOR UPDATE"), {"s": a})
            first = connect(served.base)  # admitted, then waits for the row lock: the one slot is busy
            first.sendall(head(f"/api/v1/progress/{a}/PLAYER/level-up", TokenCodec(secret).issue(a, "student"),
                               f"Content-Length: {len(body)}\r\n") + body)
            time.sleep(0.5)
            with connect(served.base) as sock:
                for _ in range(2):  # the same connection, twice: kept open
                    began = time.monotonic()
                    sock.sendall(shed)
                    status, fields, payload = answer(sock)
                    assert time.monotonic() - began < 0.5
                    assert status == 503 and "connection" not in fields, fields
                    assert fields["retry-after"].isdigit() and fields["content-type"] == "application/json"
                    assert json.loads(payload)["error"] == "OverloadedError"
                # Pipelined: two in one write, two answers in order.
                sock.sendall(shed + shed)
                assert [answer(sock)[0] for _ in range(2)] == [503, 503]
            with connect(served.base) as sock:  # the head alone: answered at once, and closed
                sock.sendall(shed[:-len(body)])
                status, fields, _ = answer(sock)
                assert status == 503 and fields["connection"] == "close"
                sock.settimeout(2)
                assert sock.recv(1) == b""
            with connect(served.base) as sock:  # no token: the app's 401 comes first, as under no overload
                sock.sendall(head(f"/api/v1/progress/{b}/PLAYER/level-up", None,
                                  f"Content-Length: {len(body)}\r\n") + body)
                assert answer(sock)[0] == 401
        assert response_status(first, 15)[0] == 200
        first.close()
        with connect(served.base) as sock:  # the slot is free again: served
            sock.sendall(shed)
            assert answer(sock)[0] == 200
    assert xp(db, b) - start == 7
