"""What both locustfiles share: their command-line flags, the per-process swarm context, the ledger,
and the JSON summary written when a run ends (by the local runner or the master)."""

from __future__ import annotations

import json
import os
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from locust import events
from locust.env import Environment
from locust.runners import MasterRunner
from sqlalchemy import create_engine, text

from loadtests.ledger_sink import LedgerSink, read_ledgers
from loadtests.workloads import Workload, workload_named
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
    parser.add_argument("--plsync-ledger-dir", default=env("PLSYNC_LEDGER_DIR", "runs/locust-ledger"))
    parser.add_argument("--plsync-stats-out", default=env("PLSYNC_STATS_OUT"), help="JSON summary path")
    parser.add_argument("--plsync-pool-size", type=int, default=int(env("PLSYNC_POOL_SIZE", "0")))
    parser.add_argument("--plsync-read-modes", default=env("PLSYNC_READ_MODES", ""),
                        help="Comma-separated read modes the read operation rotates through (default: every "
                             "mode of the transport)")


@dataclass
class SwarmContext:
    """One per Locust process (local or worker): who to hit, what to do, where to write the ledger."""

    options: Any
    students: list[int]
    staff_id: int
    workload: Workload
    ledger: LedgerSink
    specialization: str
    #: What readers saw and writers moved, with their time windows (scenarios/read_history.py).
    history: HistorySink | None = None
    read_modes: tuple[ReadMode, ...] = ()
    strategy: str = "coupled"

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


def build_context(environment: Environment, transport: str = "direct") -> SwarmContext | None:
    if isinstance(environment.runner, MasterRunner):
        return None  # the master runs no users
    opts = environment.parsed_options
    if not opts.plsync_database_url:
        raise SystemExit("plsync: set PLSYNC_DATABASE_URL or --plsync-database-url (e.g. from `plsync db up`)")
    engine = create_engine(parse_database_url(opts.plsync_database_url))
    try:
        with engine.connect() as conn:
            students = list(conn.execute(text(
                "SELECT student_id FROM specialization_progress WHERE specialization_id = :s ORDER BY student_id"),
                {"s": opts.plsync_specialization}).scalars())
            staff = conn.execute(text("SELECT id FROM users WHERE role = 'admin' ORDER BY id LIMIT 1")).scalar()
    finally:
        engine.dispose()
    if not students or staff is None:
        raise SystemExit("plsync: the database has no students with progress, or no admin: seed it first")
    try:
        modes = modes_for_transport(transport, [m for m in opts.plsync_read_modes.split(",") if m] or None)
    except ConfigurationError as exc:
        raise SystemExit(f"plsync: {exc}") from None
    return SwarmContext(opts, students, int(staff), workload_named(opts.plsync_workload, opts.plsync_hot_students),
                        LedgerSink(Path(opts.plsync_ledger_dir)), opts.plsync_specialization,
                        HistorySink(Path(opts.plsync_ledger_dir)), tuple(modes), opts.plsync_strategy)


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


def register_lifecycle(environment_holder: dict[str, SwarmContext | None], transport: str = "direct") -> None:
    """Hook the context into Locust's init, and the summary and ledger flush into its shutdown."""

    @events.init.add_listener
    def on_init(environment: Environment, **_kw: Any) -> None:
        environment_holder["ctx"] = build_context(environment, transport)

    @events.quitting.add_listener
    def on_quitting(environment: Environment, **_kw: Any) -> None:
        ctx = environment_holder.get("ctx")
        if ctx is not None:
            ctx.ledger.close()
            if ctx.history is not None:
                ctx.history.close()
        out = environment.parsed_options.plsync_stats_out if environment.parsed_options else None
        if out and environment.runner is not None and not _is_worker(environment):
            Path(out).parent.mkdir(parents=True, exist_ok=True)
            Path(out).write_text(json.dumps(stats_summary(environment), indent=2) + "\n")


def _is_worker(environment: Environment) -> bool:
    from locust.runners import WorkerRunner

    return isinstance(environment.runner, WorkerRunner)


__all__ = ["SwarmContext", "read_ledgers", "register_lifecycle"]
