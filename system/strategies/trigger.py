"""``trigger``: the database keeps the license in step. Progress changes in one atomic UPDATE that
computes the earned level in SQL; the ``trg_progress_syncs_license`` trigger (migration 0006), enabled
for this transaction only, then creates or moves the license and writes its progression and audit."""

from __future__ import annotations

from sqlalchemy import TextClause, text
from sqlalchemy.orm import Session

from system.services.catalog import load_rules
from system.services.checkpoints import AFTER_PROGRESS_WRITE
from system.services.rows import get_license
from system.services.rules import BoundaryValidator, require_user
from system.services.types import AdvanceLicenseRequest, LevelUpRequest, LevelUpResult, LicenseResult
from system.strategies.base import StrategyContext, register
from system.strategies.coupled import CoupledStrategy

_LEVEL_UP_SQL = """
    UPDATE specialization_progress p
       SET total_xp = p.total_xp + :xp,
           completed_sessions = p.completed_sessions + :sessions,
           theory_hours = p.theory_hours + :theory,
           practice_hours = p.practice_hours + :practice,
           current_level = greatest(p.current_level, coalesce((
               SELECT max(r.level)
                 FROM level_requirements r JOIN specializations s ON s.id = r.specialization_id
                WHERE r.specialization_id = p.specialization_id AND r.level <= s.max_levels
                  AND r.required_xp <= p.total_xp + :xp
                  AND r.required_sessions <= p.completed_sessions + :sessions
                  AND r.required_theory_hours <= p.theory_hours + :theory
                  AND r.required_practice_hours <= p.practice_hours + :practice), 1)),
           updated_at = now()
     WHERE p.student_id = :uid AND p.specialization_id = :spec
    RETURNING {previous} AS previous_level, p.current_level AS level, p.total_xp
"""


def enable_sync_trigger(session: Session, reason: str) -> None:
    session.execute(text("SELECT set_config('plsync.sync_trigger', 'on', true), "
                         "set_config('plsync.reason', :reason, true)"), {"reason": reason})


@register
class TriggerStrategy(CoupledStrategy):
    name = "trigger"
    description = "a database trigger keeps the license row in step with progress"
    lock_rows = True  # license advances reuse the coupler; level-ups lock through the UPDATE itself

    def __init__(self, ctx: StrategyContext) -> None:
        super().__init__(ctx)
        # PostgreSQL 18 can return the row's old level from the UPDATE itself. Which one applies is read
        # from the first connection's server version, not here: constructing connects to nothing (the
        # API builds its strategy outside the event loop its database runs on).
        self._sql = {new: text(_LEVEL_UP_SQL.format(previous="old.current_level" if new else "NULL::integer"))
                     for new in (True, False)}

    def _level_up_sql(self, session: Session) -> TextClause:
        version = session.connection().dialect.server_version_info or (0,)
        return self._sql[version >= (18,)]

    def level_up(self, request: LevelUpRequest) -> LevelUpResult:
        BoundaryValidator.validate_level_up(request)
        params = {"uid": request.user_id, "spec": request.specialization, "xp": request.xp,
                  "sessions": request.sessions, "theory": request.theory_hours,
                  "practice": request.practice_hours}

        def work(session: Session) -> LevelUpResult:
            enable_sync_trigger(session, request.reason)
            sql = self._level_up_sql(session)
            row = session.execute(sql, params).first()
            if row is None:  # no progress row yet: validate, create it (the trigger adds the license), retry
                load_rules(session=session, specialization=request.specialization)
                require_user(session=session, user_id=request.user_id)
                session.execute(text("INSERT INTO specialization_progress (student_id, specialization_id) "
                                     "VALUES (:uid, :spec) ON CONFLICT DO NOTHING"), params)
                row = session.execute(sql, params).one()
            self.ctx.at(AFTER_PROGRESS_WRITE, session)
            lic = get_license(session=session, user_id=request.user_id, specialization=request.specialization,
                              lock=False)
            previous = row.previous_level if row.previous_level is not None else row.level
            return LevelUpResult(request.user_id, request.specialization, previous, row.level, row.total_xp,
                                 lic.current_level if lic else None, self.name)

        return self.transaction(work)

    def advance_license(self, request: AdvanceLicenseRequest) -> LicenseResult:
        def work(session: Session) -> LicenseResult:
            enable_sync_trigger(session, request.reason)
            update, synced = self.coupler.advance_license_atomic(session=session, request=request,
                                                                 checkpoint=self.ctx.at)
            return LicenseResult(request.user_id, request.specialization, update.previous_level, update.level,
                                 synced.level_after, self.name)

        return self.transaction(work)
