"""Data commands: seed a population with faults, check, repair, recover orphans, recovery stress.

Each prints a short summary for people and, with ``--json``, the full result as JSON on stdout. Files they
write (a manifest, orphan backups) go into a run directory unless a path is given.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from plsync.options import (
    AsJson,
    DatabaseMode,
    DatabaseUrl,
    Disposable,
    RunsDir,
    console,
    emit_json,
    note,
    out,
    say,
    settings_from,
)
from plsync.progress import progress_bar
from plsync.rundir import RunDirectory

Users = Annotated[int, typer.Option("--users", help="How many users to create.")]
Seed = Annotated[int, typer.Option("--seed", help="Seed: the same seed gives the same data and faults.")]
Faults = Annotated[str, typer.Option("--faults", help="default (1,000 desyncs), none, or kind=N,... "
                                                      "(see `plsync fault-kinds`)")]


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items())) or "none"


def seed_cmd(users: Users = 10_000, seed: Seed = 42, faults: Faults = "default",
             manifest: Annotated[Path | None, typer.Option("--manifest", help="Where to write the ground truth "
                                                           "(default: a new run directory).")] = None,
             runs_dir: RunsDir = Path("runs"), as_json: AsJson = False, database_url: DatabaseUrl = None,
             database: DatabaseMode = None, disposable: Disposable = False) -> None:
    """Populate N users with Faker (COPY), inject a fault mix and write its manifest."""
    import json

    from fixtures.bulk_population import PopulationSpec, populate_in
    from fixtures.faults import FaultMix, inject_faults_in, open_manifest
    from plsync.safety import require_disposable
    from plsync.session import open_system

    spec = PopulationSpec(users=users, seed=seed)  # bad input fails before anything starts
    mix = FaultMix.parse(faults)
    if mix.total > 0 and users == 0:
        from system.errors import InvalidInputError

        raise InvalidInputError("cannot inject faults into an empty population (--users 0)")
    settings = settings_from(database_url, database, disposable=disposable, runs_root=runs_dir)
    target = manifest or RunDirectory.create(settings.runs_root, "seed").path / "manifest.json"
    handle = open_manifest(target)  # an unwritable path fails before the database is touched
    try:
        with open_system(settings, demo_data=False) as system:
            require_disposable(system.env, "seed a test population and inject faults")
            # One transaction: a mix the population cannot satisfy leaves nothing behind, not even the users.
            with system.db.engine.begin() as conn:
                with progress_bar(console) as progress:
                    task = progress.add_task("seeding users", total=users)
                    summary = populate_in(conn, spec, on_batch=lambda n: progress.advance(task, n))
                truth = inject_faults_in(conn, mix, seed=seed)
            json.dump(truth.to_json(), handle, indent=2)
    except BaseException:
        handle.close()
        target.unlink(missing_ok=True)  # no empty manifest pretending to be a ground truth
        raise
    handle.close()
    if as_json:
        emit_json({"population": asdict(summary), "faults": len(truth.faults), "mix": truth.mix,
                   "schema_revision": truth.schema_revision, "manifest": str(target)})
        return
    say(f"seeded {summary.users:,} users ({summary.students:,} students, {summary.pairs:,} progress/license pairs) "
        f"in {summary.seconds:.2f} s; injected {len(truth.faults):,} faults ({_counts(truth.mix)})")
    say(f"ground truth: {target}")


def fault_kinds_cmd() -> None:
    """List the fault kinds a mix may name."""
    from fixtures.faults import DEFAULT_MIX, DESYNC_KINDS, ORPHAN_KINDS, SCHEMA_KINDS

    table = Table(title="Fault kinds (a mix: kind=N,... or default,kind=N)")
    table.add_column("kind")
    table.add_column("what it injects")
    for kind in DESYNC_KINDS:
        table.add_row(kind, f"desync (default mix: {DEFAULT_MIX[kind]})")
    for kind in ORPHAN_KINDS:
        table.add_row(kind, "row of a user that does not exist (foreign keys bypassed)")
    for kind, revision in SCHEMA_KINDS.items():
        table.add_row(kind, f"forbidden by a constraint: injected at schema {revision}")
    out.print(table)


def check_cmd(specialization: Annotated[str | None, typer.Option("--specialization")] = None,
              as_json: AsJson = False, database_url: DatabaseUrl = None, database: DatabaseMode = None,
              disposable: Disposable = False) -> None:
    """List desynced or incomplete pairs and the integrity findings (orphans, duplicates, ranges)."""
    from plsync.session import open_system
    from system.services.integrity import IntegrityChecker
    from system.services.sync_service import ProgressLicenseSyncService

    with open_system(settings_from(database_url, database, disposable=disposable), demo_data=False,
                     require_schema=False) as system, system.db.transaction() as session:
        issues = ProgressLicenseSyncService().find_desync_issues(session=session, specialization=specialization)
        integrity = IntegrityChecker().check(session=session, include_desync=False)
    if as_json:
        emit_json({"count": len(issues), "issues": [asdict(i) for i in issues], "integrity": integrity.counts()})
        return
    table = Table(title=f"{len(issues):,} desynced or incomplete pairs")
    for header in ("user", "specialization", "kind", "progress level", "license level"):
        table.add_column(header)
    for issue in issues[:50]:
        table.add_row(str(issue.user_id), issue.specialization, issue.kind, str(issue.progress_level),
                      str(issue.license_level))
    out.print(table)
    if len(issues) > 50:
        say(f"... and {len(issues) - 50:,} more (use --json for all)")
    say("integrity: " + ", ".join(f"{k} {v:,}" for k, v in integrity.counts().items() if k != "desync"))


def repair_cmd(direction: Annotated[str, typer.Option("--direction", help="progress_to_license or "
                                                                          "license_to_progress")]
               = "progress_to_license",
               apply: Annotated[bool, typer.Option("--apply", help="Change the data (default: dry run).")] = False,
               as_json: AsJson = False, database_url: DatabaseUrl = None, database: DatabaseMode = None,
               disposable: Disposable = False) -> None:
    """Repair every desynced pair set-based (a dry run unless --apply)."""
    from plsync.session import open_system
    from system.services.sync_service import ProgressLicenseSyncService
    from system.services.types import Direction

    chosen = Direction.parse(direction)
    with open_system(settings_from(database_url, database, disposable=disposable), demo_data=False) as system, \
            system.db.transaction() as session:
        report = ProgressLicenseSyncService().auto_sync_all(session=session, direction=chosen, dry_run=not apply)
    if as_json:
        emit_json(asdict(report))
    elif report.dry_run:
        say(f"dry run: {report.issues_found:,} desynced pairs, {report.planned:,} repairs planned "
            f"({_counts(report.by_action)}); nothing changed (pass --apply to repair, {chosen.value})")
    else:
        say(f"repaired {report.synced:,} of {report.planned:,} pairs ({_counts(report.by_action)}), "
            f"{chosen.value}; {report.failed:,} not repaired")


def recover_orphans_cmd(apply: Annotated[bool, typer.Option("--apply", help="Back up, then delete.")] = False,
                        backup_dir: Annotated[Path | None, typer.Option("--backup-dir", help="Where the JSON backup "
                                                                        "goes (default: a new run directory)")]
                        = None, runs_dir: RunsDir = Path("runs"),
                        as_json: AsJson = False, database_url: DatabaseUrl = None, database: DatabaseMode = None,
                        disposable: Disposable = False) -> None:
    """Find progress/license rows of users or specializations that do not exist (dry run by default)."""
    from plsync.safety import require_disposable
    from plsync.session import open_system
    from system.recovery.orphans import recover_orphans

    settings = settings_from(database_url, database, disposable=disposable, runs_root=runs_dir)
    with open_system(settings, demo_data=False) as system:
        if apply:
            require_disposable(system.env, "delete orphan rows")
            backup_dir = backup_dir or RunDirectory.create(settings.runs_root, "orphan-recovery").path
        with system.db.transaction() as session:
            report = recover_orphans(session=session, apply=apply, backup_dir=backup_dir)
    if as_json:
        emit_json(asdict(report) | {"found": report.found})
        return
    found = (f"{report.found:,} orphan rows ({len(report.orphan_progress):,} progress, "
             f"{len(report.orphan_licenses):,} license)")
    if report.dry_run:
        say(f"{found}; dry run: nothing deleted" + (" (pass --apply to back them up and delete them)"
                                                    if report.found else ""))
    elif report.found:
        say(f"{found}: backed up (batch {report.batch}) and deleted ({_counts(report.deleted)}); "
            f"backup file: {report.backup_file}")
    else:
        say(f"{found}: nothing to delete")


def stress_cmd(users: Users = 10_000, seed: Seed = 42, faults: Faults = "default",
               runs_dir: RunsDir = Path("runs"),
               as_json: AsJson = False, database_url: DatabaseUrl = None, database: DatabaseMode = None,
               disposable: Disposable = False) -> None:
    """Desync recovery stress: seed, inject, detect, repair; timings beside the raw-SQL baseline."""
    from fixtures.bulk_population import PopulationSpec
    from fixtures.faults import FaultMix
    from plsync.records.files import RECOVERY_STRESS
    from plsync.safety import require_disposable
    from plsync.session import open_system
    from reports.recovery import recovery_table
    from scenarios.desync_recovery import run_desync_recovery

    PopulationSpec(users=users, seed=seed)
    mix = FaultMix.parse(faults)
    settings = settings_from(database_url, database, disposable=disposable, runs_root=runs_dir)
    with open_system(settings, demo_data=False) as system:
        require_disposable(system.env, "erase the data and run the recovery stress")
        run = RunDirectory.create(settings.runs_root, "recovery-stress")
        result, manifest = run_desync_recovery(system.db.engine, users=users, mix=mix, seed=seed,
                                               on_progress=note)
    run.write_record(RECOVERY_STRESS, [result])
    run.write_json("manifest", manifest.to_json())
    if as_json:
        emit_json(asdict(result))
    else:
        out.print(recovery_table(run.read_record(RECOVERY_STRESS)))
        say(f"results: {run.path}")


def register(app: typer.Typer) -> None:
    app.command("seed")(seed_cmd)
    app.command("fault-kinds")(fault_kinds_cmd)
    app.command("check")(check_cmd)
    app.command("repair")(repair_cmd)
    app.command("recover-orphans")(recover_orphans_cmd)
    app.command("stress")(stress_cmd)


def db_up_cmd(with_redis: Annotated[bool, typer.Option("--redis/--no-redis")] = True,
              seed_users: Annotated[int, typer.Option("--users", help="Seed this many users (0: none)")] = 0,
              seed: Seed = 42) -> None:
    """Start a throwaway PostgreSQL (and Redis), migrated, and keep them up until Ctrl-C.

    Export the printed variables in another shell and every command (seed, check, repair, swarms)
    works against it; the servers and their data are removed when this command stops.
    """
    import threading

    from fixtures.bulk_population import PopulationSpec, populate
    from plsync.session import open_system

    spec = PopulationSpec(users=seed_users, seed=seed)
    with open_system(settings_from(None, "embedded"), with_redis=with_redis, demo_data=False) as system:
        if seed_users:
            populate(system.db.engine, spec)
        print(f"export PLSYNC_DATABASE_URL='{system.env.database_url}'")
        if system.env.redis_url:
            print(f"export PLSYNC_REDIS_URL='{system.env.redis_url}'")
        print("export PLSYNC_DISPOSABLE=1", flush=True)
        console.print("[green]servers up[/]; Ctrl-C stops them and deletes their data")
        threading.Event().wait()  # until KeyboardInterrupt / SIGTERM


def register_db(app: typer.Typer) -> None:
    db_app = typer.Typer(help="A throwaway database server that stays up.", no_args_is_help=True)
    db_app.command("up")(db_up_cmd)
    app.add_typer(db_app, name="db")
