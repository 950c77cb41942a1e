"""A master's end of a distributed run, driven through the real ``quitting`` listeners in Locust's order.

Run as ``python -m tests.loadtests_pkg.stream_wait_scenario DIR`` (Locust must be imported before anything else
in its process: it monkey-patches the standard library). The master's workers are connected and its message
loop has ended, as it has when ``quitting`` fires; its socket still holds every streamed kind, interleaved.
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from locust.event import Events
from locust.runners import MasterRunner

import loadtests.common
import loadtests.latency_recording
from loadtests.record_stream import Batch, message_type
from tests.loadtests_pkg.master_socket import Msg, Socket

WORKERS = ("w1", "w2")


class QuietMaster(MasterRunner):
    """A master without its sockets or greenlets: ``server`` holds what the workers still send."""

    def __init__(self, environment: Any, server: Socket) -> None:  # no super(): nothing to bind or spawn
        self.environment, self.server, self.custom_messages, self.greenlet = environment, server, {}, None
        self.clients = {w: SimpleNamespace(state="running") for w in WORKERS}  # type: ignore[assignment]


def batch(kind: str, worker: str, seq: int, records: list[Any], total: int | None = None) -> Msg:
    return Msg(message_type(kind), Batch(kind, worker, seq, records, total is not None, total).to_message(), worker)


#: The histograms' shares come before the last ledger and history batches: a wait for the shares alone ends
#: with batches of the other kinds taken off the socket and dropped, or still on it.
MESSAGES = [
    batch("ledger", "w1", 0, [["a"], ["b"], ["c"]]), batch("history", "w1", 0, [{"r": 1}]),
    batch("hdr", "w1", 0, [{"worker": 0}], total=1), batch("ledger", "w2", 0, [["d"]]),
    batch("hdr", "w2", 0, [{"worker": 1}], total=1), batch("ledger", "w1", 1, [["e"], ["f"]], total=5),
    batch("ledger", "w2", 1, [["g"]], total=2), batch("history", "w1", 1, [], total=1),
    batch("history", "w2", 0, [{"r": 2}], total=1)]


def main(directory: Path) -> None:
    events = Events()
    loadtests.common.events = events  # the listeners register on this run's own hooks
    loadtests.latency_recording.events = events
    loadtests.common.register_lifecycle({})
    loadtests.latency_recording.register_latency_recording()
    options = SimpleNamespace(plsync_ledger_mode="stream", plsync_ledger_dir=str(directory / "ledgers"),
                              plsync_stats_out=None, plsync_hdr_out=str(directory / "histograms.json"),
                              plsync_rate="", expect_workers=len(WORKERS), plsync_database_url="unused")
    environment = SimpleNamespace(events=events, parsed_options=options, stop_timeout=0.0, runner=None)
    environment.runner = QuietMaster(environment, Socket(list(MESSAGES)))
    events.init.fire(environment=environment, runner=environment.runner, web_ui=None)
    for worker in WORKERS:
        events.worker_connect.fire(client_id=worker)
    events.quitting.fire(environment=environment, reverse=True)  # Locust's order


if __name__ == "__main__":
    main(Path(sys.argv[1]))
