"""pgbench ``--rate``: the open-model anchor, on the same level-up transaction as the swarms.

pgbench fixes a Poisson schedule per client up front and, with ``--rate``, measures each transaction from
its scheduled start, so its latency includes the schedule lag, exactly as plsync's open-model response
time does. Its per-transaction log (``-l``: client, transaction, latency µs, script, epoch, µs, lag µs) goes
into the same HdrHistogram as the swarm's figures, so both read at the same resolution.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from benchmarks.baselines import LEVEL_UP_TRANSACTION, pgbench_binary
from fixtures import children
from fixtures.errors import ProvisioningError
from fixtures.ports import LOOPBACK
from loadtests.histograms import LatencyFigures, LatencyHistogram


@dataclass(frozen=True)
class PgbenchRate:
    """pgbench at an offered rate: lag-inclusive latency (open model) and schedule lag, from its log."""

    offered_per_s: float
    clients: int
    seconds: int
    transactions: int
    skipped: int
    latency: LatencyFigures  # from the scheduled start (includes the lag)
    lag: LatencyFigures

    @property
    def achieved_per_s(self) -> float:
        return self.transactions / self.seconds


def pgbench_at_rate(database_url: str, *, rate_per_s: float, seconds: int, clients: int, low: int, high: int,
                    specialization: str = "PLAYER") -> PgbenchRate:
    url = make_url(database_url)
    latency, lag = LatencyHistogram(), LatencyHistogram()
    skipped = 0
    with tempfile.TemporaryDirectory(prefix="plsync-pgbench-") as tmp:
        script = Path(tmp) / "level_up.sql"
        script.write_text(LEVEL_UP_TRANSACTION.format(low=low, high=high, spec=specialization).replace("\n    ", " "))
        cmd = [pgbench_binary(), "-n", "-M", "prepared", "-c", str(clients), "-j", str(min(clients, 2)),
               "-T", str(seconds), "-R", f"{rate_per_s:g}", "-l", "--log-prefix", str(Path(tmp) / "tx"),
               "-f", str(script), "-h", url.host or LOOPBACK, "-p", str(url.port or 5432),
               "-U", url.username or "postgres", url.database or ""]
        result = children.run(cmd, env={**os.environ, "PGPASSWORD": url.password or ""}, timeout=seconds + 60,
                              cwd=tmp)
        if result.returncode != 0:
            raise ProvisioningError(f"pgbench --rate failed: {(result.stderr or result.stdout)[-400:]}")
        for log in Path(tmp).glob("tx.*"):
            for line in log.read_text().splitlines():
                fields = line.split()
                if len(fields) < 7:
                    continue
                if fields[2] == "skipped":
                    skipped += 1
                    continue
                latency.record(int(fields[2]))
                lag.record(int(fields[6]))
    if not latency.count:
        raise ProvisioningError("pgbench --rate logged no transactions")
    return PgbenchRate(rate_per_s, clients, seconds, latency.count, skipped, latency.figures(), lag.figures())
