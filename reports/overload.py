"""The overload run, rendered: a table of its phases and the lines of its headline figures, from
``overload.json`` alone (plsync/overload_figures.py states how each figure is computed)."""

from __future__ import annotations

from rich.table import Table

from plsync.records.overload import OverloadRecord

RECOVERY_RULE = ("recovery: seconds from the overload's end to the first 1 s window (by intended start) whose "
                 "admitted p99 is within the pre-overload p99")


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}"


def _mb(value: float | None) -> str:
    return "-" if value is None else f"{value:+.1f} MB"


def recovery_text(record: OverloadRecord) -> str:
    if record.recovery_s is not None:
        return f"{record.recovery_s:g} s"
    if record.pre_overload_p99_ms is None:
        return "not measured (no admitted request before the overload)"
    return f"none within the {record.phase_s} s after it"


def _per_core(record: OverloadRecord) -> str:
    calibrated = record.calibration_cpu_cores.get("api")
    if record.goodput_per_core_ratio is None or record.api_cores_overload is None or not calibrated:
        return "not measured (the capacity was given, or the API's CPU was not sampled)"
    gate = " (the gate: the generator shared the system's cores)" if record.goodput_basis == "per API core" else ""
    return (f"{record.goodput_per_core_ratio:.0%} of capacity's: {record.goodput_per_s:.1f}/s on "
            f"{record.api_cores_overload:.2f} cores against {record.capacity_per_s:.1f}/s on {calibrated:.2f} cores "
            f"in the calibration{'s (their mean)' if len(record.calibrations_per_s) > 1 else ''}{gate}")


def cores_text(record: OverloadRecord) -> str:
    """Where the generator and the system ran, and what the goodput gate reads for it."""
    if not record.cpu_split:
        return ("cores: the generator shared every core with the system (--shared-cores, or one core only): the "
                "goodput gate reads per API core")
    pinned = ", ".join(f"{group} on {', '.join(map(str, cpus))}" for group, cpus in record.pinned.items())
    refused = "; ".join(f"{group} not pinned ({why})" for group, why in record.not_pinned.items())
    basis = ("the goodput gate reads the plain ratio" if record.goodput_basis == "plain" else
             "not every process of the system could be pinned: the goodput gate reads per API core")
    return f"cores: {pinned}{'; ' + refused if refused else ''}: {basis}"


def _warm(record: OverloadRecord) -> str:
    return f" (its first {record.warmup_s} s, the fresh API's cold start, left out)" if record.warmup_s else ""


def headline(record: OverloadRecord) -> list[str]:
    """One line per figure the issue asks for, each naming its model, percentile and window."""
    return [
        f"{record.strategy}: capacity {record.capacity_per_s:.1f}/s ({record.capacity_source}); offered "
        f"{record.before_rate_per_s:.1f}/s for {record.phase_s} s, {record.factor:g}x = "
        f"{record.overload_rate_per_s:.1f}/s for {record.overload_s} s, {record.before_rate_per_s:.1f}/s for "
        f"{record.phase_s} s (open model, {record.arrivals} arrivals, {record.workload}, HTTP, at most "
        f"{record.max_users} users)",
        f"goodput during the overload: {record.goodput_per_s:.1f}/s admitted = {record.goodput_ratio:.0%} of "
        f"capacity (per completion second, averaged over the phase)",
        f"goodput per API core: {_per_core(record)}",
        cores_text(record),
        *([f"calibration: {record.calibration_shed_share:.1%} of its requests shed"]
          if record.calibration_shed_share else []),
        f"admitted p99 (response time from the intended start): before {_ms(record.pre_overload_p99_ms)} ms"
        f"{_warm(record)}, "
        f"during {_ms(record.overload_p99_ms)} ms",
        f"shed (503 + Retry-After): {record.shed_share:.1%} of the requests offered during the overload; a refusal "
        f"comes back in p50 {_ms(record.refusal_p50_ms)} ms, p99 {_ms(record.refusal_p99_ms)} ms (send to reply)",
        *_unsent(record),
        f"API resident memory: {_ms(record.rss_before_mb)} MB before, peak {_ms(record.rss_peak_mb)} MB, "
        f"{_ms(record.rss_end_mb)} MB at the end ({_mb(record.rss_growth_mb)}; sampled every 0.5 s)",
        f"{RECOVERY_RULE}: {recovery_text(record)}",
        f"5xx other than shedding, or no reply: {record.errors}; lost acknowledged XP {record.lost_xp}, "
        f"desynced pairs {record.desynced_pairs}, invariant violations {record.invariant_violations}",
        *([f"cores busy over the run: {_cores(record.cpu_cores)}; during the calibration: "
           f"{_cores(record.calibration_cpu_cores)}; load average "
           f"{' -> '.join(f'{v:.1f}' for v in record.load_average)} (the machine's, other work included)"]
          if record.cpu_cores or record.load_average else []),
        *([f"the generator fell behind its schedule (dispatch lag p99 {_ms(record.dispatch_lag_p99_ms)} ms): the "
           "offered load was lower than planned"] if record.generator_limited else []),
        *([f"not measured: {record.note}"] if record.note else []),
        *record.findings,
    ]


