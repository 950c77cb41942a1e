"""The master's end of a distributed run: whichever kind's wait runs first, no streamed batch of any kind is lost.

Locust fires ``quitting`` listeners in reverse registration order, so the histograms' wait runs before the
ledger's. Each wait receives on the master's socket itself; a wait that knew only its own kind dropped the
ledger and history batches that arrived during it, and the ledger read short (stream_wait_scenario.py drives
the real listeners, in Locust's order, in a process of its own).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from loadtests.ledger_stream import read_manifest

ROOT = Path(__file__).resolve().parents[2]


def test_every_kind_arrives_whichever_wait_runs_first(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "tests.loadtests_pkg.stream_wait_scenario", str(tmp_path)], cwd=ROOT,
                   check=True, timeout=120)
    manifest = read_manifest(tmp_path / "ledgers")
    assert manifest is not None and manifest.incomplete == {}
    assert {w: s.records for w, s in manifest.workers.items()} == {"w1": 5, "w2": 2}
    rows = {p.name: len(p.read_text().splitlines()) for p in sorted((tmp_path / "ledgers").glob("*.jsonl"))}
    assert rows == {"history-w1.jsonl": 1, "history-w2.jsonl": 1, "ledger-w1.jsonl": 5, "ledger-w2.jsonl": 2}
    document = json.loads((tmp_path / "histograms.json").read_text())
    assert sorted(p["worker"] for p in document["processes"]) == [0, 1]
