"""SpecializationService: level requirements, whether a student can level up, and progress updates."""

from __future__ import annotations

from sqlalchemy.orm import Session

from system.models import SpecializationProgress
from system.services.catalog import LevelRequirementView, load_rules
from system.services.checkpoints import AFTER_PROGRESS_READ, Checkpoint, reach
from system.services.rows import ensure_progress, get_progress
from system.services.rules import AuditLogger, BoundaryValidator, StateValidator, require_user
from system.services.types import LevelUpRequest, ProgressUpdate


class SpecializationService:
    def get_level_requirements(self, *, session: Session, specialization: str,
                               level: int) -> LevelRequirementView | None:
        """Requirements of ``level``, or None past the specialization's max (read from the database)."""
        return load_rules(session=session, specialization=specialization).requirement(level)

    def can_level_up(self, *, session: Session, user_id: int, specialization: str) -> bool:
        """True when the next level exists and the student's totals already meet it."""
        rules = load_rules(session=session, specialization=specialization)
        progress = get_progress(session=session, user_id=user_id, specialization=specialization, lock=False)
        current = progress.current_level if progress else 1
        nxt = rules.requirement(current + 1)
        if nxt is None:
            return False
        if progress is None:
            return nxt.required_xp == 0 and nxt.required_sessions == 0
        return rules.earned_level(xp=progress.total_xp, sessions=progress.completed_sessions,
                                  theory_hours=progress.theory_hours,
                                  practice_hours=progress.practice_hours) > current

    def update_progress(self, *, session: Session, request: LevelUpRequest, lock: bool,
                        progress: SpecializationProgress | None = None,
                        checkpoint: Checkpoint | None = None) -> ProgressUpdate:
        """Add XP, sessions and hours, then level up as far as the requirements allow.

        A Python read-modify-write of the row: safe only when ``lock`` is True or something else
        serialises callers (an advisory or Redis lock, SERIALIZABLE). The ``legacy`` strategy calls it
        unprotected on purpose. The license is not touched here: syncing is the caller's hook.
        """
        BoundaryValidator.validate_level_up(request)
        rules = load_rules(session=session, specialization=request.specialization)
        created = False
        if progress is None:  # a caller that already holds the row (locked) passes it in
            require_user(session=session, user_id=request.user_id)
            progress, created = ensure_progress(session=session, user_id=request.user_id,
                                                specialization=request.specialization, lock=lock)
        reach(checkpoint, AFTER_PROGRESS_READ, session)
        previous = progress.current_level
        progress.total_xp += request.xp
        progress.completed_sessions += request.sessions
        progress.theory_hours += request.theory_hours
        progress.practice_hours += request.practice_hours
        earned = rules.earned_level(xp=progress.total_xp, sessions=progress.completed_sessions,
                                    theory_hours=progress.theory_hours, practice_hours=progress.practice_hours)
        progress.current_level = max(previous, earned)
        StateValidator.validate_progress(progress, rules)
        if progress.current_level != previous:
            AuditLogger.record(session=session, user_id=request.user_id, specialization=request.specialization,
                               entity="progress", old_level=previous, new_level=progress.current_level,
                               reason=request.reason)
        session.flush()
        return ProgressUpdate(request.user_id, request.specialization, previous, progress.current_level,
                              progress.total_xp, progress.completed_sessions, created)
