"""Process pauses: the cases are declared with margins, a real CLI process frozen by SIGSTOP behaves as the
matrix's stalled thread does, and whatever the nemesis freezes it thaws."""

from __future__ import annotations

import dataclasses
import signal
import subprocess
import threading
import time

import pytest
from sqlalchemy import text

from fixtures import children
from plsync.limits import limits_from_env, limits_to_env
from scenarios.freezer import FREEZE_AT, PauseNemesis, PauseSchedule, is_stopped, thaw, wait_until_stopped
from scenarios.pauses import LIMITS, PauseCase, PauseLimits
from system.config import SystemConfig
from system.db import Database
from system.errors import ConfigurationError
from system.services.checkpoints import AFTER_PROGRESS_READ
from system.services.types import LevelUpRequest
from tests.cli import PLSYNC, clean_env, wait_until
from tests.helpers import strategy


def test_pause_cases_keep_clear_of_every_limit() -> None:
    with pytest.raises(ValueError, match=r"within 0\.1s of redis_lock_ttl"):
        PauseCase("x", AFTER_PROGRESS_READ, LIMITS.redis_lock_ttl_s + 0.05, "too close to the lease")
    with pytest.raises(ValueError, match=r"redis_lock_ttl \+ lock_timeout"):
        PauseCase("x", AFTER_PROGRESS_READ, LIMITS.redis_lock_ttl_s + LIMITS.lock_timeout_s - 0.02, "d")
    with pytest.raises(ValueError, match="unknown checkpoint"):
        PauseCase("x", "somewhere", 0.3, "d")
    with pytest.raises(ValueError, match="lease must be the shortest"):
        PauseLimits(redis_lock_ttl_s=0.3, lock_timeout_s=0.35, idle_in_transaction_s=1.0)
    assert PauseCase("x", AFTER_PROGRESS_READ, 0.38, "d").sides() == {
        "redis_lock_ttl": "past", "lock_timeout": "within", "idle_in_transaction_session_timeout": "within",
        "redis_lock_ttl + lock_timeout": "within"}
    with pytest.raises(ValueError, match="shorter than every pause"):
        PauseSchedule("p", 0, (0.4, 1.0), (0, 1), redis_lock_ttl_s=0.5)
    with pytest.raises(ValueError, match="drop the worker"):
        PauseSchedule("p", 0, (1.0, 4.0), (0, 1), redis_lock_ttl_s=0.5)


def test_limits_travel_through_the_environment() -> None:
    handed = limits_to_env(LIMITS.overrides())
    assert limits_from_env(handed) == LIMITS.overrides()
    with pytest.raises(ConfigurationError, match="PLSYNC_REDIS_LOCK_TTL_S='soon' is not a float"):
        limits_from_env({"PLSYNC_REDIS_LOCK_TTL_S": "soon"})


def test_the_nemesis_thaws_every_process_it_froze() -> None:
    sleepers = [children.spawn(["sleep", "30"]) for _ in range(2)]
    try:
        schedule = PauseSchedule("quick", 0.0, (0.1, 0.2), (0.0, 0.05), redis_lock_ttl_s=0.05)
        with PauseNemesis({f"s{i}": p.pid for i, p in enumerate(sleepers)}, schedule, seed=3) as nemesis:
            assert wait_until_stopped(sleepers[0].pid, 2) or wait_until_stopped(sleepers[1].pid, 2)
            time.sleep(0.4)
        assert not any(is_stopped(p.pid) for p in sleepers)  # stopped mid-freeze, thawed all the same
        assert nemesis.events and all(e["frozen_s"] >= 0.0 for e in nemesis.events)
    finally:
        for proc in sleepers:
            children.stop(proc, sig=signal.SIGKILL)


def _someone_waits_for_a_lock(db: Database) -> bool:
    with db.engine.connect() as conn:
        return bool(conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                      "AND wait_event_type = 'Lock'")).scalar())


def _xp(db: Database, user: int) -> int:
    with db.transaction() as session:
        return int(session.execute(text("SELECT total_xp FROM specialization_progress WHERE student_id = :u AND "
                                        "specialization_id = 'PLAYER'"), {"u": user}).scalar_one())


@pytest.mark.slow
@pytest.mark.parametrize(("name", "other_xp_lost"), [("redis", True), ("redis_fenced", False)])
def test_a_cli_level_up_frozen_by_sigstop_past_its_lease(name: str, other_xp_lost: bool, db: Database,
                                                        config: SystemConfig, students: list[int]) -> None:
    """`plsync level-up` stops itself (SIGSTOP) after reading; while it is frozen past its Redis lease another
    client levels up the same student; then it is thawed (SIGCONT) and finishes."""
    user, url = students[0], db.engine.url.render_as_string(hide_password=False)
    assert config.redis_url is not None
    limits = LIMITS.overrides()
    env = clean_env(**{FREEZE_AT: AFTER_PROGRESS_READ}, **limits_to_env(limits))
    proc = children.spawn([PLSYNC, "level-up", "--user", str(user), "--specialization", "PLAYER", "--xp", "600",
                           "--sessions", "6", "--strategy", name, "--database-url", url, "--redis-url",
                           config.redis_url, "--json"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True)
    told: dict[str, object] = {}
    try:
        assert wait_until_stopped(proc.pid, 60), "the CLI never reached its checkpoint"
        time.sleep(LIMITS.redis_lock_ttl_s + 0.05)  # frozen past its lease

        def other_client() -> None:
            with strategy(name, db, dataclasses.replace(config, **limits)) as other:
                told["other"] = other.level_up(LevelUpRequest(user, "PLAYER", 9)).total_xp

        other = threading.Thread(target=other_client)
        other.start()
        # Thaw once the other client is done (redis) or waits behind the frozen one's fence (redis_fenced).
        assert wait_until(lambda: not other.is_alive() or _someone_waits_for_a_lock(db), 10)
        assert is_stopped(proc.pid)
    finally:
        thaw(proc.pid)
    try:
        out, err = proc.communicate(timeout=60)
    finally:
        children.stop(proc, sig=signal.SIGKILL)
    other.join(30)
    assert proc.returncode == 0, err[-2000:]
    assert '"total_xp"' in out and "other" in told
    assert _xp(db, user) == (600 if other_xp_lost else 609)  # both clients were told their XP was added
