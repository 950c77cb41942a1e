"""Read modes as data, the history files a swarm writes, and the verdict judged and rendered from them."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from plsync.records.files import READS_SYSTEM, SWARM_READS, SWARMS
from plsync.records.reads import ReadsRecord
from plsync.rundir import RunDirectory
from plsync.swarm import SwarmOptions
from plsync.swarm_reads import judge_reads
from reports.reads import reads_markdown, reads_table
from scenarios.ledger import Outcome
from scenarios.read_history import HistorySink, ReadRecord, WriteRecord, read_histories
from scenarios.read_modes import modes_for_transport, read_mode_named
from system.errors import ConfigurationError

RECORDED = Path(__file__).parents[1] / "reports_pkg" / "recorded_run"


def test_read_modes_and_swarm_options_refuse_what_does_not_exist() -> None:
    assert [m.name for m in modes_for_transport("http")] == ["api"]
    assert {m.name for m in modes_for_transport("direct")} == {"two_statements", "one_statement",
                                                               "repeatable_read", "service"}
    assert {m.name for m in modes_for_transport("direct") if m.system_code} == {"service"}
    with pytest.raises(ConfigurationError, match=r"unknown read mode 'psychic' .*two_statements.*api"):
        read_mode_named("psychic")
    with pytest.raises(ConfigurationError, match="does not run over direct"):
        SwarmOptions(read_modes=("api",))
    with pytest.raises(ConfigurationError, match=r"unknown workload 'read_lots' .*read_heavy"):
        SwarmOptions(workload="read_lots")
    assert SwarmOptions(workload="read_heavy", read_modes=("two_statements",)).read_modes == ("two_statements",)


def _history(directory: Path, fractured_mode: str) -> None:
    sink = HistorySink(directory)
    sink.write(WriteRecord("level_up", 1, "PLAYER", 1.2, 1.5, 1, 2, None, 2))
    sink.read(ReadRecord(fractured_mode, 1, "PLAYER", 1.0, 2.0, 1, 2))  # torn across the level-up
    sink.read(ReadRecord("one_statement", 1, "PLAYER", 1.0, 2.0, 1, 1))
    sink.read(ReadRecord("one_statement", 1, "PLAYER", 3.0, 3.1, None, None, Outcome.UNKNOWN, "the read failed"))
    sink.close()


def test_the_history_files_round_trip(tmp_path: Path) -> None:
    _history(tmp_path, "two_statements")
    history = read_histories(tmp_path)
    assert len(history.writes) == 1 and history.writes[0].progress_to == 2
    assert [(r.mode, r.outcome) for r in history.reads] == [("two_statements", Outcome.OK), ("one_statement",
                                                            Outcome.OK), ("one_statement", Outcome.UNKNOWN)]


def test_the_systems_reader_is_gated_except_under_legacy(tmp_path: Path) -> None:
    _history(tmp_path / "a", "service")
    coupled = judge_reads("coupled", tmp_path / "a", workload_reads=True)
    assert coupled.failures_of_gates == ["reads service: 1 fractured read(s) in 1 (torn 1, between transactions 0, "
                                         "visible desync 0)"]
    rows = {r.mode: r for r in coupled.rows}
    assert (rows["service"].torn, rows["service"].rate_per_1000) == (1, 1000.0)
    assert (rows["one_statement"].reads, rows["one_statement"].failed_reads, rows["one_statement"].fractured) == (
        1, 1, 0)
    assert rows["service"].examples["torn_one_transaction"][0].writes[0].progress_to == 2
    assert judge_reads("legacy", tmp_path / "a", workload_reads=True).failures_of_gates == []
    # Reads, but none by the system's reader: that gate is not measured, and says so.
    _history(tmp_path / "b", "two_statements")
    other = judge_reads("coupled", tmp_path / "b", workload_reads=True)
    assert other.failures_of_gates == [] and other.not_measured == [
        "coupled: the system's readers (service, api) were not read"]
    assert judge_reads("coupled", tmp_path / "c", workload_reads=False).rows == []


def test_the_table_puts_the_checker_beside_the_ledger(tmp_path: Path) -> None:
    _history(tmp_path, "service")
    reads = [judge_reads("coupled", tmp_path, workload_reads=True)]
    swarms = RunDirectory(RECORDED).read_record(SWARMS)  # a recorded swarm of each strategy: its ledger's figures
    console = Console(file=io.StringIO(), width=200)
    console.print(reads_table(reads, swarms))
    text = console.file.getvalue()  # type: ignore[attr-defined]
    assert "service (system)" in text and "1000.00" in text and "FAIL" in text and "measured" in text
    assert reads_markdown(reads)[2] == "| coupled | one_statement | 1 | 0 | 0 | 0 | 0.00 |"


def test_the_readiness_gate_judges_the_systems_readers_per_strategy(tmp_path: Path) -> None:
    from plsync.gates import EXEMPT, FAIL, NOT_MEASURED, PASS
    from plsync.stages.reads import STAGE, _unread_system_modes

    def row(strategy: str, mode: str, reads: int, fractured: int | None) -> ReadsRecord:
        return ReadsRecord(strategy=strategy, transport="direct", mode=mode, system_code=True, reads=reads,
                           torn=fractured or 0, between=0, visible=0, fractured=fractured, rate_per_1000=None)

    (gate,) = STAGE.gates
    assert gate.file is READS_SYSTEM
    written = [row("coupled", "service", 10, 0), row("trigger", "service", 10, 2), row("legacy", "service", 10, 5),
               *_unread_system_modes("advisory", "http", [])]  # the API never read: a row that says so
    run = RunDirectory(tmp_path)
    run.write_record(READS_SYSTEM, written)
    outcomes = gate.check("reads", run.read_record(READS_SYSTEM))
    assert [(o.subject, o.status) for o in outcomes] == [("coupled/service", PASS), ("trigger/service", FAIL),
                                                         ("legacy/service", EXEMPT), ("advisory/api", NOT_MEASURED)]
    assert outcomes[-1].note == " (never read in this swarm)"


def test_a_swarms_reads_round_trip_through_the_contract(tmp_path: Path) -> None:
    _history(tmp_path / "ledgers", "service")
    judged = judge_reads("coupled", tmp_path / "ledgers", workload_reads=True)
    run = RunDirectory(tmp_path)
    run.write_record(SWARM_READS, judged)
    assert run.read_record(SWARM_READS) == judged
    example = judged.rows[[r.mode for r in judged.rows].index("service")].examples["torn_one_transaction"][0]
    assert (example.read.progress_level, example.read.license_level, example.read.outcome) == (1, 2, "ok")
