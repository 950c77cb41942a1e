"""Durations as Locust writes them: ``20`` (seconds), ``20s``, ``5m``, ``2h``, ``1h30m``, ``3h30m10s``.

The grammar is Locust's own (``locust.util.timespan.parse_timespan``), written out here because
importing anything from Locust monkey-patches the whole process with gevent.
"""

from __future__ import annotations

import re

from system.errors import InvalidInputError

_WHOLE = re.compile(r"^\d+$")  # Locust's own patterns, quirks included (any Unicode digit; "$" before "\n")
_SPAN = re.compile(r"((?P<hours>\d+?)h)?((?P<minutes>\d+?)m)?((?P<seconds>\d+?)s)?")
FORMATS = "20, 20s, 5m, 2h, 1h30m, 3h30m10s"


def parse_duration(text: str | int) -> int:
    """Seconds in ``text``; InvalidInputError (exit 3) for anything Locust would not accept either."""
    if isinstance(text, int) and not isinstance(text, bool):
        return text  # a default already in seconds
    raw = text if isinstance(text, str) else ""
    if raw and _WHOLE.match(raw):
        return int(raw)
    match = _SPAN.fullmatch(raw) if raw else None
    if match is None or not any(match.groupdict().values()):
        raise InvalidInputError(f"malformed duration {text!r} (valid: {FORMATS})")
    parts = {k: int(v) for k, v in match.groupdict().items() if v}
    return parts.get("hours", 0) * 3600 + parts.get("minutes", 0) * 60 + parts.get("seconds", 0)


def format_duration(seconds: float) -> str:
    """The shortest Locust-style spelling of a whole number of seconds (``90`` -> ``1m30s``)."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    text = (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "") + (f"{secs}s" if secs else "")
    return text or "0s"
