"""The nemesis fires where and as often as told; failed operations roll back whole."""

from __future__ import annotations

import threading

import pytest

from scenarios.nemesis import FaultPlan, InjectedFault, fail
from system.config import SystemConfig
from system.db import Database
from system.errors import InfrastructureError
from system.services.checkpoints import AFTER_SYNC_READ
from system.services.types import Direction, LevelUpRequest
from system.strategies import strategy_names
from tests.helpers import snapshot, strategy


def test_fault_plan_fires_once_or_once_per_thread() -> None:
    calls: list[str] = []
    plan = FaultPlan().at("p", lambda point, _s: calls.append(point))
    plan.at("q", lambda point, _s: calls.append(f"{point}-{threading.get_ident()}"), every_thread=True)
    plan("p", None)
    plan("p", None)
    plan("q", None)
    plan("q", None)
    worker = threading.Thread(target=plan, args=("q", None))
    worker.start()
    worker.join()
    assert calls[0] == "p" and len(calls) == 3 and calls[1] != calls[2]
    with pytest.raises(InjectedFault, match="boom at r"):
        FaultPlan().at("r", fail("boom"))("r", None)


@pytest.mark.parametrize("name", strategy_names())
def test_a_failed_sync_rolls_back_whole(name: str, db: Database, config: SystemConfig, students: list[int]) -> None:
    from sqlalchemy import text

    with db.transaction() as session:
        session.execute(text("UPDATE specialization_progress SET current_level = 3 WHERE student_id = :u "
                             "AND specialization_id = 'PLAYER'"), {"u": students[0]})
    before = snapshot(db)
    with strategy(name, db, config, fault_point=FaultPlan().at(AFTER_SYNC_READ, fail("disk full"))) as impl, \
            pytest.raises((InjectedFault, InfrastructureError)):
        impl.sync(students[0], "PLAYER", Direction.PROGRESS_TO_LICENSE)
    assert snapshot(db) == before


@pytest.mark.parametrize("name", [n for n in strategy_names() if n != "legacy"])
def test_progress_rolled_back_on_a_database_error_leaves_nothing(name: str, db: Database, config: SystemConfig,
                                                                 students: list[int]) -> None:
    from system.services.checkpoints import AFTER_PROGRESS_WRITE

    before = snapshot(db)
    with strategy(name, db, config, fault_point=FaultPlan().at(AFTER_PROGRESS_WRITE, fail("db error"))) as impl, \
            pytest.raises(InjectedFault):
        impl.level_up(LevelUpRequest(students[0], "PLAYER", 600, 6))
    assert snapshot(db) == before
