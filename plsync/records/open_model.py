"""Records of a swarm's lossless latency (HdrHistogram, merged over every Locust process), labelled with the
load model that produced it: the ``latency`` of a swarm record and each step of a capacity search."""

from __future__ import annotations

from plsync.records.base import Record


class LatencyFiguresRecord(Record):
    """Percentiles of one histogram, in ms, exact to 3 significant digits (keys ``p50``, ``p90``, ``p95``,
    ``p99``, ``p99_9``)."""

    count: int
    mean_ms: float | None
    percentiles_ms: dict[str, float]
    min_ms: float | None
    max_ms: float | None

    def get(self, label: str) -> float | None:
        return self.percentiles_ms.get(label)


class SlotCountsRecord(Record):
    """Every intended start of the open model, accounted for."""

    scheduled: int
    completed: int
    dropped_late: int
    unstarted_at_end: int
    in_flight_at_end: int


class ModelLatencyRecord(Record):
    """A swarm's latency figures with their model: ``open`` (response time from the intended start, service
    time from the send, schedule and dispatch lag, every slot accounted for) or ``closed`` (service time
    alone)."""

    model: str
    processes: int
    expected_processes: int
    failures: int
    response_time: LatencyFiguresRecord | None
    service_time: LatencyFiguresRecord
    schedule_lag: LatencyFiguresRecord | None = None
    dispatch_lag: LatencyFiguresRecord | None = None
    slots: SlotCountsRecord | None = None
    offered_rate_per_s: float | None = None
    achieved_rate_per_s: float | None = None
    schedule_s: float | None = None
    arrivals: str | None = None
    max_users: int | None = None
    late_limit_s: float | None = None
    clamped: int = 0
    #: The run file that holds the encoded histograms these figures were computed from.
    histogram_file: str = "histograms.json"
