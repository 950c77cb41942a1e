"""Ceilings measured in the same run as a swarm, so its throughput reads as a ratio.

- pgbench running the same atomic level-up transaction (lock progress and license, update both,
  insert a progression) at the same concurrency, with the pgbench that ships with PostgreSQL;
- Locust's FastHttpUser against a FastAPI ``async def`` endpoint that does nothing, served by uvicorn
  the same way (the ceiling of Locust plus uvicorn here).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url

from fixtures import children
from fixtures.embedded_postgres import pg_install_dir
from fixtures.errors import ProvisioningError
from fixtures.ports import LOOPBACK, free_port
from loadtests.cpu_accounting import CpuAccount, CpuSampler, steady_account
from loadtests.history import read_history

BIN = Path(sys.executable).parent

LEVEL_UP_TRANSACTION = """\\set uid random({low}, {high})
BEGIN;
SELECT total_xp FROM specialization_progress WHERE student_id = :uid AND specialization_id = '{spec}' FOR UPDATE;
SELECT current_level FROM user_licenses WHERE user_id = :uid AND specialization_type = '{spec}' FOR UPDATE;
UPDATE specialization_progress SET total_xp = total_xp + 10, completed_sessions = completed_sessions + 1,
    updated_at = now() WHERE student_id = :uid AND specialization_id = '{spec}';
UPDATE user_licenses SET updated_at = now() WHERE user_id = :uid AND specialization_type = '{spec}';
INSERT INTO license_progressions (user_license_id, from_level, to_level, reason)
    SELECT id, current_level, current_level, 'pgbench' FROM user_licenses
     WHERE user_id = :uid AND specialization_type = '{spec}';
END;
"""


def pgbench_binary() -> str:
    found = pg_install_dir() / "bin" / "pgbench"
    return str(found) if found.exists() else (shutil.which("pgbench") or "pgbench")


def pgbench_tps(database_url: str, *, clients: int, seconds: int, low: int, high: int,
                specialization: str = "PLAYER") -> float:
    url = make_url(database_url)
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write(LEVEL_UP_TRANSACTION.format(low=low, high=high, spec=specialization).replace("\n    ", " "))
    env = {**os.environ, "PGPASSWORD": url.password or ""}
    # Prepared statements: pgbench at its best (the simple protocol re-plans every statement).
    cmd = [pgbench_binary(), "-n", "-M", "prepared", "-c", str(clients), "-j", str(min(clients, 2)), "-T", str(seconds),
           "-f", script.name, "-h", url.host or LOOPBACK, "-p", str(url.port or 5432),
           "-U", url.username or "postgres", url.database or ""]
    try:
        result = children.run(cmd, env=env, timeout=seconds + 60)
    finally:
        Path(script.name).unlink(missing_ok=True)
    found = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", result.stdout)
    if result.returncode != 0 or not found:
        raise ProvisioningError(f"pgbench failed: {(result.stderr or result.stdout)[-400:]}")
    return float(found.group(1))


@dataclass(frozen=True)
class Ceiling:
    rps: float
    #: CPU per request of Locust and of the trivial app's uvicorn over the steady window: what the HTTP
    #: stack costs before the API does anything (None when the run was too short to have a steady window).
    cpu: CpuAccount | None


def http_ceiling(*, users: int, seconds: int, workdir: Path, rate_per_s: float | None = None) -> Ceiling:
    """Locust against the trivial endpoint: closed (``users`` as fast as they can), or open at ``rate_per_s``
    with at most ``users`` users; its histograms go to ``workdir/histograms.json``."""
    port = free_port()
    server = children.spawn([str(BIN / "python"), "-m", "uvicorn", "loadtests.trivial_app:app", "--host", LOOPBACK,
                             "--port", str(port), "--log-level", "warning", "--no-access-log"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(f"http://{LOOPBACK}:{port}/ping", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise ProvisioningError("the trivial endpoint did not start") from None
                time.sleep(0.1)
        out = workdir / "ceiling_stats.json"
        locustfile = Path(__file__).resolve().parent.parent / "loadtests" / "trivial.py"
        locust = children.spawn([str(BIN / "locust"), "-f", str(locustfile), "--headless", "-u", str(users),
                                 "-r", str(users), "-t", f"{seconds}s", "-H", f"http://{LOOPBACK}:{port}",
                                 "--only-summary", "--loglevel", "WARNING", "--csv", str(workdir / "ceiling"),
                                 "--plsync-stats-out", str(out.resolve()), "--plsync-rate", f"{rate_per_s or ''}",
                                 "--plsync-rate-run-time", str(seconds),
                                 "--plsync-hdr-out", str((workdir / "histograms.json").resolve())],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=workdir)
        with CpuSampler({"locust": lambda: [locust.pid], "api": lambda: [server.pid]}) as sampler:
            try:
                _, err = locust.communicate(timeout=seconds + 60)
            except BaseException:
                locust.kill()
                locust.wait()
                raise
        if not out.exists():
            raise ProvisioningError(f"Locust against the trivial endpoint wrote no results: {(err or '')[-400:]}")
        timeline = read_history(workdir / "ceiling_stats_history.csv")
        return Ceiling(float(json.loads(out.read_text())["rps"]),
                       steady_account(sampler, [(p.epoch, p.users, p.total_requests) for p in timeline], users))
    finally:
        children.stop(server)
