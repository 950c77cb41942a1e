"""Another host on this machine: a network namespace joined to ours by a veth pair, and a TCP relay.

The namespace has its own interfaces and its own loopback: a process inside it reaches this side only at the
veth address (``10.200.N.1``), never at 127.0.0.1. Nothing leaves the machine: both ends of the pair are here.
PostgreSQL listens on loopback only, so ``Relay`` carries the worker's connections from the veth address to it,
as a database server reachable from other hosts would.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class Namespace:
    name: str
    host_address: str  # this side of the pair (the master's host, as the worker sees it)
    inside_address: str

    def prefix(self) -> list[str]:
        """Run a command inside: ``[*ns.prefix(), "locust", ...]`` (``ip netns exec`` execs it: same pid)."""
        return ["ip", "netns", "exec", self.name]


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=10)


def namespaces_available() -> bool:
    return os.geteuid() == 0 and shutil.which("ip") is not None


@contextmanager
def other_host() -> Iterator[Namespace]:
    """A namespace named after this process, removed (with its pair) on the way out."""
    tag = os.getpid() % 100_000
    ns = Namespace(f"plsync-{tag}", f"10.200.{tag % 250}.1", f"10.200.{tag % 250}.2")
    outer, inner = f"plsv{tag}a", f"plsv{tag}b"
    _ip("netns", "add", ns.name)
    try:
        _ip("link", "add", outer, "type", "veth", "peer", "name", inner)
        _ip("link", "set", inner, "netns", ns.name)
        _ip("addr", "add", f"{ns.host_address}/30", "dev", outer)
        _ip("link", "set", outer, "up")
        _ip("netns", "exec", ns.name, "ip", "addr", "add", f"{ns.inside_address}/30", "dev", inner)
        _ip("netns", "exec", ns.name, "ip", "link", "set", inner, "up")
        _ip("netns", "exec", ns.name, "ip", "link", "set", "lo", "up")
        yield ns
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            _ip("link", "del", outer)
        _ip("netns", "del", ns.name)


class Relay:
    """Accepts on ``listen`` and carries each connection to ``target``, both ways, until either side closes."""

    def __init__(self, listen_host: str, target: tuple[str, int]) -> None:
        self.target = target
        self.server = socket.create_server((listen_host, 0))
        self.address = self.server.getsockname()[:2]
        self._threads: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return  # closed
            upstream = socket.create_connection(self.target)
            self._sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                thread = threading.Thread(target=self._pump, args=(a, b), daemon=True)
                thread.start()
                self._threads.append(thread)

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self.server.close()
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.close()
