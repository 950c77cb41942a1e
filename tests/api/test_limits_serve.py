"""The limits from outside, over real sockets against ``plsync serve`` (where uvicorn reads the bytes): a huge
or lying body refused before it is read, a chunked one the moment it passes its limit, half-open
connections closed by the header timeout, an oversized request head, and the connection cap."""

from __future__ import annotations

import contextlib
import select
import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from system.api.server import MAX_HEADER_BYTES
from system.api.tokens import TokenCodec
from system.config import generate_api_secret
from system.db import Database
from tests.api.test_serve import serve
from tests.helpers import snapshot

LEVEL_UP = "/api/v1/progress/{}/PLAYER/level-up"


def connect(base: str) -> socket.socket:
    parts = urlsplit(base)
    return socket.create_connection((parts.hostname, parts.port), timeout=10)


def head(path: str, token: str | None, extra: str) -> bytes:
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    return (f"POST {path} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n{auth}{extra}\r\n").encode()


def response_status(sock: socket.socket, timeout: float) -> tuple[int, float]:
    """The status of the response read from ``sock`` and how long it took to come (s)."""
    began, data = time.monotonic(), b""
    sock.settimeout(timeout)
    while b"\r\n" not in data:
        chunk = sock.recv(4096)
        assert chunk, f"closed without a response after {data!r}"
        data += chunk
    return int(data.split(b" ", 2)[1]), time.monotonic() - began


def closed_by_server(sock: socket.socket) -> bool:
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True  # closed with bytes of ours unread
    except (TimeoutError, BlockingIOError):
        return False


def test_bodies_too_large_or_lying_are_refused_before_they_are_read(
        db: Database, students: list[int], admin_id: int, tmp_path: Path) -> None:
    secret = generate_api_secret()
    token = TokenCodec(secret).issue(students[0], "student")
    path = LEVEL_UP.format(students[0])
    before = snapshot(db)
    with serve(db, tmp_path, strategy="coupled", secret=secret, extra=("--body-timeout", "1")) as served:
        # 400 MB declared, none sent: refused on the headers alone, with and without a token.
        for tok, expected in ((None, 401), (token, 413)):
            with connect(served.base) as sock:
                sock.sendall(head(path, tok, "Content-Length: 400000000\r\n"))
                status, took = response_status(sock, 5)
                assert (status, took < 2) == (expected, True), (status, took)
        # A Content-Length of 999,999,999,999 with a 1-byte body: 413 at once, not a hang.
        with connect(served.base) as sock:
            sock.sendall(head(path, token, "Content-Length: 999999999999\r\n") + b"{")
            assert response_status(sock, 5)[0] == 413
        # A Content-Length within the limit that claims more than is sent: 408 after the body timeout.
        with connect(served.base) as sock:
            sock.sendall(head(path, token, "Content-Length: 5000\r\n") + b"{")
            status, took = response_status(sock, 10)
            assert status == 408 and 0.9 < took < 5, (status, took)
        # Chunked past the limit (12 KiB): refused while it is still being sent, not after 200 KiB.
        with connect(served.base) as sock:
            sock.sendall(head(path, token, "Transfer-Encoding: chunked\r\n"))
            sent, status = 0, None
            while sent < 200 * 1024 and status is None:
                chunk = b'{"xp": 1, "reason": "' if sent == 0 else b"z" * 1024
                try:
                    sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                except (BrokenPipeError, ConnectionResetError):
                    break
                sent += len(chunk)
                if select.select([sock], [], [], 0.01)[0]:
                    status = response_status(sock, 5)[0]
            assert status == 413 and sent < 32 * 1024, (status, sent)
        assert httpx.get(f"{served.base}/health/integrity", timeout=5).status_code == 200
    assert snapshot(db) == before


def test_half_open_connections_are_closed_by_the_header_timeout_while_real_requests_are_served(
        db: Database, students: list[int], admin_id: int, tmp_path: Path) -> None:
    with serve(db, tmp_path, strategy="coupled", secret=None, extra=("--header-timeout", "1")) as served:
        silent = [connect(served.base) for _ in range(20)]  # connect and say nothing
        partial = [connect(served.base) for _ in range(100)]  # a request line, headers never finished
        for sock in partial:
            sock.sendall(b"GET /health/integrity HTTP/1.1\r\nHost: t\r\nX-Slow: ")
        began = time.monotonic()
        assert httpx.get(f"{served.base}/health/integrity", timeout=5).status_code == 200  # served meanwhile
        for sock in silent + partial:
            sock.settimeout(max(0.1, began + 5 - time.monotonic()))
            assert closed_by_server(sock), "a half-open connection outlived the header timeout by 4 s"
            sock.close()
        # A connection that did send its headers in time is not cut by the timer.
        with connect(served.base) as sock:
            sock.sendall(b"GET /health/integrity HTTP/1.1\r\nHost: t\r\n\r\n")
            assert response_status(sock, 5)[0] == 200


def test_connections_past_the_cap_are_closed_at_once(db: Database, students: list[int], admin_id: int,
                                                     tmp_path: Path) -> None:
    with serve(db, tmp_path, strategy="coupled", secret=None,
               extra=("--header-timeout", "3", "--max-connections", "30")) as served:
        socks = [connect(served.base) for _ in range(50)]
        time.sleep(0.5)
        closed = 0
        for sock in socks:
            sock.setblocking(False)
            closed += closed_by_server(sock)
        assert 20 <= closed < 50, closed  # the ones past the cap, long before the header timeout
        for sock in socks:
            sock.close()
        time.sleep(0.5)
        with connect(served.base) as sock:  # a request head past 64 KiB: closed long before the header timeout
            began = time.monotonic()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # closed while it was sent
                sock.sendall(b"GET /health/integrity HTTP/1.1\r\nHost: t\r\nX-Big: " + b"b" * (MAX_HEADER_BYTES + 1024))
            sock.settimeout(2)
            assert closed_by_server(sock) and time.monotonic() - began < 2
        deadline = time.monotonic() + 10
        while True:  # once the held ones are gone (closed above), real requests are served again
            try:
                assert httpx.get(f"{served.base}/health/integrity", timeout=2).status_code == 200
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline
                time.sleep(0.2)
