"""The benchmark session: a PostgreSQL server (embedded, or PLSYNC_DATABASE_URL's, where it makes databases
of its own), populations seeded once, sizes from a readiness profile, and a summary table at the end.

    ./run pytest benchmarks/ -m "not slow" --benchmark-json=out.json
    ./run pytest benchmarks/ --plsync-profile smoke -k sync_progress_to_license
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from benchmarks.harness import Bench, Session
from benchmarks.populations import BenchDatabase, Populations
from benchmarks.results import scale_fits
from fixtures.redis_server import RedisServer
from fixtures.suite_server import SuiteServer
from plsync.profiles import Profile, profile_named
from reports.benchmarks import notes, scale_lines, text_table
from system.strategies import strategy_class, strategy_names

SLOW_FROM_USERS = 100_000  # scale points this large are marked ``slow``
SESSION = pytest.StashKey[Session]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("plsync", "plsync benchmark sizes")
    group.addoption("--plsync-profile", default="standard", help="smoke, standard or full: sizes and rounds "
                                                                 "(plsync/profiles.py)")
    group.addoption("--plsync-rounds", type=int, default=None, help="rounds of every benchmark (overrides the "
                                                                    "profile)")
    group.addoption("--plsync-strategy", action="append", default=None, help="a strategy to measure (repeat; "
                                                                             "default: all)")
    group.addoption("--plsync-seed", type=int, default=42, help="seed of the populations and their faults")
    group.addoption("--plsync-slow-checkpoint", default=None, metavar="POINT:SECONDS",
                    help="sleep SECONDS at the named checkpoint of every strategy operation (e.g. "
                         "after_sync_read:0.002): a regression injected on purpose, to prove the gate")


def profile_of(config: pytest.Config) -> Profile:
    return profile_named(config.getoption("--plsync-profile"))


def strategies_of(config: pytest.Config) -> list[str]:
    return config.getoption("--plsync-strategy") or strategy_names()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "strategies(*names): measure this benchmark under these strategies only")
    profile = profile_of(config)
    rounds = config.getoption("--plsync-rounds")
    config.stash[SESSION] = Session(rounds or profile.bench_rounds, rounds or profile.bench_heavy_rounds)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    profile = profile_of(metafunc.config)
    if "strategy" in metafunc.fixturenames:
        only = metafunc.definition.get_closest_marker("strategies")
        chosen = [s for s in strategies_of(metafunc.config) if only is None or s in only.args]
        metafunc.parametrize("strategy", chosen)
    if "desyncs" in metafunc.fixturenames:
        metafunc.parametrize("desyncs", profile.bench_desyncs, ids=[f"{d}_desyncs" for d in profile.bench_desyncs])
    for name in ("scale_users", "other_scale_users"):  # other: every size but the main population's
        if name in metafunc.fixturenames:
            sizes = [n for n in profile.bench_scale if name == "scale_users" or n != profile.bench_users]
            metafunc.parametrize(name, [
                pytest.param(n, id=f"{n}_users", marks=[pytest.mark.slow, pytest.mark.timeout(3600)]
                             if n >= SLOW_FROM_USERS else []) for n in sizes])


@pytest.fixture(scope="session")
def bench_profile(pytestconfig: pytest.Config) -> Profile:
    return profile_of(pytestconfig)


@pytest.fixture(scope="session")
def bench_server() -> Iterator[SuiteServer]:
    server = SuiteServer()
    yield server
    server.close()


@pytest.fixture(scope="session")
def bench_redis_url(pytestconfig: pytest.Config) -> Iterator[str | None]:
    if os.environ.get("PLSYNC_REDIS_URL"):
        yield os.environ["PLSYNC_REDIS_URL"]
    elif any(strategy_class(name).needs_redis for name in strategies_of(pytestconfig)):
        server = RedisServer().start()
        yield server.url
        server.stop()
    else:
        yield None


@pytest.fixture(scope="session")
def populations(bench_server: SuiteServer, bench_redis_url: str | None, pytestconfig: pytest.Config,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[Populations]:
    made = Populations(bench_server, seed=pytestconfig.getoption("--plsync-seed"), redis_url=bench_redis_url,
                       log_dir=tmp_path_factory.mktemp("sync_jobs"))
    yield made
    made.close()


@pytest.fixture(scope="session")
def bench_db(populations: Populations, bench_profile: Profile) -> BenchDatabase:
    """The main population: bench_users users, a tenth of them desynced (the manifest says which)."""
    return populations.populated(bench_profile.bench_users)


@pytest.fixture
def bench(benchmark: Any, pytestconfig: pytest.Config) -> Bench:
    return Bench(benchmark, pytestconfig.stash[SESSION])


@pytest.fixture
def slowdown(pytestconfig: pytest.Config) -> Callable[[str, object], None] | None:
    """The injected regression, as a checkpoint hook (None unless --plsync-slow-checkpoint is given)."""
    spec = pytestconfig.getoption("--plsync-slow-checkpoint")
    if not spec:
        return None
    point, _, seconds = spec.partition(":")
    delay = float(seconds)

    def sleep_at(reached: str, _session: object) -> None:
        if reached == point:
            time.sleep(delay)

    return sleep_at


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    session = config.stash.get(SESSION, None)
    if session is None or not session.rows:
        return
    terminalreporter.section("plsync benchmarks: service path beside its raw-SQL ceiling")
    for line in [*text_table(session.rows), "", *notes(session.rows)]:
        terminalreporter.write_line(line)
    fits = scale_fits(session.rows)
    if fits:
        terminalreporter.write_line("")
        for line in scale_lines(fits):
            terminalreporter.write_line(f"scale: {line}")


def pytest_benchmark_update_json(config: pytest.Config, benchmarks: Any, output_json: dict[str, Any]) -> None:
    """The scale fits go into the JSON report beside pytest-benchmark's own data."""
    session = config.stash.get(SESSION, None)
    if session is None:
        return
    output_json["plsync"] = {
        "profile": config.getoption("--plsync-profile"),
        "scale": [vars(f) | {"verdict": f.verdict} for f in scale_fits(session.rows)],
    }
