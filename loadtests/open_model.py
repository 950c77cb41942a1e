"""What a swarm's histograms say, labelled with the load model that produced them.

Read from the file the Locust processes wrote (loadtests/latency_recording.py: every process's counts and
encoded HdrHistograms), merged exactly. The open model's figures: response time (from the intended start:
what a user of the system lives through), service time (from the send), schedule lag (send - intended
start), dispatch lag (the generator's own lateness in getting to a slot), and every slot accounted for:
completed, dropped late, unstarted when the run ended, still in flight. The closed model has one figure,
the service time Locust timed, kept losslessly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loadtests.histograms import LatencyFigures, LatencyHistogram

HISTOGRAM_FILE = "histograms.json"
#: A generator that gets to its slots this late (p99) is the bottleneck itself, not the system.
GENERATOR_LAG_LIMIT_MS = 20.0


@dataclass(frozen=True)
class SlotCounts:
    """Every intended start of the open model, accounted for (none silently left out)."""

    scheduled: int
    completed: int
    dropped_late: int
    unstarted_at_end: int
    in_flight_at_end: int

    @property
    def dropped_ratio(self) -> float:
        """Slots that could not start within the late limit. Those cut off by the end of the run (due less
        than the late limit when it stopped) are counted apart: the end of a run, not the system, left them."""
        return self.dropped_late / self.scheduled if self.scheduled else 0.0


@dataclass(frozen=True)
class ModelLatency:
    """A swarm's lossless latency figures (ms, HdrHistogram, 3 significant digits), with their model."""

    model: str  # "open" or "closed"
    processes: int
    expected_processes: int
    failures: int
    #: Open: end - intended start. None in the closed model (it has no intended start).
    response_time: LatencyFigures | None
    #: End - send: all the closed model can see.
    service_time: LatencyFigures
    schedule_lag: LatencyFigures | None = None
    dispatch_lag: LatencyFigures | None = None
    slots: SlotCounts | None = None
    offered_rate_per_s: float | None = None
    achieved_rate_per_s: float | None = None
    schedule_s: float | None = None
    arrivals: str | None = None
    max_users: int | None = None
    late_limit_s: float | None = None
    #: Values past the histogram's range (one hour), clamped to it.
    clamped: int = 0
    histogram_file: str = HISTOGRAM_FILE

    @property
    def complete(self) -> bool:
        """Every process's share arrived (a worker that died would leave its requests unaccounted)."""
        return self.processes >= self.expected_processes

    @property
    def generator_limited(self) -> bool:
        """The generator itself fell behind its schedule: the step measures the generator, not the system."""
        p99 = self.dispatch_lag.get("p99") if self.dispatch_lag else None
        return p99 is not None and p99 > GENERATOR_LAG_LIMIT_MS


def merged(document: dict[str, Any], name: str) -> LatencyHistogram:
    return LatencyHistogram.decoded(p["histograms"][name] for p in document["processes"] if name in p["histograms"])


def summarize(document: dict[str, Any]) -> ModelLatency:
    processes = document["processes"]
    failures = sum(int(p.get("failures", 0)) for p in processes)
    clamped = sum(int(p.get("clamped", 0)) for p in processes)
    service = merged(document, "service").figures()
    if document["model"] != "open":
        return ModelLatency("closed", len(processes), document["expected_processes"], failures, None, service,
                            clamped=clamped)
    plan = document["plan"]
    counts = {key: sum(int(p["counts"].get(key, 0)) for p in processes) for key in (
        "scheduled", "completed", "dropped_late", "unstarted_at_end", "in_flight_at_end")}
    # The steady window: the schedule after its warm-up; the achieved rate sums every process's own rate.
    windows = [max(0.0, float(p["schedule_s"]) - float(p.get("warmup_s") or 0.0)) for p in processes]
    schedule_s = max(windows, default=0.0)
    achieved = sum(int(p["counts"]["completed"]) / w for p, w in zip(processes, windows, strict=True) if w)
    return ModelLatency(
        "open", len(processes), document["expected_processes"], failures, merged(document, "response").figures(),
        service, merged(document, "lag").figures(), merged(document, "dispatch").figures(), SlotCounts(**counts),
        float(plan["rate_per_s"]), achieved, schedule_s,
        plan["arrivals"], int(plan["max_users"]), float(plan["late_limit_s"]), clamped)


def read_summary(run_dir: Path) -> ModelLatency | None:
    """The figures of a swarm's histograms.json, read through its record (HISTOGRAMS): a file that does not fit
    the run directory's contract raises SchemaError rather than yielding figures."""
    from plsync.records.files import HISTOGRAMS

    path = run_dir / HISTOGRAM_FILE
    if not path.exists():
        return None
    record = HISTOGRAMS.decode(json.loads(path.read_text()), str(path))
    return summarize(record.model_dump(mode="json"))


def describe(latency: ModelLatency) -> list[str]:
    """Plain lines, each naming its model and percentile."""
    def fig(figures: LatencyFigures | None) -> str:
        if figures is None or not figures.count:
            return "none"
        return " ".join(f"{k}={v:.1f}ms" for k, v in figures.percentiles_ms.items() if k in ("p50", "p95", "p99")) \
            + f" max={figures.max_ms:.1f}ms"
    if latency.model == "closed":
        return [f"closed model: service time (from the send) {fig(latency.service_time)}"]
    slots = latency.slots
    assert slots is not None
    return [
        f"open model, {latency.arrivals} arrivals at {latency.offered_rate_per_s:g}/s offered, "
        f"{latency.achieved_rate_per_s:.1f}/s achieved, at most {latency.max_users} users",
        f"  response time (from the intended start) {fig(latency.response_time)}",
        f"  service time (from the send)            {fig(latency.service_time)}",
        f"  schedule lag (send - intended start)    {fig(latency.schedule_lag)}",
        f"  dispatch lag (the generator's own)      {fig(latency.dispatch_lag)}",
        f"  slots: {slots.scheduled} scheduled, {slots.completed} completed, {slots.dropped_late} dropped late "
        f"(> {latency.late_limit_s:g}s), {slots.unstarted_at_end} cut off by the end of the run, "
        f"{slots.in_flight_at_end} in flight at the end ({slots.dropped_ratio:.2%} dropped)",
    ]
