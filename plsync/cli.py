"""The ``plsync`` command line. Errors become one line on stderr and an exit code (plsync.exit_codes)."""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from plsync import cli_bench, cli_capacity, cli_data, cli_report, cli_scenarios, cli_soak, cli_swarm
from plsync.errors import RunFailedError
from plsync.exit_codes import exit_code_for
from plsync.options import (
    AsJson,
    DatabaseMode,
    DatabaseUrl,
    Disposable,
    RedisUrl,
    RunsDir,
    Strategy,
    console,
    duration_option,
    emit_json,
    error_line,
    out,
    say,
    settings_from,
)
from plsync.settings import HarnessSettings
from system.errors import PlsyncError

if TYPE_CHECKING:
    from plsync.session import OpenSystem

T = TypeVar("T")

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Stress-test and benchmark harness for the progress/license system.")


@app.command("strategies")
def strategies_cmd() -> None:
    """List the consistency strategies."""
    from system.strategies import strategy_class, strategy_names

    for name in strategy_names():
        out.print(f"[bold]{name:<13}[/] {strategy_class(name).description}")


@app.command("migrate")
def migrate_cmd(revision: Annotated[str, typer.Option("--revision", help="Target revision (head, base, "
                                                                           "an id)")] = "head",
                as_json: AsJson = False, database_url: DatabaseUrl = None, database: DatabaseMode = None,
                redis_url: RedisUrl = None, disposable: Disposable = False) -> None:
    """Upgrade (or downgrade) the schema with Alembic."""
    from plsync.safety import require_disposable
    from plsync.session import open_system
    from system import migrate

    settings = settings_from(database_url, database, redis_url, disposable)
    with open_system(settings, demo_data=False, require_schema=False) as system:
        engine = system.db.engine
        before = migrate.current_revision(engine)
        known = migrate.revisions()
        target = known[-1] if revision == "head" else revision
        going_down = target == "base" or (before in known and target in known
                                          and known.index(target) < known.index(before))
        if going_down:
            require_disposable(system.env, f"downgrade the schema to {target} (drops constraints and data)")
            migrate.downgrade(engine, target)
        else:
            migrate.upgrade(engine, target)
        after = migrate.current_revision(engine)
    if as_json:
        emit_json({"before": before, "after": after})
    else:
        say(f"schema: {before or 'empty'} -> {after or 'empty'}")


def _call_strategy(name: str, settings: HarnessSettings, call: Callable[[Any], T]) -> T:
    """Open the system, run one call through the named strategy, close everything. A scenario may ask the
    process to freeze itself at a checkpoint (PLSYNC_FREEZE_AT) and thaw it later."""
    import os

    from plsync.session import open_system
    from scenarios.freezer import freeze_plan_from_env
    from system.strategies import StrategyContext, create_strategy, strategy_class

    needs_redis = strategy_class(name).needs_redis  # an unknown name fails before any server starts
    settings.require_shared_redis([name])
    with open_system(settings, with_redis=needs_redis) as system:
        impl = create_strategy(name, StrategyContext(db=system.db, config=system.config,
                                                     fault_point=freeze_plan_from_env(os.environ)))
        try:
            return call(impl)
        finally:
            impl.close()


@app.command("level-up")
def level_up_cmd(user: Annotated[int, typer.Option("--user", help="Student id")],
                 specialization: Annotated[str, typer.Option("--specialization")],
                 xp: Annotated[int, typer.Option("--xp")],
                 sessions: Annotated[int, typer.Option("--sessions")] = 0,
                 theory_hours: Annotated[int, typer.Option("--theory-hours")] = 0,
                 practice_hours: Annotated[int, typer.Option("--practice-hours")] = 0,
                 strategy: Strategy = "coupled", as_json: AsJson = False,
                 database_url: DatabaseUrl = None, database: DatabaseMode = None,
                 redis_url: RedisUrl = None, disposable: Disposable = False) -> None:
    """Add XP (and sessions, hours) to a student; levels up when earned and syncs the license."""
    from system.services.types import LevelUpRequest

    request = LevelUpRequest(user, specialization, xp, sessions, theory_hours, practice_hours, "cli level-up")
    settings = settings_from(database_url, database, redis_url, disposable)
    result = _call_strategy(strategy, settings, lambda s: s.level_up(request))
    if as_json:
        emit_json(asdict(result) | {"leveled_up": result.leveled_up})
        return
    moved = f"level {result.previous_level} -> {result.level}" if result.leveled_up else f"level {result.level}"
    say(f"user {result.user_id} {result.specialization}: +{xp:,} XP, {result.total_xp:,} in all; {moved}; license "
        f"{result.license_level if result.license_level is not None else 'not synced'} ({result.strategy}"
        f"{f', {result.attempts} attempts' if result.attempts > 1 else ''})"
        + (f"; sync hook failed: {result.hook_error}" if result.hook_error else ""))


