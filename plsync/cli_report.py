"""``plsync report`` (rebuild a run's report from its JSON) and ``plsync compare`` (two runs side by side)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from plsync.options import AsJson, RunsDir, emit_json, out, say, settings_from
from plsync.rundir import RunDirectory

RunPath = Annotated[Path, typer.Argument(help="A run directory (runs/<timestamp>-readiness)", show_default=False)]


def report_cmd(run_dir: RunPath, as_json: AsJson = False) -> None:
    """Rebuild report.html, report.md, scorecard.json and junit.xml from a run's JSON files alone."""
    from reports.publish import OUTPUTS, publish

    card = publish(run_dir.resolve())
    if as_json:
        import dataclasses

        emit_json(dataclasses.asdict(card))
        return
    say(f"readiness: {card.verdict} ({card.summary})")
    say(f"written: {', '.join(str(run_dir.resolve() / name) for name in OUTPUTS)}")


def compare_cmd(baseline: RunPath, contender: RunPath,
                fail_on: Annotated[list[str] | None, typer.Option(
                    "--fail-on", help="PCT% or PATTERN:PCT%: exit 1 on a worse change past it (significant where "
                                      "samples exist); repeat")] = None,
                changed: Annotated[bool, typer.Option("--changed", help="Show only the metrics that changed")] = False,
                html: Annotated[Path | None, typer.Option("--html", help="Where to write the HTML comparison "
                                                          "(default: a new run directory)")] = None,
                runs_dir: RunsDir = Path("runs"), as_json: AsJson = False) -> None:
    """Compare two runs metric by metric; with --fail-on, a CI gate on regressions."""
    import dataclasses

    from plsync.errors import RunFailedError
    from reports.compare import Threshold, compare_runs, regressions
    from reports.compare_render import compare_html, compare_table
    from reports.run_reader import RunReader

    thresholds = [Threshold.parse(t) for t in fail_on or []]
    base, cont = RunReader(baseline.resolve()), RunReader(contender.resolve())
    rows = compare_runs(base, cont)
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
