"""Decide, without touching the database, what fixes a list of desync issues.

A missing partner is always created from the row that exists (it is the only source there is); the
direction decides only which side wins a level mismatch.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from system.services.types import DesyncIssue, Direction

SET_LICENSE_LEVEL = "set_license_level"
SET_PROGRESS_LEVEL = "set_progress_level"
CREATE_LICENSE = "create_license"
CREATE_PROGRESS = "create_progress"


@dataclass(frozen=True)
class RepairAction:
    user_id: int
    specialization: str
    action: str
    target_level: int


def plan_repairs(issues: list[DesyncIssue], direction: Direction) -> list[RepairAction]:
    plan: list[RepairAction] = []
    for issue in issues:
        if issue.kind == "progress_without_license":
            assert issue.progress_level is not None
            plan.append(RepairAction(issue.user_id, issue.specialization, CREATE_LICENSE, issue.progress_level))
        elif issue.kind == "license_without_progress":
            assert issue.license_level is not None
            plan.append(RepairAction(issue.user_id, issue.specialization, CREATE_PROGRESS, issue.license_level))
        elif issue.kind == "level_mismatch":
            assert issue.progress_level is not None and issue.license_level is not None
            if direction is Direction.PROGRESS_TO_LICENSE:
                plan.append(RepairAction(issue.user_id, issue.specialization, SET_LICENSE_LEVEL,
                                         issue.progress_level))
            else:
                plan.append(RepairAction(issue.user_id, issue.specialization, SET_PROGRESS_LEVEL,
                                         issue.license_level))
        else:
            raise ValueError(f"unknown desync kind {issue.kind!r}")
    return plan


def count_by_action(plan: list[RepairAction]) -> dict[str, int]:
    return dict(Counter(a.action for a in plan))
