"""Score the detectors against a fault manifest: precision and recall per kind of finding.

Each injected fault implies exact findings (an orphan progress row is also a progress row without a
license); the detectors' output is reduced to the same (finding, user, specialization) keys, so
anything missed or invented shows up as a recall or precision below 1.0.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy.orm import Session

from fixtures.faults import Manifest
from system.services.integrity import IntegrityChecker
from system.services.sync_service import ProgressLicenseSyncService

Finding = tuple[str, int, str]

IMPLIED: dict[str, tuple[str, ...]] = {
    "license_behind": ("level_mismatch",),
    "license_ahead": ("level_mismatch",),
    "progress_without_license": ("progress_without_license",),
    "license_without_progress": ("license_without_progress",),
    "orphan_progress": ("orphan_progress", "progress_without_license"),
    "orphan_license": ("orphan_license", "license_without_progress"),
    "duplicate_progress": ("duplicate_progress",),
    "out_of_range": ("out_of_range_progress", "out_of_range_license"),
    "negative_xp": ("negative_values",),
}


def expected_findings(manifest: Manifest) -> set[Finding]:
    return {(finding, f.user_id, f.specialization) for f in manifest.faults for finding in IMPLIED[f.kind]}


def observed_findings(session: Session) -> set[Finding]:
    found: set[Finding] = {(i.kind, i.user_id, i.specialization)
                           for i in ProgressLicenseSyncService().find_desync_issues(session=session)}
    report = IntegrityChecker().check(session=session, include_desync=False)
    for name, rows in report.findings.items():
        for row in rows:
            kind = {"orphan_licenses": "orphan_license", "duplicate_licenses": "duplicate_license",
                    "out_of_range_levels": f"out_of_range_{row.get('entity')}"}.get(name, name)
            found.add((kind, row["user_id"], row["specialization"]))
    return found


@dataclass(frozen=True)
class KindScore:
    kind: str
    expected: int
    observed: int
    true_positives: int

    @property
    def precision(self) -> float:
        return self.true_positives / self.observed if self.observed else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.expected if self.expected else 1.0


@dataclass(frozen=True)
class DetectionScore:
    kinds: list[KindScore]
    missed: list[Finding]
    invented: list[Finding]

    @property
    def perfect(self) -> bool:
        return not self.missed and not self.invented


def score(expected: set[Finding], observed: set[Finding]) -> DetectionScore:
    by_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for f in expected:
        by_kind[f[0]][0] += 1
    for f in observed:
        by_kind[f[0]][1] += 1
    for f in expected & observed:
        by_kind[f[0]][2] += 1
    kinds = [KindScore(k, e, o, tp) for k, (e, o, tp) in sorted(by_kind.items())]
    return DetectionScore(kinds, sorted(expected - observed), sorted(observed - expected))
