"""``plsync report`` (rebuild a run's report from its JSON) and ``plsync compare`` (two runs side by side)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from plsync.options import AsJson, RunsDir, emit_json, out, say, settings_from
from plsync.rundir import RunDirectory

RunPath = Annotated[Path, typer.Argument(help="A run directory (runs/<timestamp>-readiness)", show_default=False)]


def report_cmd(run_dir: RunPath,
               percentile: Annotated[list[str] | None, typer.Option(
                   "--percentile", help="Percentiles of latency_report.md, recomputed from histograms.json, e.g. "
                                        "p50,p99,p99.9 (the default); repeat or comma-separate")] = None,
               as_json: AsJson = False) -> None:
    """Rebuild a run's report from its JSON files alone: a readiness run's report.html, report.md,
    scorecard.json and junit.xml; for any run that keeps histograms (a swarm, a capacity search, a readiness
    run), latency_report.md with percentiles recomputed from them."""
    import dataclasses

    from plsync.records.files import VERDICT
    from reports.histogram_metrics import parse_percentiles
    from reports.latency_report import FILENAME, latency_sections, write_latency_report
    from reports.publish import OUTPUTS, publish
    from reports.run_reader import RunReader
    from system.errors import NotFoundError

    percentiles = parse_percentiles(percentile or [])
    path = run_dir.resolve()
    readiness = (path / VERDICT.filename).exists()
    if not path.is_dir() or (not readiness and not any(path.rglob("histograms.json"))):
        raise NotFoundError(f"{run_dir} is not a run directory with a verdict.json (readiness) or a "
                            "histograms.json (a swarm or capacity run)")
    card = publish(path, percentiles) if readiness else None  # with its latency report, when it has histograms
    sections = latency_sections(RunReader(path), percentiles)
    written = list(OUTPUTS) if card is not None else []
    if card is None:
        write_latency_report(path, sections, percentiles)
    if sections or card is None:
        written.append(FILENAME)
    if as_json:
        # A readiness run's scorecard as before, with the latency sections beside it.
        emit_json((dataclasses.asdict(card) if card is not None else {})
                  | {"latency": [dataclasses.asdict(s) for s in sections]})
        return
    if card is not None:
        say(f"readiness: {card.verdict} ({card.summary})")
    for s in sections:
        response = next((r for r in s.rows if r.measure.startswith("response")), None) or s.rows[0]
        figures = ", ".join(f"{k} {v:.3g} ms" for k, v in response.percentiles_ms.items() if v is not None)
        say(f"{s.stage}{f' {s.subject}' if s.subject else ''} ({s.model} model): {response.measure.split(' (')[0]} "
            f"{figures}" + (f"; dropped {s.slots['dropped_late']:,} of {s.slots['scheduled']:,}" if s.slots else ""))
    say(f"written: {', '.join(str(path / name) for name in written)}")


def compare_cmd(baseline: RunPath, contender: RunPath,
                fail_on: Annotated[list[str] | None, typer.Option(
                    "--fail-on", help="PCT% or PATTERN:PCT%: exit 1 on a worse change past it, where the row may "
                                      "gate (counts, ratios to a control in the same run; raw measurements only "
                                      "over repeated runs); repeat")] = None,
                baseline_runs: Annotated[list[Path] | None, typer.Option(
                    "--baseline-run", help="Another run of the baseline's code (repeat): raw measurements are "
                                           "tested between runs with 4 or more a side")] = None,
                contender_runs: Annotated[list[Path] | None, typer.Option(
                    "--contender-run", help="Another run of the contender's code (repeat)")] = None,
                percentile: Annotated[list[str] | None, typer.Option(
                    "--percentile", help="Percentiles recomputed from each run's histograms.json (swarms, capacity "
                                         "steps by strategy and rate), e.g. p50,p99,p99.9 (the default); "
                                         "repeat or comma-separate")] = None,
                changed: Annotated[bool, typer.Option("--changed", help="Show only the metrics that changed")] = False,
                html: Annotated[Path | None, typer.Option("--html", help="Where to write the HTML comparison "
                                                          "(default: a new run directory)")] = None,
                runs_dir: RunsDir = Path("runs"), as_json: AsJson = False) -> None:
    """Compare runs metric by metric; with --fail-on, a CI gate on regressions."""
    import dataclasses

    from plsync.errors import RunFailedError
    from reports.compare import compare_runs, parse_thresholds, regressions
    from reports.compare_render import compare_html, compare_table
    from reports.histogram_metrics import parse_percentiles
    from reports.run_reader import RunReader

    thresholds = parse_thresholds(fail_on or [])
    percentiles = parse_percentiles(percentile or [])
    bases = [RunReader(p.resolve()) for p in [baseline, *(baseline_runs or [])]]
    conts = [RunReader(p.resolve()) for p in [contender, *(contender_runs or [])]]
    base, cont = bases[0], conts[0]
    rows = compare_runs(bases, conts, percentiles)
    failures = regressions(rows, thresholds)
    if html is None:
        run = RunDirectory.create(settings_from(None, None, runs_root=runs_dir).runs_root, "compare")
        run.write_json("compare", {"baseline": str(base.path), "contender": str(cont.path), "rows": rows,
                                   "regressions": failures})
        html = run.path / "compare.html"
    html.write_text(compare_html(rows, base.path.name, cont.path.name, failures))
    if as_json:
        emit_json({"rows": [dataclasses.asdict(r) for r in rows], "regressions": failures})
    else:
        out.print(compare_table(rows, base.path.name, cont.path.name, only_changed=changed))
        say(f"comparison: {html}")
    if failures:
        raise RunFailedError("regressions past the thresholds:\n  " + "\n  ".join(failures))


def register(app: typer.Typer) -> None:
    app.command("report")(report_cmd)
    app.command("compare")(compare_cmd)
