"""Every run file and its record: the one place a new file is declared.

To add a file: define its record (a ``Record`` subclass, in the module of its stage), add a ``RunFile`` here
and to ``RUN_FILES``; write it with ``RunDirectory.write_record(FILE, value)``; declare gates against it with
``FieldGate(name, FILE, "field", op, value)``. A change to a record that older files do not fit raises the
file's ``version`` and adds an upgrade from the old version (see ``_latency_v0``).
"""

from __future__ import annotations

from typing import Any

from plsync.records.base import RunFile, Upgrade
from plsync.records.benchmarks import BenchmarkRecord, BenchmarkSuiteRecord, ScaleFitRecord
from plsync.records.capacity import CapacityGateRecord, CapacityRecord, GeneratorStepRecord, HistogramsRecord
from plsync.records.overload import OverloadRecord
from plsync.records.reads import ReadsRecord, SwarmReadsRecord
from plsync.records.recovery import OrphansRecord, RecoveryStressRecord
from plsync.records.run import EnvironmentRecord, MigrateRecord, VerdictRecord
from plsync.records.scenarios import MatrixCellRecord
from plsync.records.soak import SoakPhaseRecord, SoakRecord
from plsync.records.stability import unstable_reasons
from plsync.records.strategies import ConcurrencyRecord, LatencyRecord
from plsync.records.swarms import BaselinesRecord, LedgerStreamRecord, SwarmRecord


def _same(body: Any) -> Any:
    """Version 0 (written before the contract) to 1: the same content, now with its schema version."""
    return body


def _latency_v0(body: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Version 0 had no ``unstable``: computed from the summary by pyperf's rule, as the producer now does."""
    return [item | {"unstable": unstable_reasons(count=item["samples"], mean=item["mean_ms"],
                                                 stdev=item["stdev_ms"], low=item["min_ms"], high=item["max_ms"])}
            for item in body]


def _soak_v1(body: dict[str, Any]) -> dict[str, Any]:
    """Version 1 repeated the RSS's growth and slope at the top level for the gates; version 2 keeps them once,
    nested (the gates read ``rss.growth_pct`` and ``rss.slope.significant``), each slope with its verdict."""
    flat = ("rss_growth_pct", "rss_slope_bytes_per_run", "rss_slope_p_value", "rss_slope_tolerance_bytes",
            "rss_slope_significant")
    upgraded = {key: value for key, value in body.items() if key not in flat}
    for name in ("rss", "uss", "traced"):
        upgraded[name] = body[name] | {"slope": _with_verdict(body[name]["slope"])}
    upgraded["duration_trend_ms_per_run"] = _with_verdict(body["duration_trend_ms_per_run"])
    return upgraded


def _swarm_v1(body: dict[str, Any]) -> dict[str, Any]:
    """Version 1 had no ``ledger_entries``: the sum of the ledger's counts by outcome (each entry has one)."""
    return body | {"ledger_entries": sum(body["ledger"].values())}


def _swarms_v1(body: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [_swarm_v1(item) for item in body]


def _with_verdict(slope: dict[str, Any]) -> dict[str, Any]:
    return slope | {"significant": slope["p_value"] is not None and slope["p_value"] < slope["alpha"]}


V0: dict[int, Upgrade] = {0: _same}

ENVIRONMENT = RunFile("environment", EnvironmentRecord, upgrades=V0)
MIGRATE = RunFile("migrate", MigrateRecord, upgrades=V0)
LATENCY = RunFile("latency", LatencyRecord, many=True, upgrades={0: _latency_v0})
CONCURRENCY = RunFile("concurrency", ConcurrencyRecord, many=True, upgrades=V0)
RECOVERY_STRESS = RunFile("recovery_stress", RecoveryStressRecord, many=True, upgrades=V0)
ORPHANS = RunFile("orphans", OrphansRecord, upgrades=V0)
SWARMS = RunFile("swarms", SwarmRecord, many=True, version=2, upgrades={0: _same, 1: _swarms_v1})
#: One swarm of ``plsync swarm``, in its strategy's folder.
SWARM = RunFile("swarm", SwarmRecord, version=2, upgrades={0: _same, 1: _swarm_v1})
BASELINES = RunFile("baselines", BaselinesRecord, upgrades=V0)
#: The read checker over one swarm, beside its ``swarm.json`` (``plsync swarm``, the ``reads`` stage's swarms).
SWARM_READS = RunFile("swarm_reads", SwarmReadsRecord)
#: The ``reads`` stage: every strategy, transport and read mode; ``reads_system`` the system's own modes only.
READS = RunFile("reads", ReadsRecord, many=True)
READS_SYSTEM = RunFile("reads_system", ReadsRecord, many=True)
#: A distributed swarm's ``ledgers/ledger_stream.json`` (the master's account of its workers' ledgers). It came
#: after the contract: no version 0 exists to upgrade.
LEDGER_STREAM = RunFile("ledger_stream", LedgerStreamRecord)
MATRIX = RunFile("matrix", MatrixCellRecord, many=True, upgrades=V0)
BENCHMARKS = RunFile("benchmarks", BenchmarkRecord, many=True, upgrades=V0)
BENCHMARK_SCALE = RunFile("benchmark_scale", ScaleFitRecord, many=True, upgrades=V0)
BENCHMARK_SUITE = RunFile("benchmark_suite", BenchmarkSuiteRecord, upgrades=V0)
SOAK = RunFile("soak", SoakRecord, version=2, upgrades={0: _same, 1: _soak_v1})
SOAK_PHASES = RunFile("soak_phases", SoakPhaseRecord, many=True, upgrades=V0)
VERDICT = RunFile("verdict", VerdictRecord, upgrades=V0)
#: The capacity search (``plsync capacity``, the readiness ``capacity`` stage) and the rows its gates judge.
#: They came after the contract: no version 0 exists to upgrade.
CAPACITY = RunFile("capacity", CapacityRecord)
CAPACITY_GATES = RunFile("capacity_gates", CapacityGateRecord, many=True)
#: An overload run (``plsync swarm --overload``, the readiness ``overload`` stage): figures, seconds, memory.
OVERLOAD = RunFile("overload", OverloadRecord)
#: A swarm's encoded HdrHistograms, per Locust process (written by Locust itself: loadtests/latency_recording.py).
HISTOGRAMS = RunFile("histograms", HistogramsRecord)
#: What the capacity search's generator did in one step (its CPU, requests, errors), in the step's directory.
GENERATOR_STEP = RunFile("generator_step", GeneratorStepRecord)

RUN_FILES: dict[str, RunFile[Any]] = {f.name: f for f in (
    ENVIRONMENT, MIGRATE, LATENCY, CONCURRENCY, RECOVERY_STRESS, ORPHANS, SWARMS, SWARM, BASELINES, SWARM_READS,
    READS, READS_SYSTEM, LEDGER_STREAM, MATRIX, BENCHMARKS, BENCHMARK_SCALE, BENCHMARK_SUITE, SOAK, SOAK_PHASES,
    VERDICT, CAPACITY, CAPACITY_GATES, HISTOGRAMS, GENERATOR_STEP, OVERLOAD)}


def run_file(name: str) -> RunFile[Any]:
    try:
        return RUN_FILES[name]
    except KeyError:
        raise KeyError(f"no run file {name!r} is declared (declared: {', '.join(RUN_FILES)})") from None