def _cores(cores: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.2f}" for k, v in cores.items()) or "not measured"


def _unsent(record: OverloadRecord) -> list[str]:
    overload = next((p for p in record.phases if p.phase == "overload"), None)
    if overload is None or not overload.dropped_late:
        return []
    return [f"{overload.dropped_late} of the {overload.offered} requests offered during the overload "
            f"({overload.dropped_late / overload.offered:.0%}) were never sent: all {record.max_users} users were "
            f"waiting on replies for longer than the late limit ({record.late_limit_s:g} s); the API was offered "
            f"{(overload.offered - overload.dropped_late) / overload.seconds:.1f}/s"]


PHASE_HEADERS = ("phase", "seconds", "offered/s", "admitted", "shed", "refused", "errors", "dropped late",
                 "admitted p50 ms", "admitted p99 ms", "service p99 ms", "503 p50 ms", "503 p99 ms")


def phase_cells(record: OverloadRecord) -> list[list[str]]:
    return [[p.phase, f"{p.seconds:g}", f"{p.offered / p.seconds:.1f}" if p.seconds else "-", str(p.admitted),
             str(p.shed), str(p.refused), str(p.errors), str(p.dropped_late), _ms(p.admitted_p50_ms),
             _ms(p.admitted_p99_ms), _ms(p.admitted_service_p99_ms), _ms(p.shed_service_p50_ms),
             _ms(p.shed_service_p99_ms)] for p in record.phases]


#: The terminal's headers: short, so that the thirteen columns fit 115 characters without a figure cut short.
TERMINAL_HEADERS = ("phase", "s", "offered/s", "ok", "shed", "4xx", "5xx", "late", "ok p50", "ok p99", "svc p99",
                    "503 p50", "503 p99")
TERMINAL_CAPTION = ("ok: admitted (2xx); shed: 503 + Retry-After; 4xx: other refusals; 5xx: other errors or no reply; "
                    "late: never sent (the generator's users all busy); latencies in ms from the intended start, "
                    "svc and 503 from the send")


def overload_table(record: OverloadRecord) -> Table:
    table = Table(title=f"Overload ({record.strategy}, open model over HTTP): by phase of the intended start",
                  caption=TERMINAL_CAPTION)
    for header in TERMINAL_HEADERS:
        table.add_column(header, justify="left" if header == "phase" else "right", no_wrap=True)
    for row in phase_cells(record):
        table.add_row(*row)
    return table


def overload_markdown(record: OverloadRecord) -> list[str]:
    lines = [f"| {' | '.join(PHASE_HEADERS)} |", "|---|" + "---:|" * (len(PHASE_HEADERS) - 1)]
    lines += [f"| {' | '.join(row)} |" for row in phase_cells(record)]
    return ["Offered 2-3x the measured capacity for a while, then dropped back (open model over HTTP). Latencies "
            "are response times from each request's intended start unless named service (send to reply); "
            "counts by the phase of the intended start.", "", *lines, "", *[f"- {line}" for line in
                                                                            headline(record)]]
