"""The README's two commands, run as a new user runs them: from the root of a fresh clone, exactly as
written (the main one with the smoke profile), with the default run directory."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli import clean_env, directories_of, still_running_in

ROOT = Path(__file__).resolve().parents[2]


def readme_commands() -> tuple[str, str]:
    """(main job, tests): the first two ``sh`` blocks of the README, which name them in that order."""
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```sh\n(.*?)```", text, re.S)
    assert len(blocks) >= 2, "the README must show the main command and the test command first"
    main, tests = blocks[0].strip(), blocks[1].strip()
    assert "\n" not in main and "\n" not in tests, "each of the two is one command"
    return main, tests


def test_ci_runs_exactly_the_readme_test_command() -> None:
    main, tests = readme_commands()
    assert main == "./run plsync readiness" and tests == "./run pytest"
    ci = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert tests in ci


@pytest.mark.slow
def test_a_new_user_runs_the_main_job_from_a_fresh_clone(tmp_path: Path) -> None:
    if not (ROOT / ".git").exists():
        if os.environ.get("CI"):
            pytest.fail("CI must run this test from a git checkout")
        pytest.skip("not a git checkout: nothing to clone")
    clone = tmp_path / "plsync"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True, timeout=120)
    main, _ = readme_commands()
    # The suite's environment is reused as it is (PLSYNC_VENV); the clone's own code runs (PYTHONPATH).
    env = clean_env(PLSYNC_VENV=sys.prefix, PYTHONPATH=str(clone))
    proc = subprocess.Popen(["bash", "-c", f"{main} --profile smoke"], cwd=clone, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, out[-3000:] + err[-3000:]
    (run,) = (clone / "runs").iterdir()
    assert json.loads((run / "verdict.json").read_text())["passed"] is True
    for name in ("environment", "migrate", "latency", "concurrency", "manifest", "recovery_stress", "orphans",
                 "swarms", "matrix", "verdict", "scorecard"):
        assert (run / f"{name}.json").exists(), name
    for name in ("report.html", "report.md", "junit.xml"):
        assert (run / name).stat().st_size > 1000, name
    for stats in ("locust_stats.json", "locust_stats.csv", "locust.html"):
        assert (run / "swarms" / "coupled" / stats).exists(), stats
    assert "readiness: PASS" in out and "| coupled |" in (run / "report.md").read_text()
    assert "ERROR" not in err  # faults injected on purpose are logged to the run, not the terminal
    assert "ERROR" in (run / "scenarios.log").read_text()
    status = subprocess.run(["git", "status", "--porcelain"], cwd=clone, capture_output=True, text=True)
    assert status.stdout == "", status.stdout  # only the ignored run directory was written
    assert not directories_of(proc.pid) and not still_running_in([clone])
