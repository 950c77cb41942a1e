"""The invariant checker: reads the database and a run's ledger and lists every violation with proof.

Invariants: no desynced pair, no lost update (XP acknowledged to clients is stored), no write that
nobody was told of, no duplicate rows, no level outside 1..max, no negative amounts, no orphans.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from scenarios.ledger import Ledger, Outcome, Pair
from system.services.integrity import IntegrityChecker
from system.services.sync_service import ProgressLicenseSyncService

EVIDENCE_LIMIT = 20


@dataclass(frozen=True)
class InvariantResult:
    name: str
    violations: int
    evidence: list[dict[str, Any]] = field(default_factory=list)
    #: A quantity over all violations where one applies (XP lost, XP written unacknowledged).
    amount: int = 0

    @property
    def passed(self) -> bool:
        return self.violations == 0


@dataclass(frozen=True)
class InvariantReport:
    results: list[InvariantResult]

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    def get(self, name: str) -> InvariantResult:
        return next(r for r in self.results if r.name == name)

    def violations(self, name: str) -> int:
        return self.get(name).violations

    def failed_names(self) -> list[str]:
        return [r.name for r in self.results if not r.passed]


def stored_xp(session: Session, pairs: list[Pair]) -> dict[Pair, int]:
    if not pairs:
        return {}
    rows = session.execute(text(
        "SELECT p.student_id, p.specialization_id, sum(p.total_xp) FROM specialization_progress p "
        "JOIN unnest(CAST(:u AS integer[]), CAST(:s AS text[])) AS v(u, s) "
        "ON p.student_id = v.u AND p.specialization_id = v.s GROUP BY 1, 2"),
        {"u": [p[0] for p in pairs], "s": [p[1] for p in pairs]}).all()
    return {(r[0], r[1]): int(r[2]) for r in rows}


def _result(name: str, rows: list[dict[str, Any]], amount_key: str | None = None) -> InvariantResult:
    amount = sum(int(r[amount_key]) for r in rows) if amount_key else 0
    return InvariantResult(name, len(rows), rows[:EVIDENCE_LIMIT], amount)


def check_ledger(session: Session, ledger: Ledger, baseline_xp: dict[Pair, int]) -> list[InvariantResult]:
    acked, unknown = ledger.xp_by_pair(Outcome.OK), ledger.xp_by_pair(Outcome.UNKNOWN)
    pairs = sorted(set(acked) | set(unknown) | set(baseline_xp))
    stored = stored_xp(session, pairs)
    lost, phantom = [], []
    for pair in pairs:
        base, ok, maybe = baseline_xp.get(pair, 0), acked.get(pair, 0), unknown.get(pair, 0)
        now = stored.get(pair, 0)
        row = {"user_id": pair[0], "specialization": pair[1], "baseline_xp": base, "acknowledged_xp": ok,
               "unknown_outcome_xp": maybe, "stored_xp": now}
        if now < base + ok:
            lost.append(row | {"lost_xp": base + ok - now})
        elif now > base + ok + maybe:
            phantom.append(row | {"unacknowledged_xp": now - base - ok - maybe})
    return [_result("lost_updates", lost, "lost_xp"),
            _result("unacknowledged_writes", phantom, "unacknowledged_xp")]


def check_invariants(session: Session, ledger: Ledger | None = None,
                     baseline_xp: dict[Pair, int] | None = None) -> InvariantReport:
    findings = IntegrityChecker().check(session=session, include_desync=False).findings
    desync = [{"user_id": i.user_id, "specialization": i.specialization, "kind": i.kind,
               "progress_level": i.progress_level, "license_level": i.license_level}
              for i in ProgressLicenseSyncService().find_desync_issues(session=session)]
    results = [
        _result("desynced_pairs", desync),
        _result("duplicate_rows", findings["duplicate_progress"] + findings["duplicate_licenses"]),
        _result("out_of_range_levels", findings["out_of_range_levels"]),
        _result("negative_values", findings["negative_values"]),
        _result("orphans", findings["orphan_progress"] + findings["orphan_licenses"]),
    ]
    if ledger is not None:
        results[1:1] = check_ledger(session, ledger, baseline_xp or {})
    return InvariantReport(results)

