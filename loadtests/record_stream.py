"""Records a Locust worker streams to its master over Locust's own channel, so that workers need no shared disk.

Each kind of record (the ledger now, histograms later) travels as a ``Batch``: "records from worker X, sequence
n, final or not". A worker sends a batch when enough records are waiting or a second has passed, and a final one
carrying the total it ever sent once its users have stopped (Locust's ``test_stop``, after every user greenlet
has ended and written its last record). The master hands every batch to the kind's sink and keeps, per worker,
what arrived; a worker is complete when its final batch came with a total equal to the records received and no
sequence number was skipped. Anything else (a worker that vanished, a final never seen, a count that does not
match) names the worker as incomplete: the verdict built on those records cannot be a pass.

Locust's headless master tells its workers to quit and kills its own message loop 0.5 s later, before workers
still finishing their users (``--stop-timeout``) have sent their last batch. ``drain`` therefore receives on the
master's socket itself, for a bounded time, until every known worker's final batch is in or the worker is gone.
Every kind a master receives is registered once in its ``MasterStreams`` (``streams_of(runner)``), and every
wait serves them all: Locust runs ``quitting`` listeners in reverse registration order, so whichever kind's wait
runs first takes every kind's batches off the socket, and a wait that knew only its own kind dropped the others.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import gevent
import gevent.event
from gevent import Timeout

#: Rows per message: about 40 bytes each in msgpack, so a batch stays under ~100 KB and the master's message
#: loop (which also handles heartbeats) is never held long by one.
MAX_ROWS = 2000
FLUSH_EVERY_S = 1.0


@dataclass(frozen=True)
class Batch:
    kind: str
    worker: str
    seq: int
    records: list[Any]
    final: bool = False
    #: On the final batch: how many records the worker sent in all (this batch included).
    total: int | None = None
    #: On the final batch: why the worker's run ended abnormally (it refused what the master asked, ...).
    error: str | None = None

    def to_message(self) -> dict[str, Any]:
        return {"kind": self.kind, "worker": self.worker, "seq": self.seq, "records": self.records,
                "final": self.final, "total": self.total, "error": self.error}

    @classmethod
    def from_message(cls, data: dict[str, Any]) -> Batch:
        return cls(str(data["kind"]), str(data["worker"]), int(data["seq"]), list(data["records"]),
                   bool(data["final"]), None if data.get("total") is None else int(data["total"]),
                   None if data.get("error") is None else str(data["error"]))


def message_type(kind: str) -> str:
    return f"plsync_{kind}"


class BatchSender:
    """Worker side: buffers records and sends them with ``send(message_type, data)`` (``runner.send_message``)."""

    def __init__(self, kind: str, worker: str, send: Callable[[str, dict[str, Any]], None],
                 max_rows: int = MAX_ROWS) -> None:
        self.kind, self.worker, self.send, self.max_rows = kind, worker, send, max_rows
        self.pending: list[Any] = []
        self.seq = 0
        self.sent = 0
        self._flusher: gevent.Greenlet | None = None
        self._stop = gevent.event.Event()

    def add(self, record: Any) -> None:
        self.pending.append(record)  # never sends from the user's greenlet: the flusher does

    def start(self, every_s: float = FLUSH_EVERY_S) -> None:
        """Send what waits every ``every_s`` until ``finish`` (again after it, for a further test)."""
        stop = self._stop = gevent.event.Event()

        def loop() -> None:
            while not stop.wait(timeout=every_s):
                self.flush()

        if self._flusher is None:
            self._flusher = gevent.spawn(loop)

    def flush(self, final: bool = False, error: str | None = None) -> None:
        while len(self.pending) > self.max_rows or (self.pending and not final):
            self._send(self.max_rows, final=False)
        if final:
            self._send(self.max_rows, final=True, error=error)

    def _send(self, at_most: int, *, final: bool, error: str | None = None) -> None:
        rows = self.pending[:at_most]  # a copy: the buffer is cut before sending, which may switch greenlets
        del self.pending[: len(rows)]
        self.sent += len(rows)
        batch = Batch(self.kind, self.worker, self.seq, rows, final, self.sent if final else None, error)
        self.seq += 1
        self.send(message_type(self.kind), batch.to_message())

    def finish(self, error: str | None = None) -> None:
        """Stop the flusher (between sends: never one cut in half) and send everything left, marked final with
        the total (and ``error`` when this worker's run ended abnormally)."""
        if self._flusher is not None:
            self._stop.set()
            self._flusher.join()
            self._flusher = None
        self.flush(final=True, error=error)


@dataclass
class WorkerStream:
    """What the master received from one worker, of one kind."""

    batches: int = 0
    records: int = 0
    next_seq: int = 0
    final_total: int | None = None
    problem: str | None = None
    #: It said it quit, or fell silent, while the master waited for its final batch.
    quit: bool = False

    @property
    def complete(self) -> bool:
        return self.problem is None and self.final_total is not None and self.final_total == self.records

    def describe(self) -> str | None:
        """Why this worker's records cannot be trusted to be all of them (None when they can)."""
        if self.problem:
            return self.problem
        if self.final_total is None:
            return ("quit or fell silent before its final batch" if self.quit else "its final batch never arrived") + \
                f" ({self.records} records in {self.batches} batches received)"
        if self.final_total != self.records:
            return f"sent {self.final_total} records, {self.records} arrived"
        return None


class StreamCollector:
    """Master side, for one kind: batches in order per worker, to ``sink(worker, records)``."""

    def __init__(self, kind: str, sink: Callable[[str, list[Any]], None]) -> None:
        self.kind, self.sink = kind, sink
        self.workers: dict[str, WorkerStream] = {}

    def known(self, worker: str) -> WorkerStream:
        return self.workers.setdefault(worker, WorkerStream())

    def receive(self, batch: Batch) -> None:
        stream = self.known(batch.worker)
        if batch.seq != stream.next_seq and stream.problem is None:
            stream.problem = f"batch {batch.seq} arrived where {stream.next_seq} was due: a batch was lost"
        stream.next_seq = batch.seq + 1
        stream.batches += 1
        stream.records += len(batch.records)
        stream.final_total = batch.total if batch.final else None
        if batch.error and stream.problem is None:
            stream.problem = f"ended abnormally: {batch.error}"
        self.sink(batch.worker, batch.records)

    def worker_quit(self, worker: str) -> None:
        if worker in self.workers:
            self.workers[worker].quit = True

    def settled(self) -> bool:
        """Every known worker sent its final batch or is gone."""
        return all(s.final_total is not None or s.quit for s in self.workers.values())

    def incomplete(self) -> dict[str, str]:
        return {w: why for w, s in sorted(self.workers.items()) if (why := s.describe()) is not None}


#: A worker sends Locust's heartbeat every second, also while its users finish: one silent this long is gone.
SILENT_S = 5.0


def drain(server: Any, handlers: dict[str, Callable[[str, Any], None]], settled: Callable[[], bool],
          gone: Callable[[str], None], on_stats: Callable[[str, Any], None], timeout_s: float,
          known: Callable[[], list[str]] = list, silent_s: float = SILENT_S) -> float:
    """Receive on the master's socket (Locust's ``runner.server``) until ``settled()`` or ``timeout_s``; returns
    the seconds waited. Batches go to ``handlers`` by message type, a worker's ``quit`` to ``gone``, its last
    statistics report to ``on_stats``; anything else is dropped (the test is over). A ``known`` worker that sends
    nothing at all (not even a heartbeat) for ``silent_s`` is ``gone`` too: the wait need not outlast it."""
    began = time.monotonic()
    last_heard: dict[str, float] = {}
    while not settled():
        now = time.monotonic()
        left = timeout_s - (now - began)
        if left <= 0:
            break
        for node in known():
            if now - last_heard.get(node, began) > silent_s:
                gone(node)
        try:
            with Timeout(min(left, 0.5)):
                _client, msg = server.recv_from_client()
        except Timeout:
            continue
        except Exception:  # a broken message from one worker must not stop the wait for the others
            continue
        last_heard[msg.node_id] = time.monotonic()
        if msg.type in handlers:
            handlers[msg.type](msg.node_id, msg.data)
        elif msg.type == "quit":
            gone(msg.node_id)
        elif msg.type == "stats":
            on_stats(msg.node_id, msg.data)
    return time.monotonic() - began


@dataclass(frozen=True)
class StreamKind:
    """One kind a master receives: its message type, what to do with a batch (``handle(node_id, data)``),
    whether every worker's final batch of it is in (``settled``), a worker gone (``gone``), and the workers whose
    final batch is still due (``waiting``: a silent one among them is gone)."""

    message_type: str
    handle: Callable[[str, Any], None]
    settled: Callable[[], bool]
    gone: Callable[[str], None]
    waiting: Callable[[], list[str]] = list


class MasterStreams:
    """The registry of every kind one master receives, keyed by message type (a duplicate is refused)."""

    def __init__(self) -> None:
        self.kinds: dict[str, StreamKind] = {}
        self.waited_s = 0.0

    def add(self, runner: Any, kind: StreamKind) -> None:
        """Register ``kind`` here and as Locust's listener for its messages while the master's loop runs."""
        if kind.message_type in self.kinds:
            raise ValueError(f"{kind.message_type} is already streamed to this master")
        self.kinds[kind.message_type] = kind
        runner.register_message(kind.message_type, lambda msg, **_kw: kind.handle(msg.node_id, msg.data))

    def settled(self) -> bool:
        return all(kind.settled() for kind in self.kinds.values())

    def gone(self, worker: str) -> None:
        for kind in self.kinds.values():
            kind.gone(worker)

    def waiting(self) -> list[str]:
        return sorted({worker for kind in self.kinds.values() for worker in kind.waiting()})

    def wait(self, server: Any, on_stats: Callable[[str, Any], None], timeout_s: float) -> float:
        """Receive every kind's batches until all are settled (at once when they are), bounded by ``timeout_s``;
        returns the seconds this call waited (``waited_s`` adds up every call's)."""
        waited = drain(server, {t: kind.handle for t, kind in self.kinds.items()}, self.settled, self.gone,
                       on_stats, timeout_s, known=self.waiting)
        self.waited_s += waited
        return waited


def streams_of(runner: Any) -> MasterStreams:
    """The master's registry, kept on its runner (one per master, whoever asks first creates it)."""
    streams = getattr(runner, "plsync_streams", None)
    if streams is None:
        streams = MasterStreams()
        runner.plsync_streams = streams
    return streams


class MasterReceiver:
    """The master's side of one kind: every worker's batches into its own JSON-lines file
    (``<prefix>-<worker>.jsonl``) in ``directory``, checked by a ``StreamCollector``."""

    def __init__(self, directory: Path, kind: str, prefix: str) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory, self.prefix = directory, prefix
        self.collector = StreamCollector(kind, self._write)
        self._files: dict[str, IO[str]] = {}

    def _write(self, worker: str, rows: list[Any]) -> None:
        handle = self._files.get(worker)
        if handle is None:
            name = f"{self.prefix}-" + re.sub(r"[^A-Za-z0-9_.-]", "_", worker) + ".jsonl"
            handle = self._files[worker] = (self.directory / name).open("a", buffering=1 << 16)
        handle.writelines(json.dumps(row) + "\n" for row in rows)

    def on_message(self, environment: Any = None, msg: Any = None, **_kw: Any) -> None:
        """Locust's custom-message listener (``register_message``)."""
        self.handle(msg.node_id, msg.data)

    def handle(self, node_id: str, data: dict[str, Any]) -> None:
        # The sender Locust saw is the authority on who sent it; the envelope's own name is only a cross-check.
        batch = Batch.from_message(data)
        if batch.worker != node_id:
            self.collector.known(node_id).problem = f"sent batches named {batch.worker!r}"
        self.collector.receive(Batch(batch.kind, node_id, batch.seq, batch.records, batch.final, batch.total,
                                     batch.error))

    def kind(self, runner: Any) -> StreamKind:
        """This kind for ``runner``'s registry: settled once every worker sent its final batch, quit, or is
        missing from the runner's clients."""

        def settled() -> bool:
            clients = getattr(runner, "clients", {})
            for worker, stream in self.collector.workers.items():
                # locust.runners.STATE_MISSING, by value: importing Locust here would monkey-patch the harness.
                gone = worker not in clients or clients[worker].state == "missing"
                if stream.final_total is None and not stream.quit and not gone:
                    return False
            return True

        return StreamKind(message_type(self.collector.kind), self.handle, settled, self.collector.worker_quit,
                          lambda: [w for w, s in self.collector.workers.items() if s.final_total is None])

    def connected(self, client_id: str, **_kw: Any) -> None:
        """Locust's ``worker_connect``: a worker the run counts on for a final batch."""
        self.collector.known(client_id)

    def close_files(self) -> None:
        for handle in self._files.values():
            handle.close()
        self._files.clear()
