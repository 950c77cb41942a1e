"""The ``plsync`` command as a user runs it: one-line errors, exit codes, nothing changed, nothing left running."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg2
import pytest
from sqlalchemy.engine import make_url

from fixtures.leftovers import server_pids
from fixtures.testcontainers_postgres import docker_available
from plsync import exit_codes
from system.db import Database
from tests.db_server import SuiteServer
from tests.helpers import snapshot

PLSYNC = str(Path(sys.executable).parent / "plsync")


def plsync(*args: str, timeout: float = 120, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("PLSYNC_")}
    return subprocess.run([PLSYNC, *args], capture_output=True, text=True, timeout=timeout, env=base | (env or {}))


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


@pytest.mark.slow
def test_readiness_smoke_writes_results_and_leaves_no_server(tmp_path: Path) -> None:
    before = server_pids()
    result = plsync("readiness", "--threads", "4", "--ops-per-thread", "10", "--latency-ops", "40",
                    "--users", "2000", "--swarm-seconds", "2", "--runs-dir", str(tmp_path), timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    (run,) = tmp_path.iterdir()
    for name in ("environment", "migrate", "latency", "concurrency", "manifest", "recovery_stress", "orphans",
                 "swarms", "matrix", "verdict"):
        assert (run / f"{name}.json").exists(), name
    concurrency = json.loads((run / "concurrency.json").read_text())
    assert [c["strategy"] for c in concurrency] == ["legacy", "coupled", "advisory", "redis", "serializable",
                                                    "trigger"]
    report = (run / "report.md").read_text()
    assert "readiness: PASS" in result.stdout and "| coupled |" in report
    assert "## Scenarios x strategies" in report and "seed 000 says" in report
    assert json.loads((run / "recovery_stress.json").read_text())[0]["detection_perfect"] is True
    assert server_pids() - before == set()


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_interrupted_run_leaves_no_server(tmp_path: Path, sig: signal.Signals) -> None:
    before = server_pids()
    base = {k: v for k, v in os.environ.items() if not k.startswith("PLSYNC_")}
    proc = subprocess.Popen([PLSYNC, "readiness", "--latency-ops", "100000", "--runs-dir", str(tmp_path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=base)
    deadline = time.monotonic() + 60
    while not (server_pids() - before) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert server_pids() - before, "the run never started its servers"
    time.sleep(1.0)
    proc.send_signal(sig)
    proc.wait(60)
    assert proc.returncode != 0
    deadline = time.monotonic() + 10
    while server_pids() - before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert server_pids() - before == set()
