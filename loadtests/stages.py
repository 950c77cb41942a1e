"""Load over time, declared as stages: fractions of the run time and of the user count (no Locust import:
the harness reads these without being monkey-patched by gevent)."""

from __future__ import annotations

from dataclasses import dataclass

from system.errors import ConfigurationError


@dataclass(frozen=True)
class Stage:
    until: float  # fraction of the run time at which this stage ends
    users: float  # fraction of the requested users


STAGES: dict[str, tuple[Stage, ...]] = {
    "steady": (Stage(1.0, 1.0),),
    "ramp": (Stage(0.25, 0.25), Stage(0.5, 0.5), Stage(0.75, 0.75), Stage(1.0, 1.0)),
    "spike": (Stage(0.3, 0.25), Stage(0.6, 1.0), Stage(1.0, 0.25)),
}


def stages_named(name: str) -> tuple[Stage, ...]:
    """A named shape, or one written inline as ``until:users,...`` (``0.2:0.17,0.8:1,1:0.17``: a schedule
    built from measured figures, such as an overload run's, that no name could declare in advance)."""
    if ":" in name:
        return parse_stages(name)
    try:
        stages = STAGES[name]
    except KeyError:
        raise ConfigurationError(f"unknown stages {name!r} (choose from {', '.join(STAGES)}, or until:users,...)"
                                 ) from None
    return stages


def parse_stages(text: str) -> tuple[Stage, ...]:
    try:
        stages = tuple(Stage(float(until), float(users))
                       for until, users in (part.split(":") for part in text.split(",")))
    except ValueError:
        raise ConfigurationError(f"malformed stages {text!r} (until:users,..., e.g. 0.2:0.17,0.8:1,1:0.17)") from None
    validate(stages)
    return stages


def inline(stages: tuple[Stage, ...]) -> str:
    """The inline form ``stages_named`` reads back (through an environment variable to Locust)."""
    return ",".join(f"{s.until!r}:{s.users!r}" for s in stages)


def validate(stages: tuple[Stage, ...]) -> None:
    ends = [s.until for s in stages]
    if not ends or ends != sorted(ends) or ends[-1] != 1.0 or any(not 0 < s.users <= 1 for s in stages):
        raise ConfigurationError(f"stages must end at increasing fractions up to 1.0 with users in (0, 1]: {stages}")


for _stages in STAGES.values():
    validate(_stages)


def users_at(stages: tuple[Stage, ...], elapsed: float, run_time: float, users: int) -> int | None:
    """Users wanted ``elapsed`` seconds in, or None when the run is over."""
    if elapsed >= run_time:
        return None
    fraction = elapsed / run_time
    stage = next(s for s in stages if fraction < s.until)
    return max(1, round(stage.users * users))


