"""The ``plsync`` command as a user runs it: one-line errors, exit codes, nothing changed, nothing left running."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import psutil
import psycopg2
import pytest
from sqlalchemy.engine import make_url

from fixtures.suite_server import SuiteServer
from fixtures.testcontainers_postgres import docker_available
from plsync import exit_codes
from system.db import Database
from tests.cli import PLSYNC, clean_env, command_lines, directories_of, plsync, still_running_in, wait_until
from tests.helpers import snapshot


def test_bad_input_exits_non_zero_with_one_line_and_changes_nothing(db: Database, students: list[int]) -> None:
    url = db.engine.url.render_as_string(hide_password=False)
    before = snapshot(db)
    cases = [
        (["level-up", "--user", str(students[0]), "--specialization", "PLAYER", "--xp", "-5"],
         exit_codes.INVALID_INPUT, "xp cannot be negative"),
        (["level-up", "--user", "99999", "--specialization", "PLAYER", "--xp", "5"],
         exit_codes.NOT_FOUND, "unknown user 99999"),
        (["level-up", "--user", str(students[0]), "--specialization", "WIZARD", "--xp", "5"],
         exit_codes.NOT_FOUND, "unknown specialization 'WIZARD'"),
        (["advance-license", "--user", str(students[0]), "--specialization", "INTERNSHIP", "--level", "5"],
         exit_codes.INVALID_INPUT, "out of range for INTERNSHIP (1-3)"),
        (["level-up", "--user", str(students[0]), "--specialization", "PLAYER", "--xp", "5", "--strategy", "magic"],
         exit_codes.CONFIGURATION, "unknown strategy 'magic'"),
        # Past PostgreSQL's integer range: invalid input, refused before the database is asked.
        (["level-up", "--user", str(students[0]), "--specialization", "PLAYER", "--xp", "99999999999"],
         exit_codes.INVALID_INPUT, "xp 99999999999 is too large"),
        (["level-up", "--user", "99999999999", "--specialization", "PLAYER", "--xp", "5"],
         exit_codes.INVALID_INPUT, "user id 99999999999 is out of range"),
        (["advance-license", "--user", "99999999999", "--specialization", "PLAYER", "--level", "2"],
         exit_codes.INVALID_INPUT, "user id 99999999999 is out of range"),
    ]
    for args, code, message in cases:
        result = plsync(*args, "--database-url", url)
        assert result.returncode == code, (args, result.stderr)
        assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert snapshot(db) == before


def test_level_up_json_output(db: Database, students: list[int]) -> None:
    url = db.engine.url.render_as_string(hide_password=False)
    result = plsync("level-up", "--user", str(students[0]), "--specialization", "PLAYER", "--xp", "600",
                    "--sessions", "5", "--strategy", "trigger", "--json", "--database-url", url)
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert (payload["level"], payload["license_level"], payload["leveled_up"]) == (2, 2, True)


@pytest.mark.parametrize(("url", "code", "message"), [
    ("not a url", exit_codes.CONFIGURATION, "malformed database URL"),
    ("sqlite:///plsync.db", exit_codes.CONFIGURATION, "must be PostgreSQL"),
    ("postgresql://nobody@127.0.0.1:1/plsync", exit_codes.INFRASTRUCTURE, "cannot reach PostgreSQL"),
])
def test_bad_database_urls_fail_fast_and_clearly(url: str, code: int, message: str) -> None:
    began = time.monotonic()
    result = plsync("level-up", "--user", "1", "--specialization", "PLAYER", "--xp", "1", "--database-url", url)
    assert result.returncode == code and message in result.stderr, result.stderr
    assert time.monotonic() - began < 15


@pytest.mark.skipif(docker_available() is None, reason="a Docker engine is running here")
def test_testcontainers_without_docker_fails_within_seconds() -> None:
    began = time.monotonic()
    result = plsync("migrate", "--database", "testcontainers")
    assert result.returncode == exit_codes.INFRASTRUCTURE
    assert "needs a running Docker engine" in result.stderr
    assert time.monotonic() - began < 20


def test_destructive_commands_refuse_a_database_plsync_did_not_create(pg_server: SuiteServer) -> None:
    url = pg_server.create_database("plsync_foreign")
    name = make_url(url).database
    u = make_url(url)
    conn = psycopg2.connect(host=u.host, port=u.port, user=u.username, dbname=name)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'COMMENT ON DATABASE "{name}" IS NULL')
    conn.close()
    assert plsync("migrate", "--database-url", url).returncode == 0
    refused = plsync("migrate", "--revision", "base", "--database-url", url)
    assert refused.returncode == exit_codes.UNSAFE and "--disposable" in refused.stderr
    allowed = plsync("migrate", "--revision", "base", "--database-url", url, "--disposable")
    assert allowed.returncode == 0, allowed.stderr


def test_messages_are_printed_literally(tmp_path: Path) -> None:
    """Brackets in a message are text, not Rich markup (``[testcontainers]`` once vanished)."""
    result = plsync("seed", "--users", "10", "--faults", "gremlins[bold]=1", cwd=tmp_path)
    assert result.returncode == exit_codes.CONFIGURATION
    assert "unknown fault kind 'gremlins[bold]'" in result.stderr, result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_interrupted_run_leaves_no_server(tmp_path: Path, sig: signal.Signals) -> None:
    proc = subprocess.Popen([PLSYNC, "readiness", "--only", "strategies", "--latency-ops", "100000"], cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=clean_env())
    assert wait_until(lambda: len(directories_of(proc.pid)) == 2, 60), "the run never started its servers"
    servers = directories_of(proc.pid)
    time.sleep(1.0)
    proc.send_signal(sig)
    proc.wait(60)
    assert proc.returncode != 0
    assert wait_until(lambda: not still_running_in(servers), 10), still_running_in(servers)
    assert not any(d.exists() for d in servers)  # stopped by the harness itself, directories removed


@pytest.mark.slow
def test_sigkill_leaves_nothing_behind(tmp_path: Path) -> None:
    """SIGKILL (an OOM killer, a CI timeout): the children die with the harness, the next start reaps the rest."""
    proc = subprocess.Popen([PLSYNC, "readiness", "--only", "swarms", "--profile", "smoke", "--swarm-time", "60s"],
                            cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=clean_env())

    assert wait_until(lambda: any("locust" in c for c in command_lines(proc.pid)), 60), "the swarm never started"
    family = psutil.Process(proc.pid).children(recursive=True)
    servers = directories_of(proc.pid)
    assert len(servers) == 2 and len(family) > 10  # postmaster + backends, Redis, Locust
    proc.kill()
    proc.wait(10)
    _gone, alive = psutil.wait_procs(family, timeout=20)
    assert not alive, [" ".join(p.cmdline()) for p in alive]
    assert not still_running_in(servers)
    assert any(d.exists() for d in servers)  # only the data is left, until the next start
    assert plsync("migrate", cwd=tmp_path).returncode == 0  # provisions a throwaway server: reaps first
    assert not any(d.exists() for d in servers)


@pytest.mark.slow
def test_swarm_with_the_default_run_directory_from_any_working_directory(tmp_path: Path) -> None:
    result = plsync("swarm", "--run-time", "2s", "--users", "4", "--spawn-rate", "4", "--students", "20",
                    cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    (run,) = (tmp_path / "runs").iterdir()
    stats = json.loads((run / "coupled" / "locust_stats.json").read_text())
    assert stats["requests"] > 10 and (run / "coupled" / "locust_stats.csv").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runs"]


@pytest.mark.slow
def test_redis_strategy_on_a_shared_database_needs_a_shared_redis(db: Database, students: list[int],
                                                                  redis_url: str) -> None:
    """Eight processes level up one student. Without a Redis URL each would lock in a private Redis, which
    excludes nothing (3 of 32 level-ups were lost that way): refused. With the shared Redis, nothing is lost."""
    url = db.engine.url.render_as_string(hide_password=False)
    base = ["level-up", "--user", str(students[0]), "--specialization", "PLAYER", "--xp", "7", "--strategy", "redis",
            "--database-url", url]
    before = snapshot(db)
    refused = plsync(*base)
    assert refused.returncode == exit_codes.CONFIGURATION and "--redis-url" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1 and snapshot(db) == before
    procs = [subprocess.Popen([PLSYNC, *base, "--redis-url", redis_url], env=clean_env(), stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True) for _ in range(8)]
    for proc in procs:
        assert proc.wait(120) == 0, proc.stderr.read() if proc.stderr else ""
    with db.transaction() as session:
        from sqlalchemy import text

        xp = session.execute(text("SELECT total_xp FROM specialization_progress WHERE student_id = :u AND "
                                  "specialization_id = 'PLAYER'"), {"u": students[0]}).scalar_one()
    assert xp == 8 * 7
