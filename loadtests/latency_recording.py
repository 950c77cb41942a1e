"""Per-process latency histograms in a Locust run, brought to the master, written to the run directory.

Every Locust process that runs users keeps HdrHistograms: in the open model (``--plsync-rate``) response
time, service time, schedule lag and dispatch lag (loadtests/open_load.py); in the closed model, the
service time of every request Locust's request event reports. When its users have stopped (Locust's ``test_stop``, which
a worker also runs when its master tells it to quit), a worker sends its share to the master in the envelope
the ledger travels in (``record_stream``, kind ``hdr``: one record, final, with its total). The master registers
this kind beside the ledger's (``record_stream.streams_of``), so whichever bounded wait for the workers' final
batches runs first serves every kind; the local runner or the master then writes them all,
still encoded and per process, to ``--plsync-hdr-out``: any percentile can be recomputed from that file.
Locust's own statistics are untouched and remain what its web UI shows.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gevent
from locust import events
from locust.env import Environment
from locust.runners import MasterRunner, WorkerRunner

from loadtests.arrivals import ArrivalPlan, parse_rate
from loadtests.histograms import LatencyHistogram
from loadtests.intervals import Intervals, Phases
from loadtests.open_load import OpenLoad
from loadtests.record_stream import Batch, BatchSender, StreamCollector, StreamKind, message_type, streams_of

KIND = "hdr"
#: How long a master that streams no ledger waits for the shares it has not received yet.
WAIT_FOR_SHARES_S = 10.0
#: Between the master's test start and the shared schedule's start: time for the spawn messages to arrive.
SCHEDULE_HEADROOM_S = 0.5


@events.init_command_line_parser.add_listener
def add_arguments(parser: Any) -> None:
    env = os.environ.get
    parser.add_argument("--plsync-rate", default=env("PLSYNC_RATE", ""), include_in_web_ui=True,
                        help="Open model: the offered rate (e.g. 800/s) taken by at most -u users; empty: closed")
    parser.add_argument("--plsync-arrivals", default=env("PLSYNC_ARRIVALS", "constant"), help="constant or poisson")
    parser.add_argument("--plsync-late-limit", type=float, default=float(env("PLSYNC_LATE_LIMIT", "5")),
                        help="Seconds a request may start late before it is dropped (counted, not sent)")
    parser.add_argument("--plsync-arrival-seed", type=int, default=int(env("PLSYNC_ARRIVAL_SEED", "42")))
    parser.add_argument("--plsync-rate-stages", default=env("PLSYNC_RATE_STAGES", "steady"))
    parser.add_argument("--plsync-rate-run-time", type=float, default=float(env("PLSYNC_RATE_RUN_TIME", "0")),
                        help="Seconds the rate stages span (the run time)")
    parser.add_argument("--plsync-warmup", type=float, default=float(env("PLSYNC_WARMUP", "0")),
                        help="Open model: seconds of schedule left out of the figures")
    parser.add_argument("--plsync-workers", type=int, default=int(env("PLSYNC_WORKERS", "0")),
                        help="Open model: how many workers share the schedule (0: local)")
    parser.add_argument("--plsync-schedule-epoch", type=float, default=0.0,
                        help="Set by the master: the wall-clock start of the schedule every worker shares")
    parser.add_argument("--plsync-hdr-out", default=env("PLSYNC_HDR_OUT"), help="Where the histograms go (JSON)")
    parser.add_argument("--plsync-intervals-out", default=env("PLSYNC_INTERVALS_OUT"),
                        help="Open model, local runner: where the per-second counts go (JSON; loadtests/intervals.py)")
    parser.add_argument("--plsync-phases", default=env("PLSYNC_PHASES", ""),
                        help="With --plsync-intervals-out: the overload's start,end in seconds of the schedule")


class LatencyRecording:
    """One per Locust process: the open model's load (None in the closed model) and the closed histogram."""

    def __init__(self) -> None:
        self.plan: ArrivalPlan | None = None
        self.load: OpenLoad | None = None
        self.closed = LatencyHistogram()
        self.failures = 0
        self.shares: list[dict[str, Any]] = []
        self.environment: Environment | None = None
        #: Master side: the workers' shares, each one final batch of kind ``hdr``.
        self.collector = StreamCollector(KIND, lambda _worker, records: self.shares.extend(records))
        self.expected = 0
        #: Per-second counts of an overload run (local runner, open model), or None.
        self.intervals: Intervals | None = None

    def handle(self, node_id: str, data: dict[str, Any]) -> None:
        batch = Batch.from_message(data)  # Locust's sender is the authority on who sent it
        self.collector.receive(Batch(batch.kind, node_id, batch.seq, batch.records, batch.final, batch.total,
                                     batch.error))

    def settled(self) -> bool:
        """Every expected worker's share arrived, or every worker that did not send one is gone."""
        finals = sum(s.final_total is not None for s in self.collector.workers.values())
        return finals >= self.expected or (len(self.collector.workers) >= self.expected and
                                           self.collector.settled())

    def run(self, call: Callable[[], Any]) -> None:
        """One request: in the closed model at once, in the open model in the schedule's next slot."""
        if self.plan is None:
            call()
        elif self.load is None:
            gevent.sleep(0.05)  # the schedule starts once every user has been spawned
        else:
            self.load.serve(call)

    def snapshot(self, worker: int) -> dict[str, Any]:
        if self.load is not None:
            share = self.load.snapshot()
        else:
            share = {"worker": worker, "counts": {"completed": self.closed.count},
                     "clamped": self.closed.clamped, "histograms": {"service": self.closed.encode()}}
        return {**share, "failures": self.failures}

    def document(self, environment: Environment) -> dict[str, Any]:
        opts = environment.parsed_options
        expected = int(opts.expect_workers) if isinstance(environment.runner, MasterRunner) else 1
        return {"schema": 1, "model": "open" if self.plan else "closed", "unit": "us",
                "plan": None if self.plan is None else vars(self.plan) | {"run_time_s": opts.plsync_rate_run_time},
                "expected_processes": expected, "processes": self.shares}


