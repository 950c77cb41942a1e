"""Durations in Locust's syntax: the same answers as Locust's own parser, and a clear error otherwise."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from plsync.durations import format_duration, parse_duration
from system.errors import InvalidInputError

SAMPLES = ["20", "20s", "5m", "2h", "1h30m", "3h30m10s", "90m", "0", "1h1s", "", "s", "5x", "1m2h", "-5", " 20",
           "20 s", "1.5h", "h", "007s", "٣", "20\n", "5m\n"]


def locust_answers(samples: list[str]) -> list[int | None]:
    """Locust's parse_timespan on each sample, in a process of its own (importing Locust patches gevent)."""
    code = ("import json, sys\nfrom locust.util.timespan import parse_timespan\nout = []\n"
            "for s in json.loads(sys.argv[1]):\n    try: out.append(parse_timespan(s))\n"
            "    except ValueError: out.append(None)\nprint(json.dumps(out))")
    done = subprocess.run([sys.executable, "-c", code, json.dumps(samples)], capture_output=True, text=True,
                          timeout=60, check=True)
    answers: list[int | None] = json.loads(done.stdout.strip().splitlines()[-1])
    return answers


def ours(sample: str) -> int | None:
    try:
        return parse_duration(sample)
    except InvalidInputError:
        return None


def test_same_answers_as_locust() -> None:
    assert [ours(s) for s in SAMPLES] == locust_answers(SAMPLES)


def test_values_and_errors() -> None:
    assert [parse_duration(s) for s in ("20", "20s", "5m", "1h30m", "3h30m10s")] == [20, 20, 300, 5400, 12610]
    assert parse_duration(45) == 45  # a default given in seconds passes through
    with pytest.raises(InvalidInputError, match=r"malformed duration '5 minutes' \(valid: 20, 20s, 5m"):
        parse_duration("5 minutes")


@pytest.mark.parametrize(("seconds", "text"), [(0, "0s"), (20, "20s"), (90, "1m30s"), (5400, "1h30m"),
                                               (86400, "24h")])
def test_format_round_trips(seconds: int, text: str) -> None:
    assert format_duration(seconds) == text and parse_duration(text) == seconds
