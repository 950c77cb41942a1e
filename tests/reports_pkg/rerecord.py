"""Re-record the run the report tests read (``tests/reports_pkg/recorded_run/``), in one command::

    ./run python -m tests.reports_pkg.rerecord

It runs ``plsync readiness --profile smoke`` into a temporary runs directory (a throwaway embedded PostgreSQL,
about two minutes; best on a quiet machine) and replaces the recording with that run's record files: every file
the run directory's contract declares (plsync/records/files.py), at the current schema version. Nothing else of
the run (logs, Locust's CSVs, the report) is kept. The report tests name a few facts of the recording (which
seed claims it contradicts): read their failures after re-recording before trusting them.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from plsync.records import RUN_FILES

RECORDED = Path(__file__).parent / "recorded_run"


def main() -> int:
    plsync = str(Path(sys.executable).parent / "plsync")
    with tempfile.TemporaryDirectory(prefix="plsync-rerecord-") as tmp:
        done = subprocess.run([plsync, "readiness", "--profile", "smoke", "--runs-dir", tmp], check=False)
        runs = sorted(Path(tmp).glob("*-readiness"))
        if not runs or not (runs[-1] / "verdict.json").exists():
            print(f"the readiness run wrote no verdict (exit {done.returncode}): the recording is unchanged",
                  file=sys.stderr)
            return 1
        files = [runs[-1] / f.filename for f in RUN_FILES.values() if (runs[-1] / f.filename).exists()]
        for old in RECORDED.glob("*.json"):
            old.unlink()
        for path in files:
            shutil.copy2(path, RECORDED / path.name)
    print(f"re-recorded {len(files)} files into {RECORDED} (readiness exit {done.returncode})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
