"""Records of the ``swarms`` stage and ``plsync swarm`` (``swarms.json``, ``swarms/<strategy>/swarm.json``):
a Locust swarm judged by its ledger, the invariant checker and its thresholds; and the baselines measured in
the same run (``baselines.json``)."""

from __future__ import annotations

from pydantic import Field

from plsync.records.base import Record
from plsync.records.open_model import ModelLatencyRecord
from plsync.records.strategies import InvariantsRecord


class OperationStats(Record):
    """Locust's figures for one operation (closed model: percentiles of Locust's rounded buckets)."""

    requests: int
    failures: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    avg_ms: float
    max_ms: float


class TimelinePoint(Record):
    """Locust's aggregated stats at one second of the swarm."""

    t_s: int
    epoch: int
    users: int
    total_requests: int
    rps: float
    failures_per_s: float
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None


class GroupCost(Record):
    group: str
    processes: int
    user_us: float
    system_us: float
    cpu_us: float
    context_switches: float
    cores_busy: float


class CpuAccountRecord(Record):
    """CPU per request by process group over the swarm's steady window."""

    window_s: float
    requests: int
    groups: list[GroupCost] = Field(default_factory=list)

    def group(self, name: str) -> GroupCost | None:
        return next((g for g in self.groups if g.group == name), None)


class Freeze(Record):
    """One freeze of the pause nemesis: when (seconds into the swarm), which process, for how long."""

    at_s: float
    target: str
    pid: int
    #: None when the process was gone before it could be frozen (``gone``).
    frozen_s: float | None = None
    gone: bool = False


class NemesisRecord(Record):
    name: str
    redis_lock_ttl_s: float | None
    freezes: list[Freeze]


class SwarmRecord(Record):
    strategy: str
    workload: str
    transport: str
    users: int
    workers: int
    run_time_s: int
    requests: int
    failures: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    operations: dict[str, OperationStats]
    ledger: dict[str, int]
    #: Every entry of the ledger, whatever its outcome: none means the swarm judged nothing (no operation to
    #: lose), never a pass.
    ledger_entries: int
    retries: int
    deadlocks: int
    lost_xp: int
    unacknowledged_xp: int
    desynced_pairs: int
    max_open_transactions: int
    invariants: InvariantsRecord
    #: Everything that failed the swarm: thresholds and invariants.
    failures_of_gates: list[str] = Field(default_factory=list)
    timeline: list[TimelinePoint] = Field(default_factory=list)
    cpu: CpuAccountRecord | None = None
    remedy_for: str | None = None
    nemesis: NemesisRecord | None = None
    #: The latency and failure thresholds alone (loadtests/thresholds.py), apart from the invariants.
    threshold_failures: list[str] = Field(default_factory=list)
    #: Violations over every invariant judged (an incomplete run's ledger invariants are not).
    invariant_violations: int = 0
    #: Distributed: the workers whose ledger did not reach the master whole, with why. Non-empty, the run is
    #: incomplete: its ledger invariants are not judged and it never passes. Files written before distributed
    #: runs existed had no remote workers, hence the empty default.
    incomplete_workers: dict[str, str] = Field(default_factory=dict)
    #: Closed-model p95/p99 past their thresholds (loadtests/thresholds.py): reported, not gated. Older files
    #: had none measured apart, hence the empty default.
    closed_latency_findings: list[str] = Field(default_factory=list)
    #: Lossless latency from the swarm's HdrHistograms, labelled open or closed model; None when no histogram
    #: was written (files from before them).
    latency: ModelLatencyRecord | None = None


class LedgerStreamWorker(Record):
    """What the master received of one worker's ledger."""

    batches: int
    records: int
    #: The entry count the worker's final batch announced; None when no final batch arrived.
    final_total: int | None
    complete: bool


class LedgerStreamRecord(Record):
    """``ledgers/ledger_stream.json``, written by the master of a distributed swarm beside the ledger files it
    collected: per worker what arrived, and which workers are incomplete with why. The swarm's verdict reads it
    (``incomplete_workers``). The ledger files themselves are raw data (JSON lines of entries, read by the
    invariant checker), not records of the contract."""

    #: ``stream`` (the workers sent their entries to the master) or ``local`` (each wrote its own file where it
    #: ran; the master vouches for nothing).
    mode: str
    workers: dict[str, LedgerStreamWorker] = Field(default_factory=dict)
    incomplete: dict[str, str] = Field(default_factory=dict)
    #: How long the master waited for final batches after the test stopped.
    waited_s: float = 0.0


class BaselinesCpu(Record):
    direct: CpuAccountRecord | None
    http: CpuAccountRecord | None
    #: The trivial endpoint: what Locust and uvicorn cost per request before the API does anything.
    ceiling: CpuAccountRecord | None = None


class BaselinesRecord(Record):
    """The ceilings measured beside the swarms in the same run, and the swarms as ratios of them."""

    clients: int
    seconds: int
    strategy: str
    pgbench_tps: float
    swarm_rps: float
    http_swarm_rps: float
    http_ceiling_rps: float
    direct_vs_pgbench: float
    http_vs_direct: float
    http_vs_ceiling: float
    cpu: BaselinesCpu
