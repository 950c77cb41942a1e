"""Trigger that keeps the license row in step with progress (the ``trigger`` strategy).

The trigger is installed for everyone but acts only in transactions that opt in with
``SET LOCAL plsync.sync_trigger = 'on'``: the strategies are the experiment's variable, so one
schema must serve all of them and only the ``trigger`` strategy may be helped by the database.

Revision ID: 0006_license_sync_trigger
Revises: 0005_check_constraints
"""

from __future__ import annotations

from alembic import op

revision = "0006_license_sync_trigger"
down_revision = "0005_check_constraints"
branch_labels = None
depends_on = None

FUNCTION = """
CREATE FUNCTION plsync_sync_license_from_progress() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    lic user_licenses%ROWTYPE;
    why text := coalesce(nullif(current_setting('plsync.reason', true), ''), 'progress sync (trigger)');
BEGIN
    IF coalesce(current_setting('plsync.sync_trigger', true), '') <> 'on' THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.current_level IS DISTINCT FROM NEW.current_level THEN
        INSERT INTO audit_log (user_id, specialization_id, entity, old_level, new_level, reason)
        VALUES (NEW.student_id, NEW.specialization_id, 'progress', OLD.current_level, NEW.current_level, why);
    END IF;
    SELECT * INTO lic FROM user_licenses
     WHERE user_id = NEW.student_id AND specialization_type = NEW.specialization_id
       FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO user_licenses (user_id, specialization_type, current_level, max_achieved_level,
                                   last_advanced_at)
        VALUES (NEW.student_id, NEW.specialization_id, NEW.current_level, NEW.current_level, now())
        RETURNING * INTO lic;
        INSERT INTO license_progressions (user_license_id, from_level, to_level, advanced_by, reason)
        VALUES (lic.id, 0, NEW.current_level, NULL, why);
        INSERT INTO audit_log (user_id, specialization_id, entity, old_level, new_level, reason)
        VALUES (NEW.student_id, NEW.specialization_id, 'license', NULL, NEW.current_level, why);
    ELSIF lic.current_level <> NEW.current_level THEN
        UPDATE user_licenses
           SET current_level = NEW.current_level,
               max_achieved_level = greatest(max_achieved_level, NEW.current_level),
               last_advanced_at = now(), updated_at = now()
         WHERE id = lic.id;
        INSERT INTO license_progressions (user_license_id, from_level, to_level, advanced_by, reason)
        VALUES (lic.id, lic.current_level, NEW.current_level, NULL, why);
        INSERT INTO audit_log (user_id, specialization_id, entity, old_level, new_level, reason)
        VALUES (NEW.student_id, NEW.specialization_id, 'license', lic.current_level, NEW.current_level, why);
    END IF;
    RETURN NEW;
END;
$$;
"""


def upgrade() -> None:
    op.execute(FUNCTION)
    op.execute(
        """
        CREATE TRIGGER trg_progress_syncs_license
        AFTER INSERT OR UPDATE OF current_level, total_xp ON specialization_progress
        FOR EACH ROW EXECUTE FUNCTION plsync_sync_license_from_progress()
        """
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS trg_progress_syncs_license ON specialization_progress")
    op.execute("DROP FUNCTION IF EXISTS plsync_sync_license_from_progress()")
