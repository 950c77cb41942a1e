"""The readiness report built from a recorded run: the scorecard computed from evidence, JUnit for CI, and
the HTML page as a person opens it (headless Chromium, offline).

The recording (``recorded_run/``) is decoded through the run directory's contract like any run; files written
before the contract (no ``schema``) are version 0 and upgraded by the decoder. Re-record it with one command:
``./run python -m tests.reports_pkg.rerecord`` (a smoke readiness run, its record files copied here)."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from plsync.records.files import VERDICT
from reports.publish import OUTPUTS, publish
from reports.run_reader import RunReader
from reports.scorecard import build_scorecard
from tests.cli import plsync
from tests.reports_pkg.browser import visit

RECORDED = Path(__file__).parent / "recorded_run"


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    """A copy of the recorded run (its JSON files only, as a run directory holds them)."""
    target = tmp_path / "20260101T000000Z-readiness"
    shutil.copytree(RECORDED, target)
    return target


def edit(path: Path, name: str, change: Any) -> None:
    """Change a run file's content as JSON (the list of a list file, whatever its schema version)."""
    data = json.loads((path / f"{name}.json").read_text())
    change(data["records"] if isinstance(data, dict) and "records" in data else data)
    (path / f"{name}.json").write_text(json.dumps(data))


def failing_gates(run_dir: Path) -> set[tuple[str, str]]:
    verdict = RunReader(run_dir).load(VERDICT)
    return {(g.stage, g.gate) for g in verdict.gates if g.status == "fail"}


def test_the_scorecard_is_computed_from_the_evidence(run_dir: Path) -> None:
    card = build_scorecard(RunReader(run_dir))
    failed = failing_gates(run_dir)
    assert {(line.stage, line.name) for line in card.lines if line.kind == "gate" and line.status == "fail"} == failed
    assert (card.verdict == "not ready") == bool(failed)
    checklist = {line.name: line for line in card.lines if line.kind == "checklist"}
    # The recording seeded 10,000 users and every recovery and swarm gate of it passed.
    assert not {stage for stage, _ in failed} & {"recovery", "swarms"}
    assert checklist["stress testing at 10k users"].status == "pass"
    assert checklist["recovery tools tested"].status == "pass"
    assert checklist["24 h scheduler reliability test"].status in ("not_measured", "pass", "fail")
    contradicted = {(c.source, c.scenario, c.strategy) for c in card.claims if c.status == "contradicted"}
    assert contradicted == {("000", "duplicate_auto_sync", "legacy"), ("000", "interrupted_license_upgrade", "legacy"),
                            ("000", "progress_without_license", "legacy"),
                            # A Redis lock holder frozen past its lease loses an update (docs/pauses.md).
                            ("000", "process_pause_after_read", "redis")}
    assert all(c.evidence for c in card.claims if c.status == "contradicted")


def test_a_failing_gate_is_a_blocker_listed_first(run_dir: Path) -> None:
    before = {(line.kind, line.name) for line in build_scorecard(RunReader(run_dir)).blockers}

    def lose_xp(rows: list[dict[str, Any]]) -> None:
        coupled = next(r for r in rows if r["strategy"] == "coupled")
        coupled["lost_xp"] = 42
        next(r for r in coupled["invariants"]["results"] if r["name"] == "lost_updates")["violations"] = 1

    edit(run_dir, "concurrency", lose_xp)
    target = ("strategies", "lost XP", "coupled")
    edit(run_dir, "verdict", lambda v: [g.update(status="fail", observed=42) for g in v["gates"]
                                        if (g["stage"], g["gate"], g["subject"]) == target])
    card = build_scorecard(RunReader(run_dir))
    assert card.verdict == "not ready"
    first = card.lines[: len(card.blockers)]
    assert {(line.kind, line.name) for line in first} - before == {
        ("checklist", "concurrent updates lose nothing"), ("gate", "lost XP"), ("invariant", "lost_updates")}
    assert first[0].kind == "checklist" and all(line.status == "fail" for line in first)
    gate = next(line for line in first if line.kind == "gate" and line.name == "lost XP")
    assert gate.figure == "coupled: 42 (needs <= 0)" and gate.source == "concurrency.json"
    assert "concurrency coupled: 1 violations" in next(line for line in first if line.kind == "invariant").figure


