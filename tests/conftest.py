from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine

from fixtures import cleanup
from fixtures.population import add_students
from fixtures.redis_server import RedisServer
from fixtures.reset import truncate_data
from fixtures.suite_server import SuiteServer
from system import migrate
from system.config import SystemConfig, parse_database_url
from system.db import Database

HYPOTHESIS_HOME = pytest.StashKey[Path]()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[SuiteServer]:
    server = SuiteServer()
    yield server
    server.close()


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    if os.environ.get("PLSYNC_REDIS_URL"):
        yield os.environ["PLSYNC_REDIS_URL"]
        return
    server = RedisServer().start()
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def database_url(pg_server: SuiteServer) -> str:
    url = pg_server.create_database()
    db = Database.connect(SystemConfig(database_url=url))
    migrate.upgrade(db.engine)
    db.dispose()
    return url


@pytest.fixture(scope="session")
def session_config(database_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> SystemConfig:
    return SystemConfig(database_url=database_url, redis_url=redis_url, pool_size=20, max_overflow=10,
                        sync_log_dir=tmp_path_factory.mktemp("sync_logs"))


@pytest.fixture(scope="session")
def session_db(session_config: SystemConfig) -> Iterator[Database]:
    db = Database.connect(session_config, pre_ping=True)  # survives the restart scenario
    yield db
    db.dispose()


@pytest.fixture
def db(session_db: Database) -> Database:
    """The migrated database, emptied of data before each test (reference data stays)."""
    with session_db.transaction() as session:
        truncate_data(session)
    return session_db


@pytest.fixture
def config(session_config: SystemConfig, tmp_path: Path) -> SystemConfig:
    import dataclasses

    return dataclasses.replace(session_config, sync_log_dir=tmp_path / "sync_logs")


@pytest.fixture
def students(db: Database) -> list[int]:
    """Ten students with paired progress and license rows at level 1 in every specialization."""
    with db.transaction() as session:
        return add_students(session, 10, seed=7, specializations=("PLAYER", "COACH", "INTERNSHIP"))


ROOT = Path(__file__).resolve().parents[1]
#: What Python and the tools write next to the code anyway; anything else new in the tree is a test's doing.
TOOL_CACHES = ("__pycache__", ".pytest_cache", ".ruff_cache", ".mypy_cache", ".egg-info", ".venv")


def tree_entries() -> set[str] | None:
    """Untracked and ignored entries of the checkout (None outside a git checkout)."""
    if not (ROOT / ".git").exists():
        return None
    listed = subprocess.run(["git", "status", "--porcelain", "--ignored"], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    return {line for line in listed.stdout.splitlines() if not any(c in line for c in TOOL_CACHES)}


TREE_KEY = pytest.StashKey[set[str] | None]()


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[TREE_KEY] = tree_entries()


def pytest_configure(config: pytest.Config) -> None:
    """Hypothesis (schemathesis too) caches in ./.hypothesis, from collection on: tests write only to temp dirs."""
    import tempfile

    from hypothesis.configuration import set_hypothesis_home_dir

    home = Path(tempfile.mkdtemp(prefix="plsync-hypothesis-"))
    config.stash[HYPOTHESIS_HOME] = home
    set_hypothesis_home_dir(home)


def pytest_unconfigure(config: pytest.Config) -> None:
    import shutil

    home = config.stash.get(HYPOTHESIS_HOME, None)
    if home is not None:
        shutil.rmtree(home, ignore_errors=True)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Session fixtures are torn down by now: nothing we started may still be running, and no test may
    have written into the checkout (tests write only into temporary directories)."""
    left = [s for s in cleanup.history if s.still_running()]
    if left:
        print(f"\nservers left running after the tests: {left}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    before = session.config.stash.get(TREE_KEY, None)
    after = tree_entries()
    if before is not None and after is not None and after - before:
        print(f"\nthe tests wrote into the checkout: {sorted(after - before)}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    from tests.system.test_concurrency import MEASURED, PAUSED

    for title, rows in (("concurrent level-ups on one student (16 threads x 50)", MEASURED),
                        ("the same race, 8 threads x 20, one lock holder frozen past its Redis lease", PAUSED)):
        if rows:
            terminalreporter.section(title)
            for row in rows:
                terminalreporter.write_line("  ".join(f"{k}={v}" for k, v in row.items()))


@pytest.fixture
def scratch_engine(pg_server: SuiteServer) -> Iterator[Engine]:
    """A fresh migrated database of its own, for tests that move the schema or fill it wholesale."""
    engine = create_engine(parse_database_url(pg_server.create_database("plsync_scratch")))
    migrate.upgrade(engine)
    yield engine
    engine.dispose()
