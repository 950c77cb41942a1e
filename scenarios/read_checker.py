"""The read checker: every fractured read in a recorded history, classified and explained.

A read is fractured when its two sides disagree or one is missing. Each is explained, as Elle explains
an anomaly, by the writes of the same pair whose time windows overlap the read's:

- ``between_two_transactions``: the read saw exactly the state a two-transaction writer (legacy)
  committed between its commits: progress moved and the license not yet (or, for a license advance, the
  license moved and progress not yet). That state was committed: the reader is not at fault.
- ``torn_one_transaction``: one side comes from before an overlapping write and the other from after
  one (the same write, or two of them), a combination no commit produced: the read was not atomic.
  An anomaly of the read mode, possible even when every writer changes both rows in one transaction.
- ``visible_desync``: no overlapping write explains it: the committed state itself disagreed (a write
  lost, a hook that failed, a fault) and the reader saw it. The writes just before it are the evidence.

Failed writes (rolled back) explain nothing; unknown outcomes may have committed, so they may explain.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from scenarios.ledger import Outcome
from scenarios.read_history import ReadRecord, WriteRecord

TORN = "torn_one_transaction"
BETWEEN = "between_two_transactions"
VISIBLE = "visible_desync"
KINDS = (TORN, BETWEEN, VISIBLE)
#: Evidence kept per kind: the first few fractured reads, in the order they began.
EXAMPLES_PER_KIND = 3


@dataclass(frozen=True)
class FracturedRead:
    kind: str
    read: ReadRecord
    #: The writes that explain it: overlapping ones, or for a visible desync the last ones before it.
    writes: tuple[WriteRecord, ...]
    why: str


@dataclass(frozen=True)
class ModeVerdict:
    """One read mode's reads over the whole history."""

    mode: str
    reads: int
    failed_reads: int
    fractured: dict[str, int]
    examples: dict[str, list[FracturedRead]] = field(default_factory=dict)

    @property
    def fractured_total(self) -> int:
        return sum(self.fractured.values())

    @property
    def rate_per_1000(self) -> float | None:
        """Fractured reads per thousand successful reads; None with no read to judge."""
        return 1000 * self.fractured_total / self.reads if self.reads else None


@dataclass(frozen=True)
class ReadVerdict:
    writes: int
    modes: tuple[ModeVerdict, ...]

    def mode(self, name: str) -> ModeVerdict | None:
        return next((m for m in self.modes if m.mode == name), None)


def _overlaps(write: WriteRecord, read: ReadRecord) -> bool:
    return write.start_s <= read.end_s and read.start_s <= write.end_s


def _between(read: ReadRecord, write: WriteRecord) -> bool:
    """The read saw the state committed between a two-transaction write's commits."""
    if write.transactions < 2:
        return False
    seen = (read.progress_level, read.license_level)
    if write.first_side == "license":
        return write.license_to is not None and write.license_before != write.license_to and seen == (
            write.progress_from, write.license_to)
    return write.progress_from != write.progress_to and seen == (write.progress_to, write.license_before)


def _torn(read: ReadRecord, writes: Sequence[WriteRecord]) -> tuple[WriteRecord, ...] | None:
    """Two writes (maybe one) such that one side is from after one and the other from before the other."""
    p, lic = read.progress_level, read.license_level
    for first in writes:
        for second in writes:
            after_progress = (first.progress_from != first.progress_to and p == first.progress_to
                              and second.license_to is not None and lic == second.license_before
                              and second.license_before != second.license_to)
            after_license = (second.license_to is not None and lic == second.license_to
                             and second.license_before != second.license_to
                             and first.progress_from != first.progress_to and p == first.progress_from)
            if after_progress or after_license:
                return (first,) if first is second else (first, second)
    return None


def classify(read: ReadRecord, writes: Sequence[WriteRecord]) -> FracturedRead | None:
    """None when the read is not fractured; else its kind and the writes of its pair that explain it.

    ``writes`` are the pair's writes (any order); only those overlapping the read explain a tear.
    """
    if not read.fractured_looking:
        return None
    live = [w for w in writes if w.outcome is not Outcome.FAILED and w.moved]
    overlapping = [w for w in live if _overlaps(w, read)]
    seen = f"progress={read.progress_level}, license={read.license_level}"
    for write in overlapping:
        if _between(read, write):
            return FracturedRead(BETWEEN, read, (write,), f"{seen}: the state {write.operation} committed between "
                                 f"its {write.transactions} transactions")
    torn = _torn(read, overlapping)
    if torn is not None:
        return FracturedRead(TORN, read, torn, f"{seen}: one side from before and one from after "
                             f"{'a write' if len(torn) == 1 else 'two writes'} committed during the read")
    before = sorted((w for w in live if w.end_s < read.start_s), key=lambda w: w.end_s)[-2:]
    return FracturedRead(VISIBLE, read, (*before, *overlapping),
                         f"{seen}: no write in flight explains it; the committed pair disagreed")


def check_reads(reads: Iterable[ReadRecord], writes: Iterable[WriteRecord]) -> ReadVerdict:
    """Classify every read of every mode against the writes of its pair."""
    by_pair: dict[tuple[int, str], list[WriteRecord]] = defaultdict(list)
    writes = list(writes)
    for w in writes:
        by_pair[(w.user_id, w.specialization)].append(w)
    by_mode: dict[str, list[ReadRecord]] = defaultdict(list)
    for r in sorted(reads, key=lambda r: r.start_s):
        by_mode[r.mode].append(r)
    verdicts = []
    for mode, mode_reads in sorted(by_mode.items()):
        counts = dict.fromkeys(KINDS, 0)
        examples: dict[str, list[FracturedRead]] = defaultdict(list)
        ok = [r for r in mode_reads if r.outcome is Outcome.OK]
        for r in ok:
            found = classify(r, by_pair.get((r.user_id, r.specialization), []))
            if found is not None:
                counts[found.kind] += 1
                if len(examples[found.kind]) < EXAMPLES_PER_KIND:
                    examples[found.kind].append(found)
        verdicts.append(ModeVerdict(mode, len(ok), len(mode_reads) - len(ok), counts, dict(examples)))
    return ReadVerdict(len(writes), tuple(verdicts))
