"""A distributed swarm whose ledger did not all reach the master: the readiness gate fails on it (whatever the
strategy) and the swarm tables say "incomplete" with the worker and why, never "pass"."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console

from plsync.gates import failures
from plsync.records.files import SWARMS
from plsync.records.swarms import SwarmRecord
from plsync.stages.swarms import STAGE
from reports.swarm import swarm_markdown, swarm_table

RECORDED = Path(__file__).parent / "recorded_run" / "swarms.json"
WHY = "quit or fell silent before its final batch (10 records in 1 batches received)"


def recorded() -> list[SwarmRecord]:
    return SWARMS.decode(json.loads(RECORDED.read_text()))


def incomplete(record: SwarmRecord) -> SwarmRecord:
    return record.model_copy(update={"incomplete_workers": {"host-b_7": WHY},
                                     "failures_of_gates": [f"incomplete: host-b_7: {WHY}"]})


def test_an_incomplete_swarm_fails_its_gate_even_for_legacy() -> None:
    swarms = recorded()
    assert {s.strategy for s in swarms} >= {"legacy", "coupled"}
    gate = next(g for g in STAGE.gates if g.field == "incomplete_workers")
    assert all(o.status == "pass" for o in gate.check("swarms", swarms))  # the recording was complete
    marked = [incomplete(s) if s.strategy in ("legacy", "coupled") else s for s in swarms]
    assert failures(gate.check("swarms", marked)) == [
        f"swarms: {s}: every worker's ledger reached the master: {{'host-b_7': '{WHY}'}}"
        for s in ("legacy", "coupled")]


def test_the_tables_say_incomplete_with_the_worker_and_why() -> None:
    swarms = [incomplete(s) if s.strategy == "coupled" else s for s in recorded()]
    markdown = swarm_markdown(swarms)
    coupled = next(line for line in markdown if line.startswith("| coupled "))
    assert f"| INCOMPLETE: incomplete: host-b_7: {WHY} |" in coupled and "pass" not in coupled
    assert f"- incomplete: coupled: worker host-b_7: {WHY}; the ledger's invariants (lost and unacknowledged XP) " \
        "were not judged" in markdown
    console = Console(width=400, record=True)
    console.print(swarm_table(swarms))
    text = console.export_text()
    assert "INCOMPLETE" in text and f"incomplete: coupled: worker host-b_7: {WHY}" in text
    # Even a record whose gates list was left empty (written by hand, or by an older producer) is not a pass.
    bare = swarms[0].model_copy(update={"incomplete_workers": {"host-b_7": WHY}, "failures_of_gates": []})
    assert swarm_markdown([bare])[2].endswith("| INCOMPLETE |")
    complete = Console(width=400, record=True)
    complete.print(swarm_table(recorded()))
    assert "incomplete" not in complete.export_text().lower()


def test_a_swarm_whose_ledger_is_empty_judged_nothing_and_fails_its_gate() -> None:
    swarms = recorded()  # version 0 (before the contract): ledger_entries computed by the upgrade
    assert [s.ledger_entries for s in swarms] == [sum(s.ledger.values()) for s in swarms] and swarms[0].ledger_entries
    gate = next(g for g in STAGE.gates if g.field == "ledger_entries")
    empty = swarms[0].model_copy(update={"ledger": {"ok": 0, "failed": 0, "unknown": 0}, "ledger_entries": 0})
    assert [(o.subject, o.status) for o in gate.check("swarms", [empty, *swarms[1:]])] == [
        (empty.strategy, "fail"), *[(s.strategy, "pass") for s in swarms[1:]]]


def test_a_version_1_swarm_file_gets_its_ledger_entries_from_the_counts() -> None:
    body = recorded()[1].model_dump(mode="json")
    del body["ledger_entries"], body["incomplete_workers"]
    upgraded = SWARMS.decode({"schema": 1, "records": [body]})[0]
    assert upgraded.ledger_entries == sum(body["ledger"].values()) and upgraded.incomplete_workers == {}
