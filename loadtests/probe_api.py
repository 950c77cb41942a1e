"""The API under abuse, probed from outside: four probes against a running ``plsync serve`` on loopback.

    python -m loadtests.probe_api http://127.0.0.1:8000 --token-file token [--pid PID] [--json]

1. **big body**: one unauthenticated POST to the bulk sync with a 400 MB body, streamed 1 MiB at a time:
   how long until the API answers, what it answered, how much was sent by then, and how much the API's
   resident memory (VmRSS of ``/proc/PID/status``, sampled every 5 ms) grew;
2. **lying length**: a ``Content-Length`` of 999,999,999,999 with a 1-byte body: the answer and its time
   (a client gives up after 5 s);
3. **half-open**: 1,000 connections that send a request line and never finish their headers: how many
   the API still holds 6 s later, when the last was closed (watched for 30 s), and a real request's
   answer and time meanwhile;
4. **burst**: 600 level-ups sent at once (all connected first, then written together), each its own
   connection: how many were admitted and how many shed (503), how fast a refusal came back, the
   slowest admitted answer (times from the moment all were written).

The API's pid is found from the port it listens on (``/proc/net/tcp`` and ``/proc/*/fd``) unless
``--pid`` gives it. The figures are checked against the targets of the limits (TARGETS); the exit code is
1 when one is missed. Loopback only: these probes are an attack.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import socket
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from loadtests.probe_proc import RssSampler, pid_listening_on

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
BULK_SYNC = "/api/v1/licenses/admin/sync/all"
#: (probe, figure, limit, how it must compare): the issue's targets for the abuse probes.
TARGETS = (("big body", "refused_after_ms", 100.0, "<"), ("big body", "rss_growth_mb", 64.0, "<"),
           ("half-open", "all_closed_after_s", 30.0, "<="), ("half-open", "real_request_status", 200, "=="))


@dataclass
class Target:
    host: str
    port: int
    pid: int | None
    token: str | None


def _connect(t: Target, timeout: float = 10) -> socket.socket:
    return socket.create_connection((t.host, t.port), timeout=timeout)


def _head(path: str, token: str | None, extra: str, method: str = "POST") -> bytes:
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    return f"{method} {path} HTTP/1.1\r\nHost: probe\r\nContent-Type: application/json\r\n{auth}{extra}\r\n".encode()


def _status_line(sock: socket.socket, timeout: float) -> int | None:
    """The status the server answered with, or None (closed or reset without one, or no answer in time)."""
    sock.settimeout(timeout)
    data = b""
    try:
        while b"\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                return None
            data += chunk
    except (TimeoutError, ConnectionResetError):
        return None
    return int(data.split(b" ", 2)[1])


@dataclass
class BigBody:
    body_bytes: int
    status: int | None
    refused_after_ms: float
    sent_mb_by_then: float
    rss_before_mb: float | None
    rss_peak_mb: float | None
    rss_growth_mb: float | None


def big_body(t: Target, size: int = 400_000_000, chunk: int = 1 << 20, timeout: float = 120) -> BigBody:
    sampler = RssSampler(t.pid)
    sent = 0
    stop = threading.Event()
    with sampler, _connect(t) as sock:
        began = time.perf_counter()
        sock.sendall(_head(BULK_SYNC, None, f"Content-Length: {size}\r\n"))

        def send_body() -> None:
            nonlocal sent
            block = b" " * chunk
            try:
                while sent < size and not stop.is_set():
                    n = min(chunk, size - sent)
                    sock.sendall(block[:n])
                    sent += n
            except OSError:
                pass  # the server closed the connection: what it answered is read by the other side

        sender = threading.Thread(target=send_body, daemon=True)
        sender.start()
        status = _status_line(sock, timeout)
        took, sent_then = time.perf_counter() - began, sent
        stop.set()
        with contextlib.suppress(OSError):  # already closed by the server
            sock.shutdown(socket.SHUT_RDWR)
        sender.join(10)
        time.sleep(0.5)  # what the server still does with the rest shows in its memory
    return BigBody(size, status, took * 1000, sent_then / 1e6, sampler.first_mb, sampler.peak_mb, sampler.growth_mb)


@dataclass
class LyingLength:
    authenticated: bool
    status: int | None
    answered_after_ms: float | None


def lying_length(t: Target, give_up_s: float = 5) -> LyingLength:
    with _connect(t) as sock:
        began = time.perf_counter()
        sock.sendall(_head(BULK_SYNC, t.token, "Content-Length: 999999999999\r\n") + b"{")
        status = _status_line(sock, give_up_s)
        took = time.perf_counter() - began
    return LyingLength(t.token is not None, status, took * 1000 if status is not None else None)


@dataclass
class HalfOpen:
    opened: int
    refused_at_connect: int
    held_at_6s: int | None
    closed_within_30s: int
    all_closed_after_s: float | None
    real_request_status: int | None
    real_request_ms: float | None


def half_open(t: Target, n: int = 1000, watch_s: float = 30) -> HalfOpen:
    socks: list[socket.socket] = []
    refused = 0
    began = time.monotonic()
    for _ in range(n):
        try:
            sock = _connect(t, timeout=5)
            sock.sendall(b"POST " + BULK_SYNC.encode() + b" HTTP/1.1\r\nHost: probe\r\nX-Never-Ends: ")
            sock.setblocking(False)
            socks.append(sock)
        except OSError:
            refused += 1
    open_ = {s.fileno(): s for s in socks}
    closed_at: list[float] = []
    held_at_6: int | None = None
    real: tuple[int | None, float | None] = (None, None)
    try:
        while open_ and time.monotonic() - began < watch_s:
            for fd, sock in list(open_.items()):
                try:
                    gone = sock.recv(1) == b""
                except BlockingIOError:
                    gone = False
                except OSError:
                    gone = True
                if gone:
                    closed_at.append(time.monotonic() - began)
                    del open_[fd]
                    sock.close()
            now = time.monotonic() - began
            if real == (None, None) and now >= 1:
                real = _real_request(t)
            if held_at_6 is None and now >= 6:
                held_at_6 = len(open_)
            time.sleep(0.05)
    finally:
        for sock in open_.values():
            sock.close()
    if real == (None, None):
        real = _real_request(t)
    return HalfOpen(len(socks), refused, held_at_6 if held_at_6 is not None else 0, len(closed_at),
                    max(closed_at) if len(closed_at) == len(socks) and socks else None, *real)


def _real_request(t: Target) -> tuple[int | None, float | None]:
    began = time.perf_counter()
    try:
        status = httpx.get(f"http://{t.host}:{t.port}/health/integrity", timeout=10).status_code
    except httpx.HTTPError:
        return None, None
    return status, (time.perf_counter() - began) * 1000


@dataclass
class Burst:
    sent: int
    statuses: dict[str, int]
    admitted: int
    shed: int
    first_refusal_ms: float | None
    median_refusal_ms: float | None
    slowest_refusal_ms: float | None
    median_admitted_ms: float | None
    slowest_admitted_ms: float | None
    wall_s: float
    admitted_per_s: float
    rss_growth_mb: float | None = field(default=None)


def burst(t: Target, students: list[int], n: int = 600, specialization: str = "PLAYER") -> Burst:
    if t.token is None:
        raise SystemExit("error: the burst needs an admin token (--token-file): level-ups are authenticated")
    sampler = RssSampler(t.pid)
    with sampler:
        results, wall = asyncio.run(_burst(t, students, n, specialization))
    statuses = Counter(str(s) if s is not None else "no answer" for s, _, _ in results)
    ok = sorted(ms for s, ms, _ in results if s == 200)
    shed = sorted(ms for s, ms, kind in results if s == 503 and kind == "OverloadedError")

    def median(xs: list[float]) -> float | None:
        return xs[len(xs) // 2] if xs else None

    return Burst(n, dict(sorted(statuses.items())), len(ok), len(shed), shed[0] if shed else None, median(shed),
                 shed[-1] if shed else None, median(ok), ok[-1] if ok else None, wall,
                 len(ok) / wall if wall else 0.0, sampler.growth_mb)


async def _burst(t: Target, students: list[int], n: int, specialization: str
                 ) -> tuple[list[tuple[int | None, float, str | None]], float]:
    conns = [await asyncio.open_connection(t.host, t.port) for _ in range(n)]
    body = b'{"xp": 1, "reason": "probe burst"}'
    start = 0.0

    async def one(i: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
                  ) -> tuple[int | None, float, str | None]:
        student = students[i % len(students)]
        path = f"/api/v1/progress/{student}/{specialization}/level-up"
        writer.write(_head(path, t.token, f"Content-Length: {len(body)}\r\nConnection: close\r\n") + body)
        try:
            raw = await asyncio.wait_for(reader.read(), 120)
        except (TimeoutError, ConnectionError):
            raw = b""
        took = (time.perf_counter() - start) * 1000
        writer.close()
        if not raw:
            return None, took, None
        kind = None
        if b"\r\n\r\n" in raw:
            try:
                kind = json.loads(raw.split(b"\r\n\r\n", 1)[1]).get("error")
            except ValueError:
                kind = None
        return int(raw.split(b" ", 2)[1]), took, kind

    start = time.perf_counter()
    results = await asyncio.gather(*(one(i, r, w) for i, (r, w) in enumerate(conns)))
    return list(results), time.perf_counter() - start


def check_targets(results: dict[str, Any]) -> list[str]:
    """What missed its target (empty: every target met)."""
    compare: dict[str, Callable[[Any, Any], bool]] = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
                                                      "==": lambda a, b: a == b}
    missed = []
    for probe, figure, limit, op in TARGETS:
        value = results.get(probe, {}).get(figure)
        if value is None or not compare[op](value, limit):
            missed.append(f"{probe}: {figure} = {value} (target {op} {limit})")
    return missed


def render(results: dict[str, Any], missed: list[str]) -> str:
    lines = []
    for probe, figures in results.items():
        lines.append(f"{probe}:")
        lines += [f"  {name:<22} {value}" for name, value in figures.items()]
    lines.append("targets: " + ("all met" if not missed else "MISSED: " + "; ".join(missed)))
    return "\n".join(lines)


def parse_target(argv: list[str] | None = None) -> tuple[Target, argparse.Namespace]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="the API, e.g. http://127.0.0.1:8000 (loopback only)")
    parser.add_argument("--token-file", type=Path, help="the admin token `plsync serve --token-file` wrote")
    parser.add_argument("--pid", type=int, help="the API's process (found from the port when not given)")
    parser.add_argument("--students", default="1-10", help="students the burst levels up (ids: 1-10 or 3,4)")
    parser.add_argument("--only", action="append", choices=["big body", "lying length", "half-open", "burst"])
    parser.add_argument("--body-mb", type=int, default=400)
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--burst", type=int, default=600)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    parts = urlsplit(args.url)
    if parts.scheme != "http" or parts.hostname not in LOOPBACK_HOSTS or parts.port is None:
        parser.exit(2, f"error: {args.url} is not http://<loopback>:<port>: these probes run against loopback only\n")
    token = args.token_file.read_text().strip() if args.token_file else None
    pid = args.pid if args.pid is not None else pid_listening_on(parts.port)
    return Target(parts.hostname or "127.0.0.1", parts.port, pid, token), args


def students_of(spec: str) -> list[int]:
    if "-" in spec:
        low, high = spec.split("-", 1)
        return list(range(int(low), int(high) + 1))
    return [int(s) for s in spec.split(",")]


def main(argv: list[str] | None = None) -> int:
    t, args = parse_target(argv)
    wanted = args.only or ["big body", "lying length", "half-open", "burst"]
    results: dict[str, Any] = {"api": {"pid": t.pid, "url": args.url}}
    probes: dict[str, Callable[[], Any]] = {
        "big body": lambda: big_body(t, size=args.body_mb * 1_000_000),
        "lying length": lambda: lying_length(t),
        "half-open": lambda: half_open(t, n=args.connections),
        "burst": lambda: burst(t, students_of(args.students), n=args.burst),
    }
    for name in wanted:
        results[name] = asdict(probes[name]())
    missed = [m for m in check_targets(results) if m.split(":")[0] in wanted]
    print(json.dumps(results | {"missed": missed}, indent=2) if args.json else render(results, missed))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
