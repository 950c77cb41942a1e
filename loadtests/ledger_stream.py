"""The ledger over Locust's channel: workers stream their entries, the master writes the run's ledger.

In distributed mode (``--plsync-ledger-mode stream``, the default) a worker keeps no ledger file: it sends its
entries to the master in batches (``record_stream``, message type ``plsync_ledger``), the final one once its
users have stopped. The master writes one file per worker into its ``--plsync-ledger-dir``
(``ledger-<worker>.jsonl``, the format ``read_ledgers`` reads) and ``ledger_stream.json``: what arrived from
each worker and which workers are incomplete, with why. The invariant checker reads only the master's
directory. ``--plsync-ledger-mode local`` keeps the older way, every worker writing its own file where it runs
(useful only when the workers share the master's disk); the master then records only that it judged nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from loadtests.record_stream import BatchSender, MasterReceiver, StreamCollector, streams_of
from plsync.records.files import LEDGER_STREAM
from plsync.records.swarms import LedgerStreamRecord, LedgerStreamWorker
from plsync.rundir import RunDirectory
from scenarios.ledger import LedgerEntry

KIND = "ledger"
MANIFEST = LEDGER_STREAM.filename
MODES = ("stream", "local")
#: How long the master waits for final batches beyond Locust's stop timeout (the workers' users may take that
#: long to finish their last call before the final batch leaves).
FINAL_WAIT_MARGIN_S = 10.0


class StreamingLedger:
    """A worker's ledger: entries go to the master, none to the worker's disk."""

    def __init__(self, worker: str, send: Any) -> None:
        self.sender = BatchSender(KIND, worker, send)
        self.sender.start()

    def record(self, entry: LedgerEntry) -> None:
        self.sender.add(entry.to_row())

    def finish(self, error: str | None = None) -> None:
        self.sender.finish(error)

    def close(self) -> None:
        """Nothing to close: ``finish`` (at the test's stop) sent everything."""


class MasterLedger(MasterReceiver):
    """The master's side: every worker's batches into its own file ``ledger-<worker>.jsonl`` in ``directory``."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory, KIND, "ledger")
        self.waited_s = 0.0
        #: Further kinds the workers stream on the same channel (the read/write history): a worker whose stream
        #: of them is incomplete is incomplete in the manifest.
        self.companions: dict[str, Any] = {}

    def finish(self, runner: Any, stop_timeout_s: float, on_stats: Any) -> None:
        """Wait (bounded) for every known worker's final batch of every kind the master receives (its
        ``streams_of`` registry: the ledger, the history, the histograms), then write the manifest."""
        streams = streams_of(runner)
        streams.wait(runner.server, on_stats, stop_timeout_s + FINAL_WAIT_MARGIN_S)
        self.waited_s = streams.waited_s  # a wait that ran before this one (another kind's) counts too
        self.close()

    def close(self) -> None:
        """The files complete, and the manifest that says whose they are and whose are not."""
        self.close_files()
        manifest = manifest_of(self.collector, self.waited_s)
        for companion in self.companions.values():
            for worker, why in companion.close().items():
                manifest.incomplete[worker] = f"{manifest.incomplete[worker]}; {why}" if worker in manifest.incomplete \
                    else why
        write_manifest(self.directory, manifest)


def manifest_of(collector: StreamCollector, waited_s: float) -> LedgerStreamRecord:
    """What the master knows of the ledgers it judged: per worker, what arrived, and who is incomplete."""
    workers = {w: LedgerStreamWorker(batches=s.batches, records=s.records, final_total=s.final_total,
                                     complete=s.complete) for w, s in sorted(collector.workers.items())}
    return LedgerStreamRecord(mode="stream", workers=workers, incomplete=collector.incomplete(),
                              waited_s=round(waited_s, 3))


# The manifest is a record of the run directory's contract (plsync/records/files.py: LEDGER_STREAM), written
# and read through it; the ledger files beside it are raw data, JSON lines of entries, read by read_ledgers.
def write_manifest(directory: Path, manifest: LedgerStreamRecord) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    RunDirectory(directory).write_record(LEDGER_STREAM, manifest)


def read_manifest(directory: Path) -> LedgerStreamRecord | None:
    """The master's manifest, or None when it wrote none; a manifest this code cannot read raises SchemaError."""
    run = RunDirectory(directory)
    return run.read_record(LEDGER_STREAM) if run.has(LEDGER_STREAM) else None


def incomplete_workers(directory: Path) -> dict[str, str]:
    """The workers whose ledger the master cannot vouch for, with why; a master that wrote no manifest at all is
    itself the reason (keyed ``master``)."""
    manifest = read_manifest(directory)
    if manifest is None:
        return {"master": f"wrote no {MANIFEST}: the workers' ledgers were never collected"}
    if manifest.mode != "stream":
        return {}
    if not manifest.workers:
        return {"master": "no worker ever connected or sent a batch"}
    return dict(manifest.incomplete)
