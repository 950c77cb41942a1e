"""The overload section of the report, rendered from a small recorded ``overload.json`` (a smoke-sized
``plsync swarm --overload``: 4 s at half capacity, 8 s at 3x, 4 s at half), and the stage's gates on it."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from plsync.records.files import OVERLOAD, VERDICT
from plsync.stages.overload import GOODPUT_GATE, STAGE
from reports.html import render_html
from reports.overload import cores_text
from reports.plots.overload_plots import overload_latency, overload_throughput
from reports.readiness import markdown
from reports.run_reader import RunReader
from reports.scorecard import build_scorecard

HERE = Path(__file__).parent
RECORDED = HERE / "recorded_overload" / "overload.json"


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    target = tmp_path / "20260101T000000Z-readiness"
    shutil.copytree(HERE / "recorded_run", target)
    shutil.copy(RECORDED, target / "overload.json")
    return target


def test_the_record_reads_through_the_contract(run_dir: Path) -> None:
    record = RunReader(run_dir).load(OVERLOAD)
    assert record.sizing == "short phases"
    assert [p.phase for p in record.phases] == ["before", "overload", "after"]
    assert sum(p.offered for p in record.phases) == sum(s.offered for s in record.seconds)
    assert record.phases[1].shed > 0


def test_markdown_has_the_table_and_the_figures(run_dir: Path) -> None:
    run = RunReader(run_dir)
    record = run.load(OVERLOAD)
    text = markdown(run, build_scorecard(run))
    section = text.split("## Under overload (open model over HTTP)")[1]
    assert f"{record.goodput_per_s:.1f}/s admitted = {record.goodput_ratio:.0%} of capacity" in section
    assert f"{record.shed_share:.1%} of the requests offered during the overload" in section
    assert f"whose admitted p99 is within the pre-overload p99: {record.recovery_s:g} s" in section
    assert f"| overload | {record.overload_s} | " in section
    assert "lost acknowledged XP 0, desynced pairs 0" in section


def test_html_has_the_section_and_both_plots(run_dir: Path) -> None:
    run = RunReader(run_dir)
    page = render_html(run, build_scorecard(run))
    assert 'id="overload"' in page
    assert "Overload: offered, admitted and shed per second; API memory" in page
    assert "Overload: admitted p99 per second" in page
    plot = overload_throughput(run)
    assert plot is not None and "<svg" in plot.svg and plot.source == "overload.json"
    assert overload_latency(run) is not None


def test_without_an_overload_run_the_plots_say_why(tmp_path: Path) -> None:
    shutil.copytree(HERE / "recorded_run", tmp_path / "run")
    run = RunReader(tmp_path / "run")
    assert overload_throughput(run) is None and overload_latency(run) is None
    assert "Under overload" not in markdown(run, build_scorecard(run))


def test_short_phases_exempt_the_timing_gates_and_judge_the_rest(run_dir: Path) -> None:
    record = RunReader(run_dir).load(OVERLOAD)
    outcomes = {o.gate: o.status for gate in STAGE.gates for o in gate.check("overload", record)}
    assert outcomes[GOODPUT_GATE] == "exempt"
    assert outcomes["latency back to its pre-overload p99 within 2 s"] == "exempt"
    assert outcomes["API memory growth under overload < 50 MB"] == "pass"
    assert outcomes["lost XP under overload"] == "pass"
    assert outcomes["no 5xx but shedding's 503, no request without a reply"] == "pass"
    assert outcomes["the overload reached the API (it shed load)"] == "pass"


def test_full_phases_judge_the_timing_gates(run_dir: Path) -> None:
    body = json.loads(RECORDED.read_text())
    body |= {"sizing": "full", "recovery_s": None, "recovery_bound_s": 20.0, "goodput_ratio": 0.7,
             "goodput_per_core_ratio": 0.9, "api_cores_overload": 0.5, "goodput_basis": "per API core",
             "goodput_judged_ratio": 0.9}
    record = OVERLOAD.decode(body, "overload.json")
    outcomes = {o.gate: o.status for gate in STAGE.gates for o in gate.check("overload", record)}
    assert outcomes[GOODPUT_GATE] == "pass"
    # The generator on a core of its own: the plain ratio is what the gate reads, and 70 % fails it.
    split = OVERLOAD.decode(body | {"goodput_basis": "plain", "goodput_judged_ratio": 0.7}, "overload.json")
    assert {o.gate: o.status for gate in STAGE.gates for o in gate.check("overload", split)}[GOODPUT_GATE] == "fail"
    assert "the goodput gate reads the plain ratio" in cores_text(split.model_copy(update={
        "cpu_split": {"generator": [0], "system": [1]}, "pinned": {"api": [1], "postgres": [1]}}))
    assert outcomes["latency back to its pre-overload p99 within 2 s"] == "fail"
    missing = OVERLOAD.decode(body | {"rss_growth_mb": None}, "overload.json")
    statuses = {o.gate: o.status for gate in STAGE.gates for o in gate.check("overload", missing)}
    assert statuses["API memory growth under overload < 50 MB"] == "not_measured"
    given = OVERLOAD.decode(body | {"goodput_judged_ratio": None}, "overload.json")  # a capacity given
    statuses = {o.gate: o.status for gate in STAGE.gates for o in gate.check("overload", given)}
    assert statuses[GOODPUT_GATE] == "not_measured"


def test_a_gate_every_subject_of_which_is_exempt_is_not_a_pass_and_neither_is_its_checklist_item(
        run_dir: Path) -> None:
    from plsync.records.run import GateOutcomeRecord
    from reports.checklist import CHECKLIST
    from reports.scorecard import checklist_lines, gate_lines

    record = RunReader(run_dir).load(OVERLOAD)  # short phases: goodput and recovery exempt
    outcomes = [GateOutcomeRecord(**vars(o)) for gate in STAGE.gates for o in gate.check("overload", record)]
    verdict = RunReader(run_dir).load(VERDICT).model_copy(update={"gates": outcomes})
    lines = {line.name: line for line in gate_lines(verdict)}
    goodput = lines[GOODPUT_GATE]
    assert goodput.status == "not_measured" and goodput.figure.startswith("exempt: short phases measured")
    assert lines["lost XP under overload"].status == "pass"
    item = next(i for i in CHECKLIST if i.name == "bounded under overload")
    (line,) = checklist_lines(RunReader(run_dir), list(lines.values()), {"overload": "ran"}, (item,))
    assert line.status == "not_measured" and GOODPUT_GATE in line.figure


def test_the_terminal_table_shows_every_figure_whole(run_dir: Path) -> None:
    from rich.console import Console

    from reports.overload import overload_table

    record = RunReader(run_dir).load(OVERLOAD)
    console = Console(width=115, record=True, file=io.StringIO())
    console.print(overload_table(record))
    text = console.export_text()
    assert "…" not in text
    for phase in record.phases:
        assert f" {phase.phase} " in text and f" {phase.shed} " in text and f" {phase.admitted} " in text