def _plan_from(opts: Any) -> ArrivalPlan | None:
    if not opts.plsync_rate:
        return None
    return ArrivalPlan(parse_rate(opts.plsync_rate), opts.plsync_arrivals, int(opts.num_users or 1),
                       float(opts.plsync_late_limit), int(opts.plsync_arrival_seed), opts.plsync_rate_stages,
                       float(opts.plsync_warmup))


def register_latency_recording() -> LatencyRecording:
    rec = LatencyRecording()

    @events.init.add_listener
    def on_init(environment: Environment, **_kw: Any) -> None:
        rec.environment = environment
        runner = environment.runner
        if isinstance(runner, MasterRunner):
            rec.expected = int(environment.parsed_options.expect_workers) if environment.parsed_options else 0
            environment.events.worker_connect.add_listener(lambda client_id, **_k: rec.collector.known(client_id))
            # Registered with the ledger's kinds: whichever wait runs first at the end serves them all.
            streams_of(runner).add(runner, StreamKind(
                message_type(KIND), rec.handle, rec.settled, rec.collector.worker_quit,
                lambda: [w for w, s in rec.collector.workers.items() if s.final_total is None]))
        if environment.parsed_options is not None:
            rec.plan = _plan_from(environment.parsed_options)

    @events.test_start.add_listener
    def on_test_start(environment: Environment, **_kw: Any) -> None:
        """The schedule starts with the test (the pool is spawned at ten times its size per second, so in well
        under a second). Not at Locust's spawning_complete: a master announces that to its workers only once
        every worker has reported its users, seconds later on a loaded machine, or never in a short run."""
        opts = environment.parsed_options
        if opts is not None and isinstance(environment.runner, MasterRunner) and opts.plsync_rate:
            # Sent to the workers with the spawn message that follows: one schedule, one start, for all.
            opts.plsync_schedule_epoch = time.time() + SCHEDULE_HEADROOM_S
        if opts is None or isinstance(environment.runner, MasterRunner) or rec.load is not None:
            return
        rec.plan = _plan_from(opts)  # on a worker: from the options the master just sent
        if rec.plan is None:
            return
        worker = isinstance(environment.runner, WorkerRunner)
        if opts.plsync_intervals_out and opts.plsync_phases and not worker:
            rec.intervals = Intervals(Phases.decode(opts.plsync_phases))
        rec.load = OpenLoad(rec.plan, float(opts.plsync_rate_run_time or opts.run_time or 0),
                            worker=max(environment.runner.worker_index, 0) if worker else 0,
                            workers=int(opts.plsync_workers or opts.expect_workers or 1) if worker else 1,
                            intervals=rec.intervals)
        rec.load.start(float(opts.plsync_schedule_epoch or 0.0) if worker else None)

    @events.request.add_listener
    def on_request(response_time: float, exception: BaseException | None = None, **_kw: Any) -> None:
        if exception is not None:
            rec.failures += 1
        if rec.plan is None:
            rec.closed.record(int(response_time * 1000))

    @events.test_stopping.add_listener
    def on_stopping(**_kw: Any) -> None:
        if rec.load is not None:
            rec.load.stop()

    @events.test_stop.add_listener
    def on_stop(environment: Environment, **_kw: Any) -> None:
        runner = environment.runner
        if isinstance(runner, WorkerRunner):
            sender = BatchSender(KIND, runner.client_id, runner.send_message)
            sender.add(rec.snapshot(runner.worker_index))
            sender.finish()
        elif not isinstance(runner, MasterRunner) and not rec.shares:
            rec.shares.append(rec.snapshot(0))

    @events.quitting.add_listener
    def on_quitting(environment: Environment, **_kw: Any) -> None:
        out = environment.parsed_options.plsync_hdr_out if environment.parsed_options else None
        runner = environment.runner
        if isinstance(runner, MasterRunner):  # every kind's final batches (returns at once when all are in)
            streams_of(runner).wait(runner.server,
                                    lambda node, data: environment.events.worker_report.fire(client_id=node, data=data),
                                    (environment.stop_timeout or 0.0) + WAIT_FOR_SHARES_S)
        if out and not isinstance(runner, WorkerRunner):
            Path(out).parent.mkdir(parents=True, exist_ok=True)
            Path(out).write_text(json.dumps(rec.document(environment)) + "\n")
        intervals_out = environment.parsed_options.plsync_intervals_out if environment.parsed_options else None
        if intervals_out and rec.intervals is not None:
            Path(intervals_out).write_text(json.dumps({"schema": 1, "processes": [rec.intervals.snapshot()]}) + "\n")

    return rec
