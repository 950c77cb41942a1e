"""Fault injection against its manifest: detection is exact for every kind, several seeds and mixes."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from fixtures.bulk_population import PopulationSpec, populate
from fixtures.faults import FaultMix, Manifest, inject_faults, open_manifest
from scenarios.detection import expected_findings, observed_findings, score
from scenarios.measure import table_checksums
from system import migrate
from system.errors import ConfigurationError, InvalidInputError
from system.services.sync_service import ProgressLicenseSyncService

MIXES = [
    "default",
    "license_behind=40,license_ahead=35,progress_without_license=30,license_without_progress=25,"
    "orphan_progress=12,orphan_license=9",
    "duplicate_progress=20,license_ahead=10",
    "out_of_range=15,negative_xp=18,license_behind=7",
]


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("mix", MIXES)
def test_detection_matches_the_manifest_exactly(scratch_engine: Engine, mix: str, seed: int) -> None:
    populate(scratch_engine, PopulationSpec(users=2500, seed=seed))
    parsed = FaultMix.parse(mix)
    manifest = inject_faults(scratch_engine, parsed, seed=seed)
    assert len(manifest.faults) == parsed.total
    assert len({(f.user_id, f.specialization) for f in manifest.faults}) == parsed.total  # one fault per pair
    with Session(scratch_engine) as session:
        result = score(expected_findings(manifest), observed_findings(session))
    assert result.missed == [] and result.invented == []
    assert all(k.precision == k.recall == 1.0 for k in result.kinds)
    assert Manifest.from_json(manifest.to_json()) == manifest


def test_schema_faults_are_injected_below_the_constraint_that_forbids_them(scratch_engine: Engine) -> None:
    populate(scratch_engine, PopulationSpec(users=500, seed=1))
    manifest = inject_faults(scratch_engine, FaultMix.parse("negative_xp=3"), seed=1)
    assert manifest.schema_revision == migrate.current_revision(scratch_engine) == "0004_foreign_keys"
    with pytest.raises(Exception, match="ck_specialization_progress_total_xp_non_negative"):
        migrate.upgrade(scratch_engine)  # the CHECK cannot be added while the bad rows are there


def test_bad_mixes_fail_before_anything_is_written(scratch_engine: Engine, tmp_path: Path) -> None:
    populate(scratch_engine, PopulationSpec(users=200, seed=1))
    with Session(scratch_engine) as session:
        before = table_checksums(session)
    with pytest.raises(ConfigurationError, match="unknown fault kind 'gremlins'"):
        FaultMix.parse("gremlins=3")
    with pytest.raises(ConfigurationError, match="malformed fault"):
        FaultMix.parse("license_behind")
    with pytest.raises(InvalidInputError, match="cannot be negative"):
        FaultMix.parse("license_ahead=-2")
    with pytest.raises(InvalidInputError, match="too few eligible pairs"):
        inject_faults(scratch_engine, FaultMix.parse("progress_without_license=100000"), seed=1)
    with pytest.raises(InvalidInputError, match="cannot write the manifest"):
        open_manifest(tmp_path / "missing-dir" / "manifest.json")
    with Session(scratch_engine) as session:
        assert table_checksums(session) == before
    assert migrate.current_revision(scratch_engine) == migrate.head_revision()


def test_repair_skips_orphans_instead_of_failing(scratch_engine: Engine) -> None:
    populate(scratch_engine, PopulationSpec(users=300, seed=2))
    inject_faults(scratch_engine, FaultMix.parse("license_behind=5,orphan_progress=2,orphan_license=1"), seed=2)
    with Session(scratch_engine) as session, session.begin():
        report = ProgressLicenseSyncService().auto_sync_all(session=session, dry_run=False)
    assert (report.planned, report.synced, report.failed) == (8, 5, 3)
    with Session(scratch_engine) as session:
        kinds = session.execute(text("SELECT count(*) FROM user_licenses l LEFT JOIN users u ON u.id = l.user_id "
                                     "WHERE u.id IS NULL")).scalar()
    assert kinds == 1  # the orphan license is still an orphan: recovery, not sync, handles it
