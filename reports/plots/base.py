"""Figures as inline SVG: small, offline, no JavaScript, the same bytes for the same data.

matplotlib's object API (``Figure``, no pyplot) keeps no global state; text stays text in the SVG
(``svg.fonttype = none``), and a fixed hash salt and no date make the output deterministic.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import matplotlib
from matplotlib.axes import Axes
from matplotlib.figure import Figure

STRATEGY_ORDER = ("legacy", "coupled", "advisory", "redis", "serializable", "trigger", "redis_fenced")
_PALETTE = ("#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22",
            "#7f7f7f")
RC = {"svg.fonttype": "none", "svg.hashsalt": "plsync", "font.size": 9, "axes.spines.top": False,
      "axes.spines.right": False, "axes.grid": True, "grid.alpha": 0.3, "legend.frameon": False}


@dataclass(frozen=True)
class Plot:
    id: str
    title: str
    caption: str
    svg: str
    source: str


def color(strategy: str) -> str:
    """The same colour for a strategy in every plot; strategies added later take the next ones."""
    index = STRATEGY_ORDER.index(strategy) if strategy in STRATEGY_ORDER else (
        len(STRATEGY_ORDER) + sum(map(ord, strategy)) % (len(_PALETTE) - len(STRATEGY_ORDER)))
    return _PALETTE[index]


@contextmanager
def canvas(width: float = 7.0, height: float = 3.2) -> Iterator[tuple[Figure, Axes]]:
    """A figure with one axes; everything drawn inside the block uses the house style."""
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(width, height), layout="constrained")
        yield fig, fig.add_subplot()


def to_svg(fig: Figure) -> str:
    buffer = io.StringIO()
    with matplotlib.rc_context(RC):
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    # Inline in HTML: drop the XML prologue and let CSS size it.
    text = re.sub(r"^.*?(<svg\b)", r"\1", text, count=1, flags=re.S)
    return re.sub(r'<svg ([^>]*?)width="[^"]*" height="[^"]*"', r"<svg \1", text, count=1)
