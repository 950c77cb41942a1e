"""Consistency strategies, registered by name. Importing this package registers the six of the spec and
the remedies measured beside them (``redis_fenced``)."""

from system.strategies import legacy as _legacy  # noqa: F401, I001  (registration order = display order)
from system.strategies import coupled as _coupled  # noqa: F401
from system.strategies import redis_lock as _redis_lock  # noqa: F401
from system.strategies import redis_fenced as _redis_fenced  # noqa: F401
from system.strategies import serializable as _serializable  # noqa: F401
from system.strategies import trigger as _trigger  # noqa: F401
from system.strategies.base import (
    Strategy,
    StrategyContext,
    create_strategy,
    strategy_class,
    strategy_names,
)

__all__ = ["Strategy", "StrategyContext", "create_strategy", "strategy_class", "strategy_names"]
