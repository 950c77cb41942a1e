"""What both locustfiles share: their command-line flags, the per-process swarm context, the ledger,
and the JSON summary written when a run ends (by the local runner or the master).

Distributed, the master's options reach every worker with the spawn message and replace the worker's own
(Locust copies every custom flag): what to run (strategy, workload, specialization) comes from the master;
what is specific to the host (the database and Redis URLs, the API secret) is read once at start-up and kept.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import random
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import gevent
import gevent.event
from locust import events
from locust.env import Environment
from locust.runners import MasterRunner, WorkerRunner
from sqlalchemy import create_engine, text

from loadtests.history_stream import KIND as HISTORY_KIND
from loadtests.history_stream import MasterHistory, StreamingHistory
from loadtests.ledger_sink import LedgerSink, read_ledgers
from loadtests.ledger_stream import MODES, MasterLedger, StreamingLedger, write_manifest
from loadtests.record_stream import message_type, streams_of
from loadtests.workloads import Workload, workload_named
from plsync.records.swarms import LedgerStreamRecord
from scenarios.ledger import LedgerEntry, Outcome
from scenarios.read_history import HistorySink, ReadRecord, WriteRecord
from scenarios.read_modes import ReadMode, modes_for_transport
from system.config import parse_database_url
from system.errors import ConfigurationError


@events.init_command_line_parser.add_listener
def add_arguments(parser: Any) -> None:
    env = os.environ.get
    parser.add_argument("--plsync-strategy", default=env("PLSYNC_STRATEGY", "coupled"), include_in_web_ui=True)
    parser.add_argument("--plsync-workload", default=env("PLSYNC_WORKLOAD", "uniform"), include_in_web_ui=True)
    parser.add_argument("--plsync-stages", default=env("PLSYNC_STAGES", "steady"), include_in_web_ui=True)
    parser.add_argument("--plsync-hot-students", type=int, default=int(env("PLSYNC_HOT_STUDENTS", "0")) or None)
    parser.add_argument("--plsync-specialization", default=env("PLSYNC_SPECIALIZATION", "PLAYER"))
    parser.add_argument("--plsync-database-url", default=env("PLSYNC_DATABASE_URL"), include_in_web_ui=False)
    parser.add_argument("--plsync-redis-url", default=env("PLSYNC_REDIS_URL"), include_in_web_ui=False)
    parser.add_argument("--plsync-api-secret", default=env("PLSYNC_API_SECRET"), include_in_web_ui=False,
                        help="The API's token secret (HTTP users mint their tokens with it)")
    parser.add_argument("--plsync-ledger-dir", default=env("PLSYNC_LEDGER_DIR", "runs/locust-ledger"),
                        help="Where the ledger is written: by this process, or, distributed, by the master")
    parser.add_argument("--plsync-ledger-mode", default=env("PLSYNC_LEDGER_MODE", "stream"), choices=MODES,
                        help="Distributed: stream (workers send their ledgers to the master) or local (each "
                             "worker writes its own, on a disk the master must share)")
    parser.add_argument("--plsync-stats-out", default=env("PLSYNC_STATS_OUT"), help="JSON summary path")
    parser.add_argument("--plsync-pool-size", type=int, default=int(env("PLSYNC_POOL_SIZE", "0")))
    parser.add_argument("--plsync-read-modes", default=env("PLSYNC_READ_MODES", ""),
                        help="Comma-separated read modes the read operation rotates through (default: every "
                             "mode of the transport)")


class LedgerWriter(Protocol):
    def record(self, entry: LedgerEntry) -> None: ...
    def close(self) -> None: ...


@dataclass
class SwarmContext:
    """One per Locust process (local or worker): who to hit, what to do, where the ledger goes."""

    options: Any
    students: list[int]
    staff_id: int
    workload: Workload
    ledger: LedgerWriter
    specialization: str
    #: What readers saw and writers moved, with their time windows (scenarios/read_history.py): a file of this
    #: process's, or, on a distributed worker, streamed to the master.
    history: HistorySink | StreamingHistory | None = None
    read_modes: tuple[ReadMode, ...] = ()
    strategy: str = "coupled"
    #: This host's own settings, as given at start-up (a master's spawn message replaces ``options``' values).
    database_url: str = ""
    redis_url: str | None = None
    api_secret: str | None = None
    #: Why this process refused the run it was given (a worker's final batch carries it to the master).
    refused: str | None = None

    def pick_student(self, rng: random.Random) -> int:
        pool = self.students[: self.workload.hot_students] if self.workload.hot_students else self.students
        return rng.choice(pool)

    def pick_operation(self, rng: random.Random) -> str:
        ops, weights = zip(*self.workload.weights.items(), strict=True)
        return rng.choices(ops, weights=weights)[0]

    def record(self, operation: str, user_id: int, xp: int, outcome: Outcome, latency_s: float,
               attempts: int = 1, error: str | None = None) -> None:
        self.ledger.record(LedgerEntry(operation, user_id, self.specialization, xp, outcome, latency_s, attempts,
                                       error))

    def pick_read_mode(self, rng: random.Random) -> ReadMode:
        return rng.choice(self.read_modes)

    def record_read(self, record: ReadRecord) -> None:
        if self.history is not None:
            self.history.read(record)

    def record_write(self, record: WriteRecord) -> None:
        if self.history is not None:
            self.history.write(record)


def population_of(database_url: str, specialization: str) -> tuple[list[int], int]:
    engine = create_engine(parse_database_url(database_url))
    try:
        with engine.connect() as conn:
            students = list(conn.execute(text(
                "SELECT student_id FROM specialization_progress WHERE specialization_id = :s ORDER BY student_id"),
                {"s": specialization}).scalars())
            staff = conn.execute(text("SELECT id FROM users WHERE role = 'admin' ORDER BY id LIMIT 1")).scalar()
    finally:
        engine.dispose()
    if not students or staff is None:
        raise SystemExit("plsync: the database has no students with progress, or no admin: seed it first")
    return students, int(staff)


class _Pending:
    """A worker's ledger before its first test starts: the master's spawn message decides where entries go."""

    def record(self, entry: LedgerEntry) -> None:
        raise RuntimeError("a ledger entry before the test started")

    def close(self) -> None:
        pass


def _read_modes(transport: str, names: str) -> tuple[ReadMode, ...]:
    try:
        return tuple(modes_for_transport(transport, [m for m in names.split(",") if m] or None))
    except ConfigurationError as exc:
        raise SystemExit(f"plsync: {exc}") from None


def build_context(environment: Environment, transport: str = "direct") -> SwarmContext | None:
    if isinstance(environment.runner, MasterRunner):
        return None  # the master runs no users
    opts = environment.parsed_options
    if not opts.plsync_database_url:
        raise SystemExit("plsync: set PLSYNC_DATABASE_URL or --plsync-database-url (e.g. from `plsync db up`)")
    students, staff = population_of(opts.plsync_database_url, opts.plsync_specialization)
    worker = _is_worker(environment)
    ledger: LedgerWriter = _Pending() if worker else LedgerSink(Path(opts.plsync_ledger_dir))
    history = None if worker else HistorySink(Path(opts.plsync_ledger_dir))
    return SwarmContext(opts, students, staff, workload_named(opts.plsync_workload, opts.plsync_hot_students),
                        ledger, opts.plsync_specialization, history,
                        _read_modes(transport, opts.plsync_read_modes), opts.plsync_strategy,
                        opts.plsync_database_url, opts.plsync_redis_url, opts.plsync_api_secret)


def adopt_master_options(ctx: SwarmContext, environment: Environment, own_ledger_dir: str,
                         transport: str = "direct") -> None:
    """On a worker at each test's start: the workload and the ledger's way as the master says (its options have
    just replaced this worker's), the database this worker was started with."""
    opts = environment.parsed_options
    if opts.plsync_specialization != ctx.specialization:
        ctx.students, ctx.staff_id = population_of(ctx.database_url, opts.plsync_specialization)
        ctx.specialization = opts.plsync_specialization
    ctx.workload = workload_named(opts.plsync_workload, opts.plsync_hot_students)
    ctx.read_modes, ctx.strategy = _read_modes(transport, opts.plsync_read_modes), opts.plsync_strategy
    if isinstance(ctx.ledger, StreamingLedger):
        ctx.ledger.sender.start()  # a further test on the same worker: the stream goes on, numbered on
        if isinstance(ctx.history, StreamingHistory):
            ctx.history.sender.start()
        return
    if isinstance(ctx.ledger, LedgerSink):
        return
    runner = environment.runner
    assert isinstance(runner, WorkerRunner)
    if opts.plsync_ledger_mode == "stream":
        ctx.ledger = StreamingLedger(runner.client_id, runner.send_message)
        ctx.history = StreamingHistory(runner.client_id, runner.send_message)
    else:
        ctx.ledger, ctx.history = LedgerSink(Path(own_ledger_dir)), HistorySink(Path(own_ledger_dir))


def stats_summary(environment: Environment) -> dict[str, Any]:
    stats = environment.stats
    operations = {}
    for entry in stats.entries.values():
        operations[entry.name] = {
            "requests": entry.num_requests, "failures": entry.num_failures,
            "rps": entry.total_rps, "p50_ms": entry.get_response_time_percentile(0.5),
            "p95_ms": entry.get_response_time_percentile(0.95), "p99_ms": entry.get_response_time_percentile(0.99),
            "avg_ms": entry.avg_response_time, "max_ms": entry.max_response_time,
        }
    total = stats.total
    return {"operations": operations, "requests": total.num_requests, "failures": total.num_failures,
            "rps": total.total_rps, "p50_ms": total.get_response_time_percentile(0.5),
            "p95_ms": total.get_response_time_percentile(0.95), "p99_ms": total.get_response_time_percentile(0.99),
            "errors": [{"name": e.name, "error": str(e.error)[:300], "occurrences": e.occurrences}
                       for e in stats.errors.values()]}


#: How long a worker's first test waits for its own setup (the population, the strategy's pool) before it refuses.
SETUP_WAIT_S = 120.0


def register_setup_done(environment_holder: dict[str, Any]) -> None:
    """Call once a locustfile has registered its last ``init`` listener: from then on the process's setup is
    done. A worker connects to its master before Locust fires ``init``, and with cooperative database calls
    (psycogreen) its message loop runs while the setup waits on the database: a spawn arriving then would start
    users with no context or strategy. ``register_lifecycle``'s ``test_start`` waits for this."""
    done = environment_holder.setdefault("setup_done", gevent.event.Event())
    events.init.add_listener(lambda **_kw: done.set())


def _wait_for_setup(environment: Environment, environment_holder: dict[str, Any]) -> bool:
    """On a worker, before its test starts: wait (bounded) for its own setup; False when it never finished."""
    done = environment_holder.setdefault("setup_done", gevent.event.Event())
    if done.wait(timeout=SETUP_WAIT_S):
        return True
    logging.getLogger("plsync").error("plsync: this worker's setup did not finish within %.0f s: it leaves the run",
                                      SETUP_WAIT_S)
    environment.process_exit_code = 2
    gevent.spawn(environment.runner.quit)
    return False


def freeze_what_lasts(environment: Environment) -> None:
    """Keep what lives as long as the run out of the cyclic garbage collector's full collections: what is alive
    once the context is built (modules, Locust, the locustfile, the context), and the users and their
    connections once they are spawned.

    A full collection stops every user at once: no slot is dispatched and no reply read while it lasts, and
    the open model counts it in the latency of every request in flight. In a standard overload run the Locust
    process made 41 of them, 4.8 s in all and up to 163 ms each, over about 185,000 objects (30,000 of them
    functions) that mostly never change; with these frozen, 42 took 1.4 s and at most 67 ms, and the dispatch
    lag's p99 fell from 113-371 ms to 22-36 ms (four runs). The API freezes its own alike (system.api.server)."""
    gc.collect()
    gc.freeze()
    environment.events.spawning_complete.add_listener(lambda **_kw: gc.freeze())


def register_lifecycle(environment_holder: dict[str, Any], transport: str = "direct") -> None:
    """Hook the context into Locust's init, and the summary and ledger flush into its shutdown. The locustfile
    calls ``register_setup_done`` after its own ``init`` listeners."""

    master: dict[str, MasterLedger] = {}

    @events.init.add_listener
    def on_init(environment: Environment, **_kw: Any) -> None:
        environment_holder["ctx"] = build_context(environment, transport)
        freeze_what_lasts(environment)
        runner, opts = environment.runner, environment.parsed_options
        if isinstance(runner, MasterRunner) and opts is not None and opts.plsync_ledger_mode == "stream":
            ledger = master["ledger"] = MasterLedger(Path(opts.plsync_ledger_dir))
            # The history beside the ledger, where the read checker reads it; judged with it.
            history = ledger.companions[message_type(HISTORY_KIND)] = MasterHistory(Path(opts.plsync_ledger_dir))
            for receiver in (ledger, history):
                streams_of(runner).add(runner, receiver.kind(runner))
                environment.events.worker_connect.add_listener(receiver.connected)
        if isinstance(runner, WorkerRunner) and opts is not None:
            environment_holder["own_ledger_dir"] = opts.plsync_ledger_dir
            # The master names workers by Locust's id: say it here, where whoever started this worker can see it.
            print(f"plsync: worker {runner.client_id} (pid {os.getpid()})", file=sys.stderr, flush=True)

    @events.test_start.add_listener
    def on_test_start(environment: Environment, **_kw: Any) -> None:
        # The first test_start listener: every later one (and the users) see this process's setup done.
        if _is_worker(environment) and not _wait_for_setup(environment, environment_holder):
            return
        ctx = environment_holder.get("ctx")
        if ctx is not None and _is_worker(environment):
            adopt_master_options(ctx, environment, environment_holder["own_ledger_dir"], transport)

    @events.test_stop.add_listener
    def on_test_stop(environment: Environment, **_kw: Any) -> None:
        ctx = environment_holder.get("ctx")
        # Every user has ended (Locust joined their greenlets): the worker's last entries are in the buffer.
        if ctx is not None and isinstance(ctx.ledger, StreamingLedger):
            ctx.ledger.finish(ctx.refused)
        if ctx is not None and isinstance(ctx.history, StreamingHistory):
            ctx.history.finish(ctx.refused)

    @events.quitting.add_listener
    def on_quitting(environment: Environment, **_kw: Any) -> None:
        ctx = environment_holder.get("ctx")
        if ctx is not None:
            ctx.ledger.close()
            if ctx.history is not None:
                ctx.history.close()
        runner, opts = environment.runner, environment.parsed_options
        if "ledger" in master:
            # Before the summary: the workers' last statistics reports arrive during the same wait.
            master.pop("ledger").finish(runner, environment.stop_timeout or 0.0,
                                        lambda node, data: environment.events.worker_report.fire(client_id=node,
                                                                                                 data=data))
        elif isinstance(runner, MasterRunner) and opts is not None:
            write_manifest(Path(opts.plsync_ledger_dir), LedgerStreamRecord(mode="local"))
        out = environment.parsed_options.plsync_stats_out if environment.parsed_options else None
        if out and environment.runner is not None and not _is_worker(environment):
            Path(out).parent.mkdir(parents=True, exist_ok=True)
            Path(out).write_text(json.dumps(stats_summary(environment), indent=2) + "\n")


def _is_worker(environment: Environment) -> bool:
    return isinstance(environment.runner, WorkerRunner)


__all__ = ["SwarmContext", "read_ledgers", "register_lifecycle", "register_setup_done"]