@app.command("advance-license")
def advance_license_cmd(user: Annotated[int, typer.Option("--user")],
                        specialization: Annotated[str, typer.Option("--specialization")],
                        level: Annotated[int, typer.Option("--level")],
                        advanced_by: Annotated[int | None, typer.Option("--advanced-by")] = None,
                        reason: Annotated[str, typer.Option("--reason")] = "cli license advance",
                        strategy: Strategy = "coupled", as_json: AsJson = False,
                        database_url: DatabaseUrl = None, database: DatabaseMode = None,
                        redis_url: RedisUrl = None, disposable: Disposable = False) -> None:
    """Advance a student's license to a level (validated against the database's max)."""
    from system.services.types import AdvanceLicenseRequest

    request = AdvanceLicenseRequest(user, specialization, level, advanced_by, reason)
    settings = settings_from(database_url, database, redis_url, disposable)
    result = _call_strategy(strategy, settings, lambda s: s.advance_license(request))
    if as_json:
        emit_json(asdict(result))
        return
    say(f"user {result.user_id} {result.specialization}: license {result.previous_level or 'none'} -> "
        f"{result.level}; progress {result.progress_level if result.progress_level is not None else 'not synced'} "
        f"({result.strategy})" + (f"; sync hook failed: {result.hook_error}" if result.hook_error else ""))


@app.command("serve")
def serve_cmd(host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
              port: Annotated[int, typer.Option("--port")] = 8000,
              strategy: Strategy = "coupled",
              pool_size: Annotated[int, typer.Option("--pool-size", help="Database connections of the API")] = 32,
              token_file: Annotated[Path | None, typer.Option("--token-file", help="Also write the admin token "
                                                              "here, readable by you only")] = None,
              queue_max: Annotated[int, typer.Option("--queue-max", min=0, help="Requests that may wait for a "
                                                     "database slot; more are refused with 503")] = 256,
              queue_wait: Annotated[float, typer.Option("--queue-wait", min=0.001, help="Seconds a request may "
                                                        "wait for a slot before it is refused with 503")] = 2.0,
              standing_wait: Annotated[float, typer.Option("--queue-standing-wait", min=0.001, help="Seconds a "
                                                           "request may wait once the queue has not been empty "
                                                           "for 100 ms (a sustained overload)")] = 0.1,
              header_timeout: Annotated[float, typer.Option("--header-timeout", min=0.001, help="Seconds a "
                                                            "connection may take to send a request's headers")] = 5.0,
              body_timeout: Annotated[float, typer.Option("--body-timeout", min=0.001, help="Seconds a request "
                                                          "may take to send its body (408 after)")] = 5.0,
              max_connections: Annotated[int, typer.Option("--max-connections", min=1, help="Connections open "
                                                           "at once; past it new ones are closed")] = 4096,
              database_url: DatabaseUrl = None, database: DatabaseMode = None,
              redis_url: RedisUrl = None) -> None:
    """Serve the HTTP API (level-ups, licenses, admin sync, /health/integrity) with uvicorn.

    Tokens are signed with PLSYNC_API_SECRET, or with a secret drawn at start-up (then only this run's
    tokens are valid). Prints an admin token for the database's first admin.
    """
    import dataclasses

    from plsync.session import open_system
    from system.api.app import create_app
    from system.api.server import run as run_api
    from system.api.tokens import TokenCodec
    from system.strategies import strategy_class

    settings = settings_from(database_url, database, redis_url)
    settings.require_shared_redis([strategy])
    with open_system(settings, with_redis=strategy_class(strategy).needs_redis) as system:
        # Its own pool, named plsync-api, sized for concurrent requests (the library default of 5 queues them).
        served = dataclasses.replace(system.config, pool_size=pool_size, max_overflow=8, api_queue_max=queue_max,
                                     api_queue_wait_s=queue_wait, api_queue_standing_wait_s=standing_wait,
                                     api_header_timeout_s=header_timeout,
                                     api_body_timeout_s=body_timeout, api_max_connections=max_connections)
        api = create_app(served, strategy=strategy)
        admin = _first_admin(system)
        token = TokenCodec(system.config.api_secret, system.config.api_token_ttl_s).issue(admin, "admin")
        print(f"admin token: {token}", flush=True)  # one line, plain (a console would wrap it)
        if token_file is not None:
            _write_private(token_file, token + "\n")
        console.print(f"API on http://{host}:{port} (strategy {strategy}); the token is user {admin}'s, valid "
                      f"{system.config.api_token_ttl_s:.0f} s")
        run_api(api, served, host=host, port=port)


def _first_admin(system: OpenSystem) -> int:
    """The first user with role admin; a throwaway database gets one (its demo data has students only)."""
    from sqlalchemy import text

    from fixtures.population import add_users
    from system.errors import NotFoundError

    query = text("SELECT id FROM users WHERE role = 'admin' ORDER BY id LIMIT 1")
    with system.db.transaction() as session:
        admin = session.execute(query).scalar()
        if admin is None and system.env.database_kind != "url":
            (admin,) = add_users(session, 1, seed=0, role="admin")
    if admin is None:
        raise NotFoundError("no user has role admin in this database: create one to get an admin token")
    return int(admin)


def _write_private(path: Path, content: str) -> None:
    """Write ``content`` to a file only its owner can read, even when the file existed before."""
    import os

    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(content)


