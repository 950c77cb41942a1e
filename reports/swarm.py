"""Render swarm results (their records) as tables."""

from __future__ import annotations

from rich.table import Table

from plsync.records.swarms import BaselinesRecord, CpuAccountRecord, GroupCost, SwarmRecord


def _frozen(r: SwarmRecord) -> str:
    """The nemesis's work in one cell: how many freezes, how many seconds in all."""
    nemesis = r.nemesis
    if not nemesis:
        return "-"
    frozen = [f.frozen_s for f in nemesis.freezes if f.frozen_s is not None]
    return f"{len(frozen)} x, {sum(frozen):.1f}s"


def remedy_lines(results: list[SwarmRecord]) -> list[str]:
    """A remedy beside the strategy it fixes, from one run: what it costs (req/s, p99) and what it buys."""
    by_name = {r.strategy: r for r in results}
    lines = []
    for r in results:
        base = by_name.get(r.remedy_for or "")
        if base is None:
            continue
        rps = r.rps / base.rps if base.rps else float("nan")
        p99 = r.p99_ms / base.p99_ms if base.p99_ms else float("nan")
        lines.append(f"{r.strategy} (remedy of {base.strategy}): {rps:.2f}x the req/s, {p99:.2f}x the p99; "
                     f"lost XP {r.lost_xp} vs {base.lost_xp}, desynced {r.desynced_pairs} vs "
                     f"{base.desynced_pairs}")
    return lines


def _verdict(r: SwarmRecord) -> str:
    """INCOMPLETE before FAIL: a run whose ledger did not all arrive judged less than it claims to."""
    return "INCOMPLETE" if r.incomplete_workers else "pass" if not r.failures_of_gates else "FAIL"


def incomplete_lines(results: list[SwarmRecord]) -> list[str]:
    """One line per worker whose ledger did not reach the master whole, with why (none for a complete run)."""
    return [f"incomplete: {r.strategy}: worker {who}: {why}; the ledger's invariants (lost and unacknowledged "
            f"XP) were not judged" for r in results for who, why in r.incomplete_workers.items()]


def closed_latency_lines(results: list[SwarmRecord]) -> list[str]:
    """The closed model's tail, reported and not gated: Locust's p95/p99 (each user waits for its reply, so a
    stall shows as a few slow requests), with the thresholds they would miss."""
    lines = []
    for r in results:
        if r.latency is not None and r.latency.model == "open":
            continue
        missed = f"; past its thresholds: {'; '.join(r.closed_latency_findings)}" if r.closed_latency_findings else ""
        lines.append(f"{r.strategy}: closed model, Locust's p95 {r.p95_ms:.0f} ms, p99 {r.p99_ms:.0f} ms over "
                     f"{r.run_time_s}s at {r.users} users (reported, not gated){missed}")
    return lines


def swarm_table(results: list[SwarmRecord], title: str = "Swarm") -> Table:
    table = Table(title=title)
    for header in ("strategy", "users", "req/s", "p50 ms", "p95 ms", "p99 ms", "failed", "retries", "lost XP",
                   "desynced", "open txns", "frozen", "verdict"):
        table.add_column(header, justify="left" if header in ("strategy", "verdict") else "right", no_wrap=True)
    for r in results:
        ok = not r.failures_of_gates and not r.incomplete_workers
        style = "green" if ok else "red"
        table.add_row(r.strategy, str(r.users), f"{r.rps:.0f}",
                      f"{r.p50_ms:.0f}", f"{r.p95_ms:.0f}", f"{r.p99_ms:.0f}", str(r.failures),
                      str(r.retries), f"[{style}]{r.lost_xp}[/]", f"[{style}]{r.desynced_pairs}[/]",
                      str(r.max_open_transactions), _frozen(r), f"[{style}]{_verdict(r)}[/]")
    caption = incomplete_lines(results) + closed_latency_lines([r for r in results if r.closed_latency_findings])
    if caption:
        table.caption = "\n".join(caption)
    return table


def swarm_markdown(results: list[SwarmRecord]) -> list[str]:
    lines = ["| strategy | workload | users | req/s | p95 ms | p99 ms | failed | retries | lost XP | desynced "
             "| verdict |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in results:
        verdict = _verdict(r) + (": " + "; ".join(r.failures_of_gates) if r.failures_of_gates else "")
        lines.append(f"| {r.strategy} | {r.workload} | {r.users} | {r.rps:.0f} | {r.p95_ms:.0f} | "
                     f"{r.p99_ms:.0f} | {r.failures} | {r.retries} | {r.lost_xp} | {r.desynced_pairs} "
                     f"| {verdict} |")
    notes = incomplete_lines(results) + closed_latency_lines(results) + remedy_lines(results)
    if notes:
        lines += ["", *[f"- {line}" for line in notes]]
    return lines


CPU_GROUPS = ("locust", "api", "postgres", "box")


def _cpu_cell(group: GroupCost | None) -> str:
    return "-" if group is None else f"{group.cpu_us:,.0f} ({group.system_us:,.0f} kernel)"


def cpu_table(results: list[SwarmRecord], title: str = "CPU µs per request, by process (steady window)"
              ) -> Table | None:
    """µs of CPU per request (user + kernel) and context switches, per swarm and process group."""
    return cpu_accounts_table([(f"{r.strategy} {r.transport}", r.cpu) for r in results], title)


def cpu_accounts_table(accounts: list[tuple[str, CpuAccountRecord | None]],
                       title: str = "CPU µs per request, by process (steady window)") -> Table | None:
    rows = [(label, cpu) for label, cpu in accounts if cpu]
    if not rows:
        return None
    table = Table(title=title)
    table.add_column("swarm", no_wrap=True)
    table.add_column("requests", justify="right")
    for group in CPU_GROUPS:
        table.add_column(f"{group} µs", justify="right", no_wrap=True)
    table.add_column("API ctx sw/req", justify="right")
    table.add_column("box cores busy", justify="right")
    for label, cpu in rows:
        api, box = cpu.group("api"), cpu.group("box")
        table.add_row(label, f"{cpu.requests:,}", *(_cpu_cell(cpu.group(g)) for g in CPU_GROUPS),
                      f"{api.context_switches:.1f}" if api else "-", f"{box.cores_busy:.2f}" if box else "-")
    return table


def baselines_table(b: BaselinesRecord) -> list[Table]:
    """The ceilings measured in the same run as the swarms, and the swarms as ratios of them."""
    table = Table(title=f"Baselines: {b.clients} clients or users, {b.seconds} s, level-ups ({b.strategy})")
    for header in ("what", "per second", "ratio"):
        table.add_column(header, justify="left" if header == "what" else "right")
    table.add_row("pgbench, the same transaction, prepared", f"{b.pgbench_tps:,.0f}", "")
    table.add_row("Locust + uvicorn, async endpoint that does nothing", f"{b.http_ceiling_rps:,.0f}", "")
    table.add_row("direct swarm (services in Locust's process)", f"{b.swarm_rps:,.0f}",
                  f"{b.direct_vs_pgbench:.0%} of pgbench")
    table.add_row("HTTP swarm (through the API)", f"{b.http_swarm_rps:,.0f}",
                  f"{b.http_vs_direct:.0%} of direct, {b.http_vs_ceiling:.0%} of the ceiling")
    tables = [table]
    split = cpu_accounts_table([("direct swarm", b.cpu.direct), ("HTTP swarm", b.cpu.http),
                                ("trivial endpoint", b.cpu.ceiling)])
    if split is not None:
        tables.append(split)
    return tables
