"""The system's time limits, handed from a parent process to its children through the environment (a
swarm's Locust workers and API, a CLI client frozen by a scenario): one table of names for all of them."""

from __future__ import annotations

from collections.abc import Mapping

from system.errors import ConfigurationError

#: Environment variable -> (SystemConfig field, type).
LIMIT_VARIABLES: dict[str, tuple[str, type[float] | type[int]]] = {
    "PLSYNC_LOCK_TIMEOUT_S": ("lock_timeout_s", float),
    "PLSYNC_REDIS_LOCK_TTL_S": ("redis_lock_ttl_s", float),
    "PLSYNC_IDLE_IN_TRANSACTION_TIMEOUT_MS": ("idle_in_transaction_timeout_ms", int),
}


def limits_from_env(env: Mapping[str, str]) -> dict[str, float | int]:
    """SystemConfig overrides named in ``env``; a malformed value is a configuration error."""
    found: dict[str, float | int] = {}
    for variable, (field, kind) in LIMIT_VARIABLES.items():
        raw = env.get(variable, "").strip()
        if not raw:
            continue
        try:
            found[field] = kind(raw)
        except ValueError:
            raise ConfigurationError(f"{variable}={raw!r} is not a {kind.__name__}") from None
    return found


def limits_to_env(overrides: Mapping[str, object]) -> dict[str, str]:
    """The environment that gives a child process these SystemConfig overrides (others are ignored)."""
    by_field = {field: variable for variable, (field, _) in LIMIT_VARIABLES.items()}
    return {by_field[k]: str(v) for k, v in overrides.items() if k in by_field}
