"""The API's event loop accepts a burst of new connections at once even while each of its iterations is busy:
under overload a connection left in the kernel's accept queue is beyond every limit and bound the API has
(measured with uvloop, which accepts one per iteration: seconds of waiting, requests left without a reply)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time

from system.api.server import uvicorn_config
from system.config import SystemConfig

BURST = 100
#: Each loop iteration is kept busy this long: one accept per iteration would take BURST x this (2 s).
ITERATION_S = 0.02


async def _accept_burst() -> float:
    accepted: list[float] = []

    class Counting(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            accepted.append(time.monotonic())

    loop = asyncio.get_running_loop()
    server = await loop.create_server(Counting, "127.0.0.1", 0, backlog=2048)
    port = server.sockets[0].getsockname()[1]

    async def busy() -> None:
        while True:
            time.sleep(ITERATION_S)  # a request's synchronous work, as under overload
            await asyncio.sleep(0)

    worker = asyncio.ensure_future(busy())
    clients = []
    try:
        began = time.monotonic()
        for _ in range(BURST):
            sock = socket.socket()
            sock.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                sock.connect(("127.0.0.1", port))
            clients.append(sock)
        while len(accepted) < BURST and time.monotonic() - began < 10:
            await asyncio.sleep(0)
        return (accepted[-1] if len(accepted) == BURST else time.monotonic()) - began
    finally:
        worker.cancel()
        for sock in clients:
            sock.close()
        server.close()


def test_a_busy_loop_accepts_a_burst_of_connections_at_once(config: SystemConfig) -> None:
    async def app(_scope: object, _receive: object, _send: object) -> None:
        """Never called: only the loop the API's settings choose is under test."""

    factory = uvicorn_config(app, config, host="127.0.0.1", port=0).get_loop_factory()
    assert factory is not None
    runner = asyncio.Runner(loop_factory=factory)
    try:
        took = runner.run(_accept_burst())
    finally:
        runner.close()
    assert took < BURST * ITERATION_S / 2, f"{BURST} connections took {took:.2f} s to be accepted"