def test_what_a_run_did_not_measure_is_never_a_pass(run_dir: Path) -> None:
    for name in ("swarms",):
        (run_dir / f"{name}.json").unlink()
    edit(run_dir, "verdict", lambda v: [s.update(status="skipped", seconds=0.0) for s in v["stages"]
                                        if s["name"] == "swarms"]
         + [g.update(status="not_measured") for g in v["gates"] if g["stage"] == "swarms"])
    card = build_scorecard(RunReader(run_dir))
    stress = next(line for line in card.lines if line.name == "stress testing at 10k users")
    assert (stress.status, stress.figure) == ("not_measured", "stage swarms was skipped")
    assert card.verdict == ("not ready" if card.blockers else "incomplete")


def test_junit_has_one_testcase_per_gate_and_subject(run_dir: Path) -> None:
    def one_failure(verdict: dict[str, Any]) -> None:
        for gate in verdict["gates"]:  # one failure, the one made here
            gate["status"] = "pass" if gate["status"] == "fail" else gate["status"]
        verdict["gates"][3].update(status="fail", observed=7)

    edit(run_dir, "verdict", one_failure)
    verdict = json.loads((run_dir / "verdict.json").read_text())
    publish(run_dir)
    root = ET.fromstring((run_dir / "junit.xml").read_text())
    cases = root.findall(".//testcase")
    assert len(cases) == len(verdict["gates"])
    (failed,) = root.findall(".//testcase[failure]")
    gate = verdict["gates"][3]
    assert failed.get("classname") == gate["stage"] and gate["gate"] in (failed.get("name") or "")
    assert (failed.find("failure").get("message") or "").startswith(f"7 (needs {gate['expected']})")  # type: ignore[union-attr]
    assert int(root.find("testsuite[@name='scenarios']").get("tests") or 0) > 60  # type: ignore[union-attr]


def test_plsync_report_rebuilds_every_output_from_the_json_alone(run_dir: Path) -> None:
    result = plsync("report", str(run_dir))
    assert result.returncode == 0, result.stderr
    for name in OUTPUTS:
        assert (run_dir / name).stat().st_size > 1000, name
    assert result.stdout.startswith("readiness: ")
    html = (run_dir / "report.html").read_text()
    assert "<script" not in html and "src=\"http" not in html and "href=\"http" not in html and "@import" not in html


@pytest.mark.slow
def test_the_page_opens_offline_in_chromium_with_every_plot(run_dir: Path, tmp_path: Path) -> None:
    publish(run_dir)
    screenshot = tmp_path / "report-first-screen.png"
    seen = visit(run_dir / "report.html", screenshot, """() => ({
        plots: [...document.querySelectorAll('figure.plot')].map(f => ({id: f.id, svg: !!f.querySelector('svg'),
                 drawn: f.querySelector('svg') ? f.querySelector('svg').getBoundingClientRect().height : 0})),
        verdict: document.querySelector('header.verdict h1').textContent,
        links: [...document.querySelectorAll('table.matrix a')].map(a => a.getAttribute('href')),
        targets: [...document.querySelectorAll('table.matrix a')].every(
            a => document.getElementById(a.getAttribute('href').slice(1)) !== null),
        firstRows: [...document.querySelectorAll('#scorecard + p + table tbody tr')].length })""")
    assert seen.console_errors == [] and seen.page_errors == []
    assert seen.requests == [(run_dir / "report.html").as_uri()] and seen.failed_requests == []
    plots = seen.facts["plots"]
    assert len(plots) >= 6 and all(p["svg"] and p["drawn"] > 100 for p in plots), plots
    assert seen.facts["verdict"].startswith("Readiness: ")
    assert len(seen.facts["links"]) >= 60 and seen.facts["targets"]  # every matrix cell links to its evidence
    assert screenshot.stat().st_size > 20_000
    print(f"\nscreenshot of the report's first screen: {screenshot}")
