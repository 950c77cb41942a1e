"""``plsync swarm --overload``: the named overload profile and its flags (plsync/overload.py runs it)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from plsync.options import duration_option, emit_json, note, out, say
from plsync.rundir import RunDirectory
from plsync.session import OpenSystem

if TYPE_CHECKING:
    from plsync.overload import OverloadOptions

Overload = Annotated[bool, typer.Option("--overload", help="The overload profile: calibrate the HTTP API's "
                                        "capacity (or take --capacity), offer half of it, then --overload-factor "
                                        "x it for --overload-time, then half again; report goodput, shedding, "
                                        "memory and recovery (open model)")]
Factor = Annotated[float, typer.Option("--overload-factor", help="With --overload: times the capacity offered")]
OverloadTime = Annotated[int, duration_option("--overload-time", help="With --overload: how long the overload "
                                              "lasts")]
PhaseTime = Annotated[int, duration_option("--phase-time", help="With --overload: the half-capacity phase before "
                                           "and after it")]
Capacity = Annotated[str | None, typer.Option("--capacity", help="With --overload: the capacity to size from "
                                              "(e.g. 90/s); default: calibrated by a closed-model HTTP swarm")]
CalibrationTime = Annotated[int, duration_option("--calibration-time", help="With --overload: the run time of "
                                                 "each calibration swarm (one before the overload, one after)")]
SharedCores = Annotated[bool, typer.Option("--shared-cores", help="With --overload: let the generator share "
                                          "every core with the API and PostgreSQL (default: one core of its own, "
                                          "the system on the others)")]


def overload_options(*, strategy: str, workload: str, factor: float, overload_s: int, phase_s: int,
                     capacity: str | None, calibration_s: int, max_users: int | None, late_limit: float,
                     students: int, arrivals: str, shared_cores: bool = False) -> OverloadOptions:
    """The options from the flags, validated before anything starts (ConfigurationError: exit 2)."""
    from loadtests.arrivals import parse_rate
    from plsync.overload import OverloadOptions

    return OverloadOptions(strategy=strategy, workload=workload, factor=factor, overload_s=overload_s,
                           phase_s=phase_s, capacity_per_s=parse_rate(capacity) if capacity else None,
                           calibration_s=calibration_s, late_limit_s=late_limit, students=students,
                           arrivals=arrivals, split_cores=not shared_cores,
                           **({"max_users": max_users} if max_users else {}))


def run_overload_cmd(system: OpenSystem, run: RunDirectory, options: OverloadOptions, *, as_json: bool) -> None:
    """Run the overload profile into ``run``; exit 1 (RunFailedError) when it lost or desynced anything or the
    API answered with a 5xx other than shedding (its timing figures are reported, the readiness stage gates
    them)."""
    from plsync.errors import RunFailedError
    from plsync.overload import run_overload
    from reports.overload import headline, overload_table

    record = run_overload(system.env, system.config, options, run, say=note)
    if as_json:
        emit_json(record.model_dump(mode="json"))
    else:
        out.print(overload_table(record))
        for line in headline(record):
            say(line)
        say(f"results: {run.path}")
    failed = [f"{name}: {value}" for name, value in (
        ("lost XP", record.lost_xp), ("desynced pairs", record.desynced_pairs),
        ("invariant violations", record.invariant_violations), ("5xx other than shedding, or no reply",
                                                                 record.errors)) if value]
    if record.note:
        failed.append(f"not measured: {record.note}")
    if failed:
        raise RunFailedError("overload run failed:\n  " + "\n  ".join(failed))
