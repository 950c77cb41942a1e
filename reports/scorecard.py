"""The scorecard: every checklist item, gate, invariant and seed claim of a run as one line with its status,
its figure and the file it came from; blockers first; a verdict computed from the lines, never typed."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from plsync.records.files import CAPACITY, CONCURRENCY, MATRIX, SWARMS, VERDICT
from plsync.records.run import GateOutcomeRecord, VerdictRecord
from plsync.records.scenarios import MatrixCellRecord
from plsync.records.strategies import InvariantOutcome
from reports.checklist import CHECKLIST, Requirement
from reports.findings import KIND as FINDING
from reports.findings import WOULD_FAIL, WOULD_PASS, run_findings
from reports.run_reader import RunReader

PASS, FAIL, NOT_MEASURED = "pass", "fail", "not_measured"
CONFIRMED, CONTRADICTED = "confirmed", "contradicted"
_ORDER = {FAIL: 0, NOT_MEASURED: 1, PASS: 2, WOULD_FAIL: 0, WOULD_PASS: 2}
_KIND_ORDER = {"checklist": 0, "gate": 1, "invariant": 2, FINDING: 3}
#: The line of a stage that raised: a failure of every checklist item that names the stage.
STAGE_COMPLETES = "the stage completes"
INVARIANTS = ("desynced_pairs", "lost_updates", "unacknowledged_writes", "duplicate_rows", "out_of_range_levels",
              "negative_values", "orphans")


@dataclass(frozen=True)
class ScoreLine:
    kind: str  # checklist | gate | invariant | finding
    name: str
    stage: str
    #: pass | fail | not_measured; a finding (never part of the verdict): would_pass | would_fail | not_measured
    status: str
    figure: str
    source: str
    details: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ClaimEvidence:
    strategy: str
    observed: str
    evidence: dict[str, Any]


@dataclass(frozen=True)
class ClaimLine:
    source: str
    scenario: str
    strategy: str
    claimed: str
    words: str
    status: str  # confirmed | contradicted
    observed: list[str]
    evidence: list[ClaimEvidence] = field(default_factory=list)


@dataclass(frozen=True)
class Scorecard:
    verdict: str  # ready | not ready | incomplete
    summary: str
    profile: str
    counts: dict[str, int]
    lines: list[ScoreLine]
    claims: list[ClaimLine]

    @property
    def blockers(self) -> list[ScoreLine]:
        return [line for line in self.lines if line.status == FAIL and line.kind != FINDING]


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.4g}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, list):
        return "; ".join(map(str, value)) or "none"
    return str(value)


def gate_lines(verdict: VerdictRecord) -> list[ScoreLine]:
    """One line per declared gate, its subjects folded into the figure and the details."""
    grouped: dict[tuple[str, str], list[GateOutcomeRecord]] = defaultdict(list)
    for outcome in verdict.gates:
        grouped[(outcome.stage, outcome.gate)].append(outcome)
    lines = []
    for (stage, gate), outcomes in grouped.items():
        statuses = {o.status for o in outcomes}
        # Every subject exempt (a smoke profile's timing gates): measured, judged by nothing, so never a pass.
        judged = statuses - {"not_measured", "exempt"}
        status = FAIL if "fail" in statuses else PASS if judged else NOT_MEASURED
        measured = [o for o in outcomes if o.status != "not_measured"]
        details = [f"{o.subject or stage}: {_show(o.observed)} ({o.status}; needs {o.expected})"
                   f"{o.note}" for o in measured]
        if status == NOT_MEASURED and measured:
            figure = "exempt: " + "; ".join(f"{o.subject or stage} measured, not gated: {_show(o.observed)} "
                                            f"(would need {o.expected})" for o in measured)
        elif status == NOT_MEASURED:
            figure = "not measured in this run"
        elif status == FAIL:
            figure = "; ".join(f"{o.subject or stage}: {_show(o.observed)} (needs {o.expected})"
                               for o in outcomes if o.status == "fail")
        else:
            exempt = [o for o in outcomes if o.status == "exempt"]
            passed = len(measured) - len(exempt)
            figure = (f"{_show(measured[0].observed)} (needs {measured[0].expected})" if len(measured) == 1
                      else f"{passed} of {passed} pass")
            figure += "".join(f"; {o.subject} measured, not gated: {_show(o.observed)}" for o in exempt)
        lines.append(ScoreLine("gate", gate, stage, status, figure, outcomes[0].source, details))
    return lines


def invariant_lines(run: RunReader) -> list[ScoreLine]:
    """Each invariant over every judged run of the strategies and swarm stages (legacy shown, not gated)."""
    checked: list[tuple[str, str, InvariantOutcome]] = []
    for file, label in ((CONCURRENCY, "concurrency"), (SWARMS, "swarm")):
        for outcome in run.get(file, []):
            for result in outcome.invariants.results:
                checked.append((f"{label} {outcome.strategy}", outcome.strategy, result))
    sources = ", ".join(f.filename for f in (CONCURRENCY, SWARMS) if run.has(f))
    lines = []
    for name in INVARIANTS:
        results = [(who, strategy, r) for who, strategy, r in checked if r.name == name]
        if not results:
            lines.append(ScoreLine("invariant", name, "invariants", NOT_MEASURED, "not measured in this run",
                                   sources or "concurrency.json, swarms.json"))
            continue
        gated = [(who, r) for who, strategy, r in results if strategy != "legacy"]
        broken = [(who, r) for who, r in gated if r.violations]
        legacy = sum(r.violations for _, strategy, r in results if strategy == "legacy")
        figure = (", ".join(f"{who}: {r.violations:,} violations" for who, r in broken) if broken
                  else f"0 violations in {len(gated)} checked runs")
        if legacy:
            figure += f"; legacy measured, not gated: {legacy:,}"
        details = [f"{who}: {r.violations:,}" + (f" (amount {r.amount:,})" if r.amount else "")
                   for who, _, r in results]
        lines.append(ScoreLine("invariant", name, "invariants", FAIL if broken else PASS, figure, sources, details))
    return lines


def checklist_lines(run: RunReader, gates: list[ScoreLine], stages: dict[str, str],
                    checklist: Sequence[Requirement] = CHECKLIST) -> list[ScoreLine]:
    return [_requirement(item, run, gates, stages) for item in checklist]


def evidence_of(item: Requirement, gates: list[ScoreLine]) -> tuple[list[ScoreLine], list[str]]:
    """The gate lines of the run that are the item's evidence, and the evidence it names that the run has no
    outcome for (a gate renamed since the run, a stage whose gates the run never judged)."""
    found: list[ScoreLine] = []
    absent: list[str] = []
    for evidence in item.evidence:
        of_stage = [g for g in gates if g.stage == evidence.stage and g.name != STAGE_COMPLETES]
        if not evidence.gates:
            found += of_stage
            if not of_stage:
                absent.append(f"any gate of stage {evidence.stage}")
            continue
        for name in evidence.gates:
            line = next((g for g in of_stage if g.name == name), None)
            if line is None:
                absent.append(f"{evidence.stage}: {name}")
            else:
                found.append(line)
    return found, absent


def _requirement(item: Requirement, run: RunReader, all_gates: list[ScoreLine],
                 stages: dict[str, str]) -> ScoreLine:
    gates, absent = evidence_of(item, all_gates)
    where = ", ".join(dict.fromkeys(item.stages))
    sources = ", ".join(sorted({g.source for g in gates})) or "verdict.json"
    missing = [s for s in dict.fromkeys(item.stages) if stages.get(s) != "ran"]
    failed = [g for g in gates if g.status == FAIL]
    errors = [g for g in all_gates if g.name == STAGE_COMPLETES and g.stage in item.stages]
    if failed or errors:
        return ScoreLine("checklist", item.name, where, FAIL,
                         "; ".join(f"{g.stage}: {g.name}: {g.figure}" for g in failed + errors), sources,
                         [item.source])
    if missing:
        why = "; ".join(f"stage {s} was skipped" if s in stages else f"this version has no {s} stage"
                        for s in missing)
        return ScoreLine("checklist", item.name, where, NOT_MEASURED, why, sources, [item.source])
    if absent:
        return ScoreLine("checklist", item.name, where, NOT_MEASURED,
                         "no outcome in this run for: " + "; ".join(absent), sources, [item.source])
    unmeasured = [g for g in gates if g.status == NOT_MEASURED]
    if unmeasured:
        return ScoreLine("checklist", item.name, where, NOT_MEASURED,
                         "not measured: " + "; ".join(f"{g.stage}: {g.name}" for g in unmeasured), sources,
                         [item.source])
    short = item.scale(run) if item.scale else None
    if short:
        return ScoreLine("checklist", item.name, where, NOT_MEASURED, short, sources, [item.source])
    count = sum(len(g.details) for g in gates)
    if not gates or not count:  # never a pass on nothing
        return ScoreLine("checklist", item.name, where, NOT_MEASURED, "no measurement in this run", sources,
                         [item.source])
    return ScoreLine("checklist", item.name, where, PASS,
                     f"{_plural(len(gates), 'gate')} over {_plural(count, 'measurement')} pass", sources, [item.source])


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}" + ("" if count == 1 else "s")


def claim_lines(run: RunReader) -> list[ClaimLine]:
    """Each claim of the seeds about a scenario, against every cell it speaks of."""
    grouped: dict[tuple[str, str, str, str, str], list[MatrixCellRecord]] = defaultdict(list)
    for cell in run.get(MATRIX, []):
        for claim in cell.claims:
            key = (claim.source, cell.scenario, claim.strategy or cell.strategy, claim.outcome,
                   claim.words)
            grouped[key].append(cell)
    lines = []
    for (source, scenario, _strategy, claimed, words), cells in grouped.items():
        wrong = [c for c in cells if c.observed not in (claimed, "skipped")]
        strategies = sorted({c.strategy for c in cells})
        lines.append(ClaimLine(source, scenario, "*" if len(strategies) > 1 else strategies[0], claimed, words,
                               CONTRADICTED if wrong else CONFIRMED,
                               [f"{c.strategy}: {c.observed}" for c in cells],
                               [ClaimEvidence(c.strategy, c.observed, c.evidence)
                                for c in wrong]))
    return sorted(lines, key=lambda c: (c.status != CONTRADICTED, c.source, c.scenario))


def finding_lines(run: RunReader) -> list[ScoreLine]:
    """A line per strategy of the run that the capacity gates did not judge: shown, never part of the verdict."""
    return [ScoreLine(FINDING, f"ready with {f.strategy}", "capacity", f.status, f.text, CAPACITY.filename)
            for f in run_findings(run.get(CAPACITY))]


def build_scorecard(run: RunReader) -> Scorecard:
    verdict = run.load(VERDICT)
    stages = {s.name: s.status for s in verdict.stages}
    gates = gate_lines(verdict)
    for record in verdict.stages:
        if record.status == "error":
            gates.append(ScoreLine("gate", STAGE_COMPLETES, record.name, FAIL, str(record.error),
                                   "verdict.json"))
    judged = checklist_lines(run, gates, stages) + gates + invariant_lines(run)
    findings = finding_lines(run)
    # Findings after every line that decides the verdict, whatever their status.
    lines = sorted(judged, key=lambda line: (_ORDER[line.status], _KIND_ORDER[line.kind])) + findings
    counts = {status: sum(line.status == status for line in judged) for status in (FAIL, NOT_MEASURED, PASS)}
    counts |= {f"findings_{status}": sum(f.status == status for f in findings)
               for status in (WOULD_FAIL, NOT_MEASURED, WOULD_PASS)}
    claims = claim_lines(run)
    counts["claims_contradicted"] = sum(c.status == CONTRADICTED for c in claims)
    unmeasured = [line.name for line in judged if line.kind == "checklist" and line.status == NOT_MEASURED]
    if counts[FAIL]:
        verdict_text, summary = "not ready", f"{counts[FAIL]} blocker(s): " + "; ".join(
            f"{line.stage}: {line.name}" for line in judged if line.status == FAIL)
    elif unmeasured:
        verdict_text, summary = "incomplete", ("nothing failed, but this run did not measure: " +
                                               "; ".join(unmeasured))
    else:
        verdict_text, summary = "ready", "every gate passed and every checklist item was measured at its scale"
    return Scorecard(verdict_text, summary, verdict.profile, counts, lines, claims)
