"""The project's own rules: ruff clean, mypy strict on system/, and system/ blind to the harness."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
HARNESS = ("fixtures", "scenarios", "loadtests", "benchmarks", "reports", "plsync", "tests")


def test_ruff_is_clean() -> None:
    result = subprocess.run([str(BIN / "ruff"), "check", "--quiet", "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_on_system() -> None:
    result = subprocess.run([str(BIN / "mypy")], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_system_imports_nothing_from_the_harness() -> None:
    pattern = re.compile(rf"^\s*(from|import)\s+({'|'.join(HARNESS)})\b", re.MULTILINE)
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "system").rglob("*.py") if pattern.search(p.read_text())]
    assert offenders == []
