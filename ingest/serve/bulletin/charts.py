"""The bulletin's charts, drawn by matplotlib's SVG backend and inlined in the page (offline, no
script). Text stays text (`svg.fonttype: none`), so the figures on a chart can be read back from
the page and a screen reader or a search finds them; labels are Vietnamese style; matplotlib escapes
every label it writes into the SVG, and no label is parsed as mathtext."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from itertools import count

from matplotlib import rc_context
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from ingest.serve.bulletin.vn import clean, vn_number

GREEN, LIGHT, GREY, ORANGE = "#2e7d32", "#a5d6a7", "#9e9e9e", "#ef6c00"
STYLE = {
    "svg.fonttype": "none",          # <text> elements, not glyph paths
    "svg.hashsalt": "ntm-bulletin",  # stable ids from run to run
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "text.parse_math": False,        # a `$` in a name is a dollar sign, not LaTeX
    "axes.spines.top": False,
    "axes.spines.right": False,
}
_chart_ids = count(1)


def _svg(fig: Figure, name: str) -> str:
    """The figure as an inline <svg> element: no XML prolog or DOCTYPE, ids made unique on the page."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None})
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)  # RDF boilerplate, no figures
    prefix = f"{name}-{next(_chart_ids)}-"
    text = re.sub(r'\bid="', f'id="{prefix}', text)
    text = re.sub(r'url\(#', f'url(#{prefix}', text)
    text = re.sub(r'href="#', f'href="#{prefix}', text)
    return text.replace("<svg ", f'<svg class="chart" data-chart="{name}" role="img" ', 1)


def _vn_axis(decimals: int = 0) -> FuncFormatter:
    return FuncFormatter(lambda v, _pos: vn_number(v, decimals))


def hbar(name: str, labels: Sequence[str], values: Sequence[float], shown: Sequence[str],
         xlabel: str = "", colour: str = GREEN, highlight: Sequence[bool] | None = None) -> str:
    """Horizontal bars, first label on top, each bar with its figure as text."""
    labels = [clean(label) for label in labels]
    height = 0.6 + 0.26 * max(len(labels), 1)
    with rc_context(STYLE):
        fig = Figure(figsize=(7.2, height))
        ax = fig.add_subplot()
        colours = [ORANGE if highlight and highlight[i] else colour for i in range(len(values))]
        bars = ax.barh(range(len(values)), [float(v or 0) for v in values], color=colours, height=0.7)
        ax.set_yticks(range(len(labels)), labels)
        ax.invert_yaxis()
        ax.bar_label(bars, labels=list(shown), padding=3, fontsize=8)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # counts, % and millions: whole ticks
        ax.xaxis.set_major_formatter(_vn_axis())
        ax.set_xlabel(xlabel)
        ax.margins(x=0.15)
        return _svg(fig, name)


def columns(name: str, labels: Sequence[str], values: Sequence[float], shown: Sequence[str],
            ylabel: str = "", colour: str = GREEN, width: float = 7.2) -> str:
    """Vertical columns (months, stars), each with its figure on top."""
    with rc_context(STYLE):
        fig = Figure(figsize=(width, 2.4))
        ax = fig.add_subplot()
        bars = ax.bar(range(len(values)), [float(v or 0) for v in values], color=colour, width=0.65)
        ax.set_xticks(range(len(labels)), [clean(label) for label in labels])
        ax.bar_label(bars, labels=list(shown), padding=2, fontsize=8)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.yaxis.set_major_formatter(_vn_axis())
        ax.set_ylabel(ylabel)
        ax.margins(y=0.18)
        return _svg(fig, name)


def line(name: str, labels: Sequence[str], values: Sequence[float | None], shown: Sequence[str],
         ylabel: str = "", decimals: int = 1) -> str:
    """A line over the months, each point with its figure."""
    with rc_context(STYLE):
        fig = Figure(figsize=(7.2, 2.2))
        ax = fig.add_subplot()
        xs = list(range(len(values)))
        ys = [float(v) if v is not None else float("nan") for v in values]
        ax.plot(xs, ys, marker="o", color=GREEN)
        for x, y, text in zip(xs, ys, shown, strict=True):
            if y == y:  # not NaN
                ax.annotate(text, (x, y), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=8)
        ax.set_xticks(xs, [clean(label) for label in labels])
        ax.yaxis.set_major_formatter(_vn_axis(decimals))
        ax.set_ylabel(ylabel)
        ax.margins(y=0.25)
        return _svg(fig, name)
