"""plsync report of a swarm or capacity run: latency_report.md, percentiles recomputed from histograms.json,
the model that produced them and every dropped slot counted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from plsync import exit_codes
from plsync.records.capacity import HistogramsRecord, ProcessHistogramsRecord
from plsync.records.files import HISTOGRAMS
from plsync.rundir import RunDirectory
from reports.latency_report import FILENAME, latency_sections, render
from reports.run_reader import RunReader
from tests.cli import plsync
from tests.reports_pkg.histogram_runs import encoded, spread, write_capacity, write_histograms


def test_an_open_swarm_gets_every_measure_and_its_slots(tmp_path: Path) -> None:
    run = tmp_path / "swarm-run"
    write_histograms(run / "coupled", [spread(1.0), spread(2.0)], rate=100, dropped=7)
    (section,) = latency_sections(RunReader(run), (50.0, 99.9))
    assert (section.stage, section.subject, section.model) == ("swarm", "coupled", "open")
    assert section.produced_by.startswith("open model: poisson arrivals at 100/s offered, taken by at most 16 users; "
                                          "a request that could not start within 5 s")
    response = section.rows[0]
    assert response.measure.startswith("response time") and response.count == 2000
    assert response.percentiles_ms["p99.9"] == pytest.approx(1996, rel=1e-3) and response.max_ms == \
        pytest.approx(2000, rel=1e-3)
    assert section.slots["dropped_late"] == 14 and section.slots["scheduled"] == 2014
    assert section.dropped_ratio == pytest.approx(14 / 2014)
    text = render(run.name, [section], (50.0, 99.9))
    assert "| response time (from the intended start) | 2,000 |" in text and "14 dropped late (0.70%)" in text
    assert "- processes: 2 of 2" in text


def test_a_closed_swarm_says_so_and_shows_the_service_time_alone(tmp_path: Path) -> None:
    RunDirectory(tmp_path).write_record(HISTOGRAMS, HistogramsRecord(
        model="closed", unit="us", plan=None, expected_processes=2, processes=[ProcessHistogramsRecord(
            worker=0, counts={"completed": 3}, histograms={"service": encoded([1.0, 2.0, 3.0])}, failures=1)]))
    (section,) = latency_sections(RunReader(tmp_path), (50.0,))
    assert section.model == "closed" and section.produced_by.startswith("closed model: Locust's users each wait")
    assert [r.measure for r in section.rows] == ["service time (from the send)"] and section.slots == {}
    text = render("r", [section], (50.0,))
    assert "- processes: 1 of 2 INCOMPLETE" in text and "- failed requests: 1" in text


def test_plsync_report_of_a_capacity_run_and_of_nothing(tmp_path: Path) -> None:
    run = tmp_path / "capacity-run"
    write_capacity(run, {"coupled": [(20, 1.0), (40, 2.0)], "serializable": [(20, 3.0)]})
    result = plsync("report", str(run), "--percentile", "p99", "--json")
    assert result.returncode == 0, result.stderr
    sections = json.loads(result.stdout)["latency"]
    assert [s["subject"] for s in sections] == ["coupled @ 20/s", "coupled @ 40/s", "serializable @ 20/s"]
    assert sections[1]["rows"][0]["percentiles_ms"]["p99"] == pytest.approx(1980, rel=1e-3)
    text = (run / FILENAME).read_text()
    assert "## capacity: serializable @ 20/s" in text and "| measure | count | p99 | max |" in text
    assert not (run / "report.html").exists()  # not a readiness run
    empty = tmp_path / "empty"
    empty.mkdir()
    refused = plsync("report", str(empty))
    assert refused.returncode == exit_codes.NOT_FOUND and "histograms.json" in refused.stderr


def test_a_readiness_run_publishes_its_latency_report_beside_the_others(tmp_path: Path) -> None:
    import shutil

    from reports.publish import publish
    from tests.reports_pkg.test_report import RECORDED

    run = tmp_path / "readiness"
    shutil.copytree(RECORDED, run)
    publish(run)
    assert not (run / FILENAME).exists()  # no histograms: no page saying so
    write_histograms(run / "swarms" / "coupled", [spread(1.0)])
    publish(run)
    assert "## swarms: coupled" in (run / FILENAME).read_text()
