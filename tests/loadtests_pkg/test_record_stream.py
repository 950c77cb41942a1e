"""Batches from workers to the master: every record arrives once, in order, or the worker is named incomplete."""

from __future__ import annotations

from typing import Any

import gevent

from loadtests.record_stream import Batch, BatchSender, StreamCollector, drain, message_type
from tests.loadtests_pkg.master_socket import Msg, Socket


class Wire:
    """Messages from the senders to the collector, as Locust's channel carries them (in order, or dropped)."""

    def __init__(self, drop: set[int] | None = None) -> None:
        self.sent: list[dict[str, Any]] = []
        self.drop = drop or set()

    def send(self, msg_type: str, data: dict[str, Any]) -> None:
        assert msg_type == "plsync_ledger"
        if len(self.sent) not in self.drop:
            self.sent.append(data)
        else:
            self.drop.discard(len(self.sent))
            self.sent.append({})  # keeps the count of what was sent; never delivered


def _deliver(wire: Wire, collector: StreamCollector) -> None:
    for data in wire.sent:
        if data:
            collector.receive(Batch.from_message(data))


def test_records_arrive_in_batches_with_a_final_total() -> None:
    wire, received = Wire(), []
    sender = BatchSender("ledger", "w1", wire.send, max_rows=3)
    for i in range(7):
        sender.add([i])
    sender.flush()  # 3 + 3 + 1
    sender.add([7])
    sender.finish()  # the last one, final, with the total
    collector = StreamCollector("ledger", lambda worker, rows: received.extend((worker, r[0]) for r in rows))
    _deliver(wire, collector)
    assert [len(Batch.from_message(d).records) for d in wire.sent] == [3, 3, 1, 1]
    assert [Batch.from_message(d).final for d in wire.sent] == [False, False, False, True]
    assert received == [("w1", i) for i in range(8)]
    assert collector.workers["w1"].complete and collector.incomplete() == {} and collector.settled()


def test_a_final_batch_larger_than_a_message_is_split() -> None:
    wire = Wire()
    sender = BatchSender("ledger", "w1", wire.send, max_rows=2)
    for i in range(5):
        sender.add([i])
    sender.finish()
    batches = [Batch.from_message(d) for d in wire.sent]
    assert [len(b.records) for b in batches] == [2, 2, 1] and [b.final for b in batches] == [False, False, True]
    assert batches[-1].total == 5


def test_a_lost_batch_names_the_worker() -> None:
    wire = Wire(drop={1})
    sender = BatchSender("ledger", "w1", wire.send, max_rows=2)
    for i in range(5):
        sender.add([i])
    sender.finish()
    collector = StreamCollector("ledger", lambda _w, _r: None)
    _deliver(wire, collector)
    assert collector.incomplete() == {"w1": "batch 2 arrived where 1 was due: a batch was lost"}


def test_a_worker_without_its_final_batch_is_incomplete() -> None:
    collector = StreamCollector("ledger", lambda _w, _r: None)
    collector.known("silent")  # connected, never sent anything
    collector.receive(Batch("ledger", "cut", 0, [[1], [2]]))
    collector.receive(Batch("ledger", "short", 0, [[1]], final=True, total=3))
    assert not collector.settled()
    collector.worker_quit("cut")
    assert collector.incomplete() == {
        "cut": "quit or fell silent before its final batch (2 records in 1 batches received)",
        "short": "sent 3 records, 1 arrived",
        "silent": "its final batch never arrived (0 records in 0 batches received)"}


def test_drain_waits_for_the_last_final_batch_then_stops() -> None:
    collector = StreamCollector("ledger", lambda _w, _r: None)
    collector.known("a"), collector.known("b")
    stats: list[str] = []
    final = Batch("ledger", "b", 0, [[1]], final=True, total=1).to_message()
    socket = Socket([Msg("stats", {}, "a"), Msg("quit", None, "a"), Msg("heartbeat", {}, "b"),
                     Msg(message_type("ledger"), final, "b"), Msg("stats", {}, "b")])
    waited = drain(socket, {message_type("ledger"): lambda node, data: collector.receive(Batch.from_message(data))},
                   collector.settled, collector.worker_quit, lambda node, _d: stats.append(node), timeout_s=5)
    assert waited < 1 and stats == ["a"]  # settled once b's final came: b's later report is not waited for
    assert collector.incomplete() == {
        "a": "quit or fell silent before its final batch (0 records in 0 batches received)"}


def test_drain_is_bounded_when_a_final_batch_never_comes() -> None:
    collector = StreamCollector("ledger", lambda _w, _r: None)
    collector.known("lost")
    waited = drain(Socket([]), {}, collector.settled, collector.worker_quit, lambda *_: None, timeout_s=0.3)
    assert 0.3 <= waited < 2 and "lost" in collector.incomplete()


def test_drain_does_not_outlast_a_worker_that_fell_silent() -> None:
    """A worker killed outright sends nothing, not even Locust's heartbeat: it is gone well before the bound."""
    collector = StreamCollector("ledger", lambda _w, _r: None)
    collector.known("killed")
    waited = drain(Socket([]), {}, collector.settled, collector.worker_quit, lambda *_: None, timeout_s=20,
                   known=lambda: ["killed"], silent_s=0.3)
    assert waited < 2 and collector.incomplete() == {
        "killed": "quit or fell silent before its final batch (0 records in 0 batches received)"}


def test_the_flusher_sends_on_its_own_and_a_further_test_continues_the_stream() -> None:
    wire = Wire()
    sender = BatchSender("ledger", "w1", wire.send)
    sender.start(every_s=0.05)
    sender.add([1])
    gevent.sleep(0.2)  # the user's greenlet never sends: the flusher did
    assert [Batch.from_message(d).records for d in wire.sent] == [[[1]]]
    sender.add([2])
    sender.finish()
    sender.start(every_s=0.05)  # the master starts another test on this worker
    sender.add([3])
    sender.finish()
    batches = [Batch.from_message(d) for d in wire.sent]
    # Where [2] travels depends on whether the flusher's timer came due before finish() stopped it (it may on a
    # busy machine): either in the first test's final batch or in a batch of its own before it. Either way the
    # sequence has no gap, each test ends with one final batch carrying the running total, nothing is repeated.
    assert [b.seq for b in batches] == list(range(len(batches)))
    assert [(b.final, b.total) for b in batches if b.final] == [(True, 2), (True, 3)]
    assert batches[-1].final and [r for b in batches for r in b.records] == [[1], [2], [3]]
    collector = StreamCollector("ledger", lambda _w, _r: None)
    _deliver(wire, collector)
    assert collector.incomplete() == {} and collector.workers["w1"].records == 3


def test_a_worker_that_refused_its_run_is_incomplete_even_with_a_final_batch() -> None:
    """Its final batch adds up (nothing was sent), but an empty ledger from a refusal is not "0 lost"."""
    wire = Wire()
    BatchSender("ledger", "w1", wire.send).finish("the master runs redis, which needs the Redis every worker shares")
    collector = StreamCollector("ledger", lambda _w, _r: None)
    _deliver(wire, collector)
    assert collector.settled() and collector.incomplete() == {
        "w1": "ended abnormally: the master runs redis, which needs the Redis every worker shares"}
