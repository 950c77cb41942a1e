"""Every strategy, same single-threaded operations, same outcome; and the registry's rules."""

from __future__ import annotations

import pytest

from fixtures.population import add_students
from fixtures.reset import truncate_data
from system.config import SystemConfig
from system.db import Database
from system.errors import ConfigurationError
from system.services.types import AdvanceLicenseRequest, Direction, LevelUpRequest
from system.strategies import strategy_names
from system.strategies.base import Strategy, register
from tests.helpers import pair_state, strategy

ALL = strategy_names()


def run_sequence(impl: Strategy, user: int, other: int) -> list[tuple[int, int | None]]:
    """A fixed script touching every operation: level-ups (single and multi-level, COACH hours),
    a capped max level, license advances both ways, and syncs."""
    seen = []
    for request in (
        LevelUpRequest(user, "PLAYER", 400, 3),
        LevelUpRequest(user, "PLAYER", 200, 3),            # reaches level 2
        LevelUpRequest(user, "PLAYER", 5000, 30),          # jumps to level 5
        LevelUpRequest(user, "COACH", 700, 5, 5, 5),       # XP but not the hours: stays at 1
        LevelUpRequest(user, "COACH", 0, 0, 10, 12),       # hours arrive: level 2
        LevelUpRequest(user, "INTERNSHIP", 100_000, 100),  # capped at the database's max, 3
        LevelUpRequest(other, "PLAYER", 17_000, 72),       # straight to 8
        LevelUpRequest(other, "PLAYER", 1, 0),             # at max: stays 8
    ):
        result = impl.level_up(request)
        seen.append((result.level, result.license_level))
    impl.advance_license(AdvanceLicenseRequest(user, "PLAYER", 7, reason="exam"))
    impl.advance_license(AdvanceLicenseRequest(other, "PLAYER", 6, reason="correction"))
    impl.sync(user, "COACH", Direction.PROGRESS_TO_LICENSE)
    impl.sync(user, "PLAYER", Direction.LICENSE_TO_PROGRESS)
    return seen


def test_every_strategy_gives_the_same_result_for_the_same_sequence(db: Database, config: SystemConfig) -> None:
    results = {}
    for name in ALL:
        with db.transaction() as session:
            truncate_data(session)
            user, other = add_students(session, 2, seed=3, specializations=("PLAYER", "COACH", "INTERNSHIP"))
        with strategy(name, db, config) as impl:
            levels = run_sequence(impl, user, other)
        results[name] = (levels, pair_state(db))
    reference = results["coupled"]
    assert [lvl for lvl, _ in reference[0]] == [1, 2, 5, 1, 2, 3, 8, 8]
    for name, outcome in results.items():
        assert outcome[1] == reference[1], f"{name} ended in a different state than coupled"
        assert [lvl for lvl, _ in outcome[0]] == [lvl for lvl, _ in reference[0]], name


def test_unknown_strategy_is_a_configuration_error(db: Database, config: SystemConfig) -> None:
    with pytest.raises(ConfigurationError, match=r"unknown strategy 'optimistic'.*legacy"), \
            strategy("optimistic", db, config):
        pass


def test_registry_refuses_a_second_strategy_with_a_taken_name() -> None:
    class Impostor(Strategy):
        name = "coupled"
        description = "duplicate"

    with pytest.raises(ValueError, match="registered twice"):
        register(Impostor)
    assert strategy_names() == ["legacy", "coupled", "advisory", "redis", "redis_fenced", "serializable", "trigger"]
