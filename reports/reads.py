"""Render what readers saw (the read checker's rows of each swarm, from JSON) beside the ledger's verdict."""

from __future__ import annotations

from typing import Any

from rich.table import Table

KIND_HEADERS = (("torn", "torn 1 txn"), ("between", "between 2 txns"), ("visible", "visible desync"))


def _rate(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:.2f}"


def reads_table(reads: list[dict[str, Any]], swarms: list[dict[str, Any]],
                title: str = "What readers saw (read checker) beside the ledger") -> Table:
    """One line per strategy and read mode: reads, fractured by kind, per thousand; the ledger's lost XP and
    desynced pairs of the same swarm."""
    ledger = {s["strategy"]: s for s in swarms}
    table = Table(title=title)
    for header in ("strategy", "read mode", "reads", *(h for _, h in KIND_HEADERS), "fractured ‰", "lost XP",
                   "desynced", "reads verdict"):
        table.add_column(header, justify="left" if header in ("strategy", "read mode", "reads verdict") else "right",
                         no_wrap=True)
    for result in reads:
        failing = {f.split(":")[0].removeprefix("reads ") for f in result["failures_of_gates"]}
        swarm = ledger.get(result["strategy"], {})
        for row in result["rows"]:
            gated = row["system_code"] and result["strategy"] != "legacy"
            verdict = ("FAIL" if row["mode"] in failing else "pass") if gated else "measured"
            style = {"FAIL": "red", "pass": "green"}.get(verdict, "")
            mode = f"{row['mode']}{' (system)' if row['system_code'] else ''}"
            table.add_row(result["strategy"], mode, str(row["reads"]), *(str(row[k]) for k, _ in KIND_HEADERS),
                          _rate(row["rate_per_1000"]), str(swarm.get("lost_xp", "-")),
                          str(swarm.get("desynced_pairs", "-")), f"[{style}]{verdict}[/]" if style else verdict)
    return table


def reads_markdown(reads: list[dict[str, Any]]) -> list[str]:
    lines = ["| strategy | read mode | reads | torn 1 txn | between 2 txns | visible desync | fractured per 1000 |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for result in reads:
        for row in result["rows"]:
            lines.append(f"| {result['strategy']} | {row['mode']} | {row['reads']} | {row['torn']} | {row['between']} "
                         f"| {row['visible']} | {_rate(row['rate_per_1000'])} |")
    return lines


def records_table(records: list[dict[str, Any]], title: str = "What readers see: fractured reads per strategy and "
                  "read mode (read-heavy swarms)") -> Table:
    """The readiness stage's flat records (``reads.json``)."""
    table = Table(title=title)
    for header in ("strategy", "transport", "read mode", "reads", *(h for _, h in KIND_HEADERS), "fractured ‰"):
        table.add_column(header, justify="left" if header in ("strategy", "transport", "read mode") else "right",
                         no_wrap=True)
    for r in records:
        mode = f"{r['mode']}{' (system)' if r['system_code'] else ''}"
        table.add_row(r["strategy"], r["transport"], mode, str(r["reads"]), *(str(r[k]) for k, _ in KIND_HEADERS),
                      _rate(r["rate_per_1000"]))
    return table


def records_markdown(records: list[dict[str, Any]]) -> list[str]:
    lines = ["| strategy | transport | read mode | reads | torn 1 txn | between 2 txns | visible desync "
             "| fractured per 1000 |", "|---|---|---|---:|---:|---:|---:|---:|"]
    lines += [f"| {r['strategy']} | {r['transport']} | {r['mode']}{' (system)' if r['system_code'] else ''} | "
              f"{r['reads']} | {r['torn']} | {r['between']} | {r['visible']} | {_rate(r['rate_per_1000'])} |"
              for r in records]
    return lines
