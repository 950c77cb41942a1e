"""The soak's clients and fault injector run in a process of their own.

The soak measures the memory and threads of the process that runs the job. Clients in that process would
add their own pools, sessions and allocations to every figure, and tracemalloc, which traces the whole
process, roughly triples what their ORM work costs. In their own process they are what they are in
production: other processes calling the same services through a strategy. They run between two runs of
the job, one command at a time, over a pipe; the soak waits for each to finish.
"""

from __future__ import annotations

import contextlib
import multiprocessing
from multiprocessing.connection import Connection
from pathlib import Path
from types import TracebackType
from typing import Any

from scenarios.ledger import Ledger, Pair
from scenarios.soak.load import Burst, LoadSize, SoakLoad, as_ledger
from system.config import SystemConfig
from system.db import Database

#: Longest a single command may take (real seconds) before the soak gives up on its clients.
COMMAND_TIMEOUT_S = 300.0


class ClientsFailed(RuntimeError):
    """The clients' process failed or did not answer: the soak cannot go on."""


def _serve(conn: Connection, config: SystemConfig, strategy: str, size: LoadSize, seed: int,
           truth: Path | None) -> None:
    admin = Database.connect(config, application_name="plsync-soak-clients", pre_ping=True)
    load: SoakLoad | None = None
    try:
        load = SoakLoad(admin, config, strategy, size, seed, truth=truth)
        conn.send(("ok", None))
        while True:
            command, arg = conn.recv()
            if command == "close":
                break
            try:
                reply: Any = (load.burst(arg) if command == "burst" else load.inject(arg) if command == "inject"
                              else (load.totals(), load.baseline))
                conn.send(("ok", reply))
            except Exception as exc:  # the soak process raises it
                conn.send(("error", f"{command}: {type(exc).__name__}: {exc}"))
    except (EOFError, KeyboardInterrupt):  # the soak went away or was interrupted: just stop
        pass
    except Exception as exc:
        with contextlib.suppress(OSError):
            conn.send(("error", f"clients: {type(exc).__name__}: {exc}"))
    finally:
        if load is not None:
            load.close()
        admin.dispose()


class ClientProcess:
    def __init__(self, config: SystemConfig, strategy: str, size: LoadSize, seed: int, *,
                 truth: Path | None = None) -> None:
        spawn = multiprocessing.get_context("spawn")  # a fresh interpreter: no threads or pools inherited
        self._conn, child = spawn.Pipe()
        self._process = spawn.Process(target=_serve, args=(child, config, strategy, size, seed, truth),
                                      name="plsync-soak-clients", daemon=True)
        self._process.start()
        child.close()
        self._answer("start")

    def _answer(self, command: str) -> Any:
        if not self._conn.poll(COMMAND_TIMEOUT_S):
            raise ClientsFailed(f"the soak's clients did not answer '{command}' within {COMMAND_TIMEOUT_S:.0f} s")
        try:
            status, reply = self._conn.recv()
        except EOFError:
            raise ClientsFailed(f"the soak's clients exited during '{command}'") from None
        if status != "ok":
            raise ClientsFailed(str(reply))
        return reply

    def _call(self, command: str, arg: Any = None) -> Any:
        self._conn.send((command, arg))
        return self._answer(command)

    def burst(self, cycle: int) -> Burst:
        reply: Burst = self._call("burst", cycle)
        return reply

    def inject(self, cycle: int) -> int:
        return int(self._call("inject", cycle))

    def ledger(self) -> tuple[Ledger, dict[Pair, int]]:
        """The clients' ledger so far and the XP each pair started from."""
        totals, baseline = self._call("ledger")
        return as_ledger(totals), baseline

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._conn.send(("close", None))
        self._process.join(timeout=30)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(timeout=10)
        self._conn.close()

    def __enter__(self) -> ClientProcess:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