@app.command("readiness")
def readiness_cmd(profile: Annotated[str, typer.Option("--profile", help="smoke, standard or full: sizes of "
                                                                         "every stage")] = "standard",
                  only: Annotated[list[str] | None, typer.Option("--only", help="Run only this stage (repeat)")]
                  = None,
                  skip: Annotated[list[str] | None, typer.Option("--skip", help="Skip this stage (repeat)")] = None,
                  strategies: Annotated[list[str] | None, typer.Option("--strategy", help="Repeat to choose; "
                                                                       "default: all")] = None,
                  threads: Annotated[int | None, typer.Option("--threads")] = None,
                  ops_per_thread: Annotated[int | None, typer.Option("--ops-per-thread")] = None,
                  latency_ops: Annotated[int | None, typer.Option("--latency-ops")] = None,
                  users: Annotated[int | None, typer.Option("--users", help="Population of the data stages")]
                  = None,
                  swarm_seconds: Annotated[int | None, duration_option("--swarm-time", "--swarm-seconds",
                                                                       help="Hot-spot swarm per strategy")] = None,
                  slo: Annotated[str | None, typer.Option("--slo", help="The capacity stage's objective (open "
                                                          "model response time), e.g. 'p99<=50ms'")] = None,
                  required_rate: Annotated[str | None, typer.Option("--required-rate", help="The rate the shipping "
                                                                    "strategy must hold at the SLO, e.g. 50/s")]
                  = None,
                  shipping: Annotated[str | None, typer.Option("--shipping", help="The strategy that ships: its "
                                                               "capacity gates decide (default coupled)")] = None,
                  gate_all: Annotated[bool, typer.Option("--gate-all-strategies", help="Gate every strategy's "
                                                         "capacity, not only the shipping one's")] = False,
                  runs_dir: RunsDir = Path("runs"), as_json: AsJson = False,
                  database_url: DatabaseUrl = None, database: DatabaseMode = None,
                  redis_url: RedisUrl = None, disposable: Disposable = False) -> None:
    """The main job: provision, run every stage of the pipeline, judge against the gates, report."""
    from loadtests.arrivals import parse_rate
    from loadtests.capacity import Slo
    from plsync.profiles import profile_named
    from plsync.readiness import run_readiness
    from plsync.records.files import VERDICT
    from reports.publish import publish
    from reports.readiness import terminal_tables
    from reports.run_reader import RunReader
    from system.strategies import strategy_class

    if slo is not None:
        Slo.parse(slo)  # every input is checked before anything starts
    if shipping is not None:
        strategy_class(shipping)
    chosen = profile_named(profile).with_overrides(
        threads=threads, ops_per_thread=ops_per_thread, latency_ops=latency_ops, users=users,
        swarm_seconds=swarm_seconds, capacity_slo=slo, shipping_strategy=shipping,
        capacity_required_per_s=None if required_rate is None else parse_rate(required_rate),
        gate_all_strategies=gate_all or None)
    settings = settings_from(database_url, database, redis_url, disposable, runs_root=runs_dir)
    run = RunReader(run_readiness(settings, chosen, console, strategies=strategies or (), only=only or (),
                                  skip=skip or ()).path)
    card = publish(run.path)
    verdict = run.load(VERDICT)
    if as_json:
        emit_json(verdict.model_dump(mode="json"))
    else:
        for table in terminal_tables(run):
            out.print(table)
        say(f"scorecard: {card.verdict} ({card.summary})")
        say(f"report: {run.path / 'report.html'} (also report.md, scorecard.json, junit.xml)")
    if not verdict.passed:
        raise RunFailedError("readiness failed:\n  " + "\n  ".join(verdict.failures))
    if not as_json:
        out.print("[bold green]readiness: PASS[/]")


cli_data.register(app)
cli_data.register_db(app)
cli_scenarios.register(app)
cli_swarm.register(app)
cli_capacity.register(app)
cli_report.register(app)
cli_bench.register(app)
cli_soak.register(app)


def main() -> None:
    # A shell without job control starts background jobs with SIGINT ignored, and Python then never
    # raises KeyboardInterrupt: install it explicitly so Ctrl-C always stops servers cleanly.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        # Not standalone: our errors reach the handlers below. Typer then *returns* an exit code
        # (130 after Ctrl-C, the code of typer.Exit) instead of exiting.
        code = app(standalone_mode=False)
        if isinstance(code, int) and code:
            if code == 130:
                console.print("interrupted: servers stopped")
            sys.exit(code)
    except PlsyncError as exc:
        error_line(str(exc))
        sys.exit(exit_code_for(exc))
    except ValueError as exc:  # constructor validation of options
        error_line(str(exc))
        sys.exit(2)
    except (typer.Abort, KeyboardInterrupt):
        console.print("interrupted")
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:  # usage errors (click's, vendored by Typer) arrive here when not standalone
        show, code = getattr(exc, "show", None), getattr(exc, "exit_code", None)
        if callable(show) and isinstance(code, int):
            show()
            sys.exit(code)
        raise


if __name__ == "__main__":
    main()
