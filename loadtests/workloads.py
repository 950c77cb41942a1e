"""What the swarm's users do, declared as data: operations with weights, and which students they hit."""

from __future__ import annotations

from dataclasses import dataclass

from system.errors import ConfigurationError

OPERATIONS = ("level_up", "sync", "read", "advance_license", "bulk_sync_dry_run")


@dataclass(frozen=True)
class Workload:
    name: str
    description: str
    weights: dict[str, int]
    #: None: every student; K: every user hammers the same K students (a hot spot).
    hot_students: int | None = None

    def __post_init__(self) -> None:
        unknown = set(self.weights) - set(OPERATIONS)
        if unknown or not self.weights or any(w <= 0 for w in self.weights.values()):
            raise ConfigurationError(f"workload {self.name}: bad weights {self.weights}")
        if self.hot_students is not None and self.hot_students < 1:
            raise ConfigurationError(f"workload {self.name}: hot_students must be positive")


WORKLOADS: dict[str, Workload] = {w.name: w for w in (
    Workload("uniform", "level-ups spread over every student", {"level_up": 1}),
    Workload("hotspot", "every user levels up the same 10 students", {"level_up": 1}, hot_students=10),
    Workload("sync_storm", "many concurrent syncs of the same pairs, with level-ups moving them",
             {"sync": 8, "level_up": 2}, hot_students=5),
    Workload("mixed", "mostly level-ups and reads, some admin license advances, an occasional bulk sync",
             {"level_up": 60, "read": 30, "advance_license": 8, "bulk_sync_dry_run": 2}),
    Workload("read_heavy", "half reads of the pair (in every chosen read mode), half level-ups, on 10 hot students",
             {"read": 1, "level_up": 1}, hot_students=10),
)}


def workload_named(name: str, hot_students: int | None = None) -> Workload:
    try:
        chosen = WORKLOADS[name]
    except KeyError:
        raise ConfigurationError(f"unknown workload {name!r} (choose from {', '.join(WORKLOADS)})") from None
    if hot_students is not None and chosen.hot_students is not None:
        return Workload(chosen.name, chosen.description, chosen.weights, hot_students)
    return chosen
