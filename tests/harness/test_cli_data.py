"""seed, check, repair and recover-orphans as a user runs them against a database URL."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine, text

from plsync import exit_codes
from tests.cli import PLSYNC, clean_env, directories_of, plsync, still_running_in, wait_until


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _users(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM users")).scalar_one())


def test_seed_check_repair_round_trip(scratch_engine: Engine, tmp_path: Path) -> None:
    url, manifest = _url(scratch_engine), tmp_path / "manifest.json"
    seeded = plsync("seed", "--users", "2500", "--seed", "8", "--manifest", str(manifest), "--json",
                    "--database-url", url)
    assert seeded.returncode == 0, seeded.stderr
    assert json.loads(seeded.stdout)["faults"] == 1000
    truth = json.loads(manifest.read_text())
    assert len(truth["faults"]) == 1000 and truth["mix"] == {"license_behind": 250, "license_ahead": 250,
                                                             "progress_without_license": 250,
                                                             "license_without_progress": 250}
    check = json.loads(plsync("check", "--json", "--database-url", url).stdout)
    assert check["count"] == len(check["issues"]) == 1000
    assert {(i["user_id"], i["specialization"]) for i in check["issues"]} == {
        (f["user_id"], f["specialization"]) for f in truth["faults"]}
    dry = json.loads(plsync("repair", "--json", "--database-url", url).stdout)
    assert (dry["dry_run"], dry["planned"], dry["synced"]) == (True, 1000, 0)
    assert json.loads(plsync("check", "--json", "--database-url", url).stdout)["count"] == 1000
    done = json.loads(plsync("repair", "--apply", "--direction", "license_to_progress", "--json",
                             "--database-url", url).stdout)
    assert (done["synced"], done["failed"]) == (1000, 0)
    assert json.loads(plsync("check", "--json", "--database-url", url).stdout)["count"] == 0


def test_seed_bad_input_fails_before_writing(scratch_engine: Engine, tmp_path: Path) -> None:
    url = _url(scratch_engine)
    cases = [
        (["--users", "100", "--manifest", str(tmp_path / "no" / "such" / "dir.json")], exit_codes.INVALID_INPUT,
         "cannot write the manifest"),
        (["--users", "100", "--faults", "gremlins=1"], exit_codes.CONFIGURATION, "unknown fault kind"),
        (["--users", "-5"], exit_codes.INVALID_INPUT, "cannot be negative"),
        (["--users", "50", "--faults", "license_without_progress=5000"], exit_codes.INVALID_INPUT,
         "too few eligible pairs"),
    ]
    for args, code, message in cases:
        result = plsync("seed", *args, "--database-url", url)
        assert result.returncode == code and message in result.stderr, (args, result.stderr)
    assert _users(scratch_engine) == 0  # seeding and injecting share one transaction


def test_recover_orphans_dry_run_then_apply_only_when_disposable(scratch_engine: Engine, tmp_path: Path) -> None:
    url = _url(scratch_engine)
    assert plsync("seed", "--users", "300", "--faults", "orphan_progress=3,orphan_license=2", "--manifest",
                  str(tmp_path / "m.json"), "--database-url", url).returncode == 0
    dry = json.loads(plsync("recover-orphans", "--json", "--database-url", url).stdout)
    assert (dry["dry_run"], dry["found"]) == (True, 5)
    with scratch_engine.connect() as conn:
        conn.execute(text(f'COMMENT ON DATABASE "{scratch_engine.url.database}" IS NULL'))
        conn.commit()
    refused = plsync("recover-orphans", "--apply", "--database-url", url)
    assert refused.returncode == exit_codes.UNSAFE
    applied = plsync("recover-orphans", "--apply", "--disposable", "--backup-dir", str(tmp_path / "bk"), "--json",
                     "--database-url", url)
    assert applied.returncode == 0, applied.stderr
    report = json.loads(applied.stdout)
    assert report["deleted"]["specialization_progress"] == 3 and report["deleted"]["user_licenses"] == 2
    assert Path(report["backup_file"]).exists()
    assert json.loads(plsync("recover-orphans", "--json", "--database-url", url).stdout)["found"] == 0


def test_db_up_serves_until_interrupted() -> None:
    import signal
    import subprocess

    proc = subprocess.Popen([PLSYNC, "db", "up", "--no-redis", "--users", "50"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, env=clean_env())
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("export PLSYNC_DATABASE_URL=")
        url = line.split("=", 1)[1].strip().strip("'")
        servers = directories_of(proc.pid)
        checked = plsync("check", "--json", "--database-url", url)
        assert checked.returncode == 0 and json.loads(checked.stdout)["count"] == 0
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(30)
    assert proc.returncode == 130
    assert servers and wait_until(lambda: not still_running_in(servers), 10)
    assert not any(d.exists() for d in servers)


def test_defaults_write_into_a_run_directory_not_the_working_directory(scratch_engine: Engine,
                                                                       tmp_path: Path) -> None:
    url = _url(scratch_engine)
    seeded = plsync("seed", "--users", "200", "--faults", "license_behind=5,orphan_progress=2", "--database-url", url,
                    cwd=tmp_path)
    assert seeded.returncode == 0, seeded.stderr
    (manifest,) = (tmp_path / "runs").glob("*-seed/manifest.json")
    assert len(json.loads(manifest.read_text())["faults"]) == 7
    assert f"ground truth: {manifest}" in seeded.stdout
    applied = plsync("recover-orphans", "--apply", "--database-url", url, cwd=tmp_path)
    assert applied.returncode == 0 and "backed up" in applied.stdout, applied.stderr
    assert list((tmp_path / "runs").glob("*-orphan-recovery/orphans-*.json"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runs"]


def test_summaries_for_people_and_json_for_programs(scratch_engine: Engine, tmp_path: Path) -> None:
    url = _url(scratch_engine)
    seeded = plsync("seed", "--users", "300", "--manifest", str(tmp_path / "m.json"), "--faults",
                    "license_ahead=4,progress_without_license=3", "--database-url", url)
    assert seeded.stdout.startswith("seeded 300 users (") and "injected 7 faults (license_ahead 4, " \
        "progress_without_license 3)" in seeded.stdout, seeded.stdout
    dry = plsync("repair", "--database-url", url)
    assert dry.stdout.strip() == ("dry run: 7 desynced pairs, 7 repairs planned (create_license 3, set_license_level "
                                  "4); nothing changed (pass --apply to repair, progress_to_license)")
    assert "{" not in dry.stdout  # no dict repr
    done = plsync("repair", "--apply", "--database-url", url)
    assert done.stdout.strip().startswith("repaired 7 of 7 pairs")
    assert json.loads(plsync("repair", "--json", "--database-url", url).stdout)["issues_found"] == 0


DATA_COMMANDS = (["migrate"], ["level-up"], ["advance-license"], ["seed"], ["check"], ["repair"],
                 ["recover-orphans"], ["stress"], ["scenarios"], ["swarm"], ["readiness"])


def test_every_command_that_touches_data_takes_disposable_and_json() -> None:
    from typer.testing import CliRunner

    from plsync.cli import app

    runner = CliRunner()
    for command in DATA_COMMANDS:
        shown = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "200"}, terminal_width=200)
        assert shown.exit_code == 0, shown.output
        assert "--disposable" in shown.output and "--json" in shown.output and "--database-url" in shown.output, \
            command
