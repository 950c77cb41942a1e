"""A strategy ready to drive: its own engine (pool sized for the run) and the strategy instance."""

from __future__ import annotations

import dataclasses
from types import TracebackType

from sqlalchemy import text
from sqlalchemy.orm import Session

from system.config import SystemConfig
from system.db import Database
from system.strategies import Strategy, StrategyContext, create_strategy
from system.strategies.base import FaultPoint


class StrategyRunner:
    def __init__(self, config: SystemConfig, strategy_name: str, *, connections: int | None = None,
                 fault_point: FaultPoint | None = None, application_name: str | None = None) -> None:
        if connections is not None:
            config = dataclasses.replace(config, pool_size=connections, max_overflow=max(4, connections // 4))
        self.config = config
        self.db = Database.connect(config, application_name=application_name or f"plsync-{strategy_name}")
        try:
            self.strategy: Strategy = create_strategy(
                strategy_name, StrategyContext(db=self.db, config=config, fault_point=fault_point))
        except BaseException:
            self.db.dispose()
            raise

    @staticmethod
    def stored_xp(session: Session, user_id: int, specialization: str) -> int:
        return int(session.execute(text(
            "SELECT coalesce(sum(total_xp), 0) FROM specialization_progress "
            "WHERE student_id = :u AND specialization_id = :s"), {"u": user_id, "s": specialization}).scalar_one())

    def close(self) -> None:
        self.strategy.close()
        self.db.dispose()

    def __enter__(self) -> StrategyRunner:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
