"""The abuse probe (loadtests/probe_api.py) against a real ``plsync serve``, at small sizes: it finds the API's
process from its port, and each probe reports what the API did."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from loadtests.probe_api import check_targets, main
from loadtests.probe_proc import pid_listening_on, rss_mb
from system.db import Database
from tests.api.test_serve import serve


def test_the_probe_reports_each_limit_from_outside(db: Database, students: list[int], admin_id: int,
                                                    tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with serve(db, tmp_path, strategy="coupled", secret=None,
               extra=("--header-timeout", "1", "--pool-size", "1", "--queue-max", "1")) as served:
        port = urlsplit(served.base).port
        assert port is not None and pid_listening_on(port) == served.proc.pid
        assert rss_mb(served.proc.pid) is not None
        code = main([served.base, "--token-file", str(tmp_path / "token"), "--students", ",".join(map(str, students)),
                     "--body-mb", "50", "--connections", "100", "--burst", "120", "--json"])
        results = json.loads(capsys.readouterr().out)
    assert results["api"]["pid"] == served.proc.pid
    big = results["big body"]
    assert big["status"] == 401 and big["sent_mb_by_then"] < 50 and big["rss_growth_mb"] < 64, big
    assert results["lying length"]["status"] == 413
    half = results["half-open"]
    assert half["opened"] == half["closed_within_30s"] == 100 and half["all_closed_after_s"] < 10, half
    assert half["real_request_status"] == 200, half
    burst = results["burst"]
    assert sum(burst["statuses"].values()) == 120 and burst["admitted"] >= 1, burst
    assert burst["admitted"] + burst["shed"] == 120, burst["statuses"]  # every answer a 200 or a shed 503
    assert burst["shed"] >= 1, burst  # one slot and a queue of one cannot take 120 at once
    assert code == (1 if check_targets(results) else 0)


def test_the_probe_refuses_anything_but_loopback(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["http://192.0.2.1:8000"])
    assert exit_.value.code == 2 and "loopback only" in capsys.readouterr().err
