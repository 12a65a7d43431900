"""The charts' drawing, with matplotlib's object API and the Agg canvas (no pyplot, no global
backend). Imported only where charts are drawn: in ``ChartRenderer``'s worker processes
(``bot.charts``), and in tests.

Layout is computed in pixels for a 1080 px wide image (what a phone shows full-screen):
every text is measured with the Agg renderer before it is placed, long labels wrap to two
lines and then end in «…», so nothing overlaps whatever the labels' length or language. Type
is 16-24 pt at 100 dpi (22-33 px). Characters the font (DejaVu Sans, shipped with matplotlib:
Latin, Cyrillic, «», –, …) cannot draw are dropped rather than drawn as empty boxes.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PatchCollection
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.ft2font import FT2Font
from matplotlib.patches import FancyBboxPatch
from matplotlib.ticker import MaxNLocator

if TYPE_CHECKING:
    from matplotlib.backends.backend_agg import RendererAgg

    from bot.charts import ChartTexts, TrendSeries

WIDTH = 1080
DPI = 100
MARGIN = 36
FONT = "DejaVu Sans"
TITLE_PT = 24
LABEL_PT = 18
VALUE_PT = 18
SCALE_PT = 16
NO_DATA_PT = 22
LABEL_COLUMN = 400  # px for the quality names, left of the data
LABEL_LINES = 2
BAR_H = 28.0

INK = "#1f2933"
MUTED = "#6b7280"
GRID = "#e5e7eb"
EMPTY = "#f1f3f5"
SELF_COLOUR = "#2f6fd0"  # blue and orange: told apart with any colour vision
KUDOS_COLOUR = "#e07b12"
#: rating 1..5, light to dark; the number is written in the cell, the colour only helps
RATING_COLOURS = ("#dbe6f8", "#b0caf1", "#7ea6e6", "#3f74cf", "#1c4a9c")
RATING_INK = (INK, INK, INK, "white", "white")
ELLIPSIS = "…"


@cache
def _charmap() -> frozenset[int]:
    path = font_manager.findfont(FontProperties(family=FONT), fallback_to_default=False)
    return frozenset(FT2Font(path).get_charmap())


def printable(text: str) -> str:
    """``text`` without the characters the font has no glyph for (emoji, say)."""
    known = _charmap()
    kept = "".join(ch for ch in text if ord(ch) in known or ch in " \n")
    return " ".join(kept.split())


class _Canvas:
    """One figure with an axes covering it in pixel coordinates (origin top left)."""

    def __init__(self) -> None:
        self.fig = Figure(figsize=(WIDTH / DPI, 1), dpi=DPI, facecolor="white")
        self.canvas = FigureCanvasAgg(self.fig)
        self.renderer: RendererAgg = self.canvas.get_renderer()  # type: ignore[no-untyped-call]
        self.ax = self.fig.add_axes((0, 0, 1, 1))
        self.ax.set_axis_off()
        self._boxes: list[FancyBboxPatch] = []
        self._colours: list[str] = []
        self._widths: dict[tuple[str, float, bool], float] = {}

    @staticmethod
    def font(pt: float, bold: bool = False) -> FontProperties:
        return FontProperties(family=FONT, size=pt, weight="bold" if bold else "normal")

    def width(self, text: str, pt: float, bold: bool = False) -> float:
        key = (text, pt, bold)
        if key not in self._widths:
            measure = self.renderer.get_text_width_height_descent
            w, _, _ = measure(text, self.font(pt, bold), ismath=False)  # type: ignore[no-untyped-call]
            self._widths[key] = float(w)
        return self._widths[key]

    @staticmethod
    def line_height(pt: float) -> float:
        return pt * DPI / 72 * 1.3

    def fit(self, text: str, pt: float, room: float, bold: bool = False) -> str:
        """``text``, or as much of it as fits in ``room`` px followed by «…»."""
        if self.width(text, pt, bold) <= room:
            return text
        cut = len(text)
        while cut > 0 and self.width(text[:cut].rstrip(" ,;:—–-") + ELLIPSIS, pt, bold) > room:
            cut -= 1
        return text[:cut].rstrip(" ,;:—–-") + ELLIPSIS

    def wrap(
        self, text: str, pt: float, room: float, max_lines: int, bold: bool = False
    ) -> list[str]:
        """Greedy word wrap to ``room`` px; the last line ends in «…» if words are left."""
        words = printable(text).split()
        lines: list[str] = []
        while words and len(lines) < max_lines:
            line = words.pop(0)
            while words and self.width(f"{line} {words[0]}", pt, bold) <= room:
                line = f"{line} {words.pop(0)}"
            lines.append(line)
        if words:
            # the next word did not fit, so this ends in «…»
            lines[-1] = self.fit(f"{lines[-1]} {' '.join(words)}", pt, room, bold)
        return [self.fit(line, pt, room, bold) for line in lines] or [""]

    def text(
        self,
        x: float,
        y: float,
        text: str,
        pt: float,
        *,
        bold: bool = False,
        colour: str = INK,
        ha: str = "left",
        va: str = "center",
        rotation: float = 0,
        gid: str | None = None,
    ) -> None:
        self.ax.text(
            x,
            y,
            text,
            fontproperties=self.font(pt, bold),
            color=colour,
            ha=ha,
            va=va,
            rotation=rotation,
            gid=gid,
        )

    def lines(
        self, x: float, top: float, lines: Sequence[str], pt: float, *, bold: bool = False
    ) -> float:
        """Draws ``lines`` from ``top`` down; returns the y below them."""
        step = self.line_height(pt)
        for i, line in enumerate(lines):
            self.text(x, top + step * (i + 0.5), line, pt, bold=bold, gid="label")
        return top + step * len(lines)

    def box(self, x: float, y: float, w: float, h: float, colour: str) -> None:
        """A rounded box, drawn with the others in one collection (``finish``)."""
        self._boxes.append(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0,rounding_size=6"))
        self._colours.append(colour)

    def finish(self, height: float) -> Figure:
        boxes = PatchCollection(self._boxes, facecolors=self._colours, edgecolors="none", zorder=1)
        self.ax.add_collection(boxes, autolim=False)
        self.fig.set_size_inches(WIDTH / DPI, height / DPI)
        self.ax.set_xlim(0, WIDTH)
        self.ax.set_ylim(height, 0)
        return self.fig


def to_png(fig: Figure) -> bytes:
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=DPI, facecolor="white")
    return out.getvalue()


def _title(c: _Canvas, title: str) -> float:
    lines = c.wrap(title, TITLE_PT, WIDTH - 2 * MARGIN, 2, bold=True)
    return c.lines(MARGIN, MARGIN, lines, TITLE_PT, bold=True) + 16


def no_data_figure(title: str, message: str) -> Figure:
    c = _Canvas()
    top = _title(c, title)
    lines = c.wrap(message, NO_DATA_PT, WIDTH - 2 * MARGIN - 80, 4)
    step = c.line_height(NO_DATA_PT)
    box_h = max(260.0, step * len(lines) + 80)
    c.box(MARGIN, top, WIDTH - 2 * MARGIN, box_h, EMPTY)
    first = top + (box_h - step * len(lines)) / 2
    for i, line in enumerate(lines):
        c.text(WIDTH / 2, first + step * (i + 0.5), line, NO_DATA_PT, colour=MUTED, ha="center")
    return c.finish(top + box_h + MARGIN)


# ---------------------------------------------------------------- trend


@dataclass(frozen=True, slots=True)
class _WeekHeader:
    lines: list[list[str]]  # per week, one or two lines
    rotated: bool
    height: float


def _week_header(c: _Canvas, weeks: Sequence[str], column: float) -> _WeekHeader:
    room = column - 6
    labels = [printable(w) for w in weeks]
    step = c.line_height(SCALE_PT)
    if all(c.width(w, SCALE_PT) <= room for w in labels):
        return _WeekHeader([[w] for w in labels], rotated=False, height=step)
    split = [w.split(" ", 1) for w in labels]
    if all(c.width(part, SCALE_PT) <= room for parts in split for part in parts):
        return _WeekHeader(split, rotated=False, height=step * max(map(len, split)))
    longest = max(c.width(w, SCALE_PT) for w in labels)
    return _WeekHeader([[w] for w in labels], rotated=True, height=longest + 8)


def _draw_weeks(c: _Canvas, header: _WeekHeader, x0: float, column: float, top: float) -> None:
    step = c.line_height(SCALE_PT)
    for i, lines in enumerate(header.lines):
        x = x0 + column * (i + 0.5)
        if header.rotated:
            c.text(x, top + header.height, lines[0], SCALE_PT, colour=MUTED, ha="center",
                   va="bottom", rotation=90)  # fmt: skip
            continue
        below = header.height - step * len(lines)  # the lines sit on the header's bottom
        for j, line in enumerate(lines):
            c.text(x, top + below + step * (j + 0.5), line, SCALE_PT, colour=MUTED, ha="center")


def trend_figure(weeks: Sequence[str], series: Sequence[TrendSeries], texts: ChartTexts) -> Figure:
    for s in series:
        if len(s.ratings) != len(weeks):
            raise ValueError(f"{s.quality!r}: {len(s.ratings)} ratings for {len(weeks)} weeks")
        if any(r is not None and not 1 <= r <= 5 for r in s.ratings):
            raise ValueError(f"{s.quality!r}: ratings must be 1..5 or None")
    if not weeks or all(r is None for s in series for r in s.ratings):
        return no_data_figure(texts.trend_title, texts.no_data)
    c = _Canvas()
    top = _title(c, texts.trend_title)
    x0 = MARGIN + LABEL_COLUMN + 16
    column = min((WIDTH - MARGIN - x0) / len(weeks), 96.0)
    cell_w = column - 6
    cell_h = min(cell_w, 46.0)
    header = _week_header(c, weeks, column)
    _draw_weeks(c, header, x0, column, top)
    y = top + header.height + 10
    step = c.line_height(LABEL_PT)
    for s in series:
        lines = c.wrap(s.quality, LABEL_PT, LABEL_COLUMN, LABEL_LINES)
        row = max(cell_h + 10, step * len(lines) + 8)
        c.lines(MARGIN, y + (row - step * len(lines)) / 2, lines, LABEL_PT)
        cell_top = y + (row - cell_h) / 2
        for i, rating in enumerate(s.ratings):
            x = x0 + column * i + 3
            if rating is None:
                c.box(x, cell_top, cell_w, cell_h, EMPTY)
                continue
            c.box(x, cell_top, cell_w, cell_h, RATING_COLOURS[rating - 1])
            c.text(x + cell_w / 2, cell_top + cell_h / 2, str(rating), VALUE_PT, bold=True,
                   colour=RATING_INK[rating - 1], ha="center")  # fmt: skip
        y += row
    if len(series) > 8:  # a long chart repeats the weeks below
        _draw_weeks(c, header, x0, column, y + 6)
        y += header.height + 6
    return c.finish(y + MARGIN)


# ---------------------------------------------------------------- versus


@dataclass(frozen=True, slots=True)
class _Panel:
    x: float
    width: float
    top: float  # the scale's maximum
    ticks: list[float]
    colour: str

    def at(self, value: float) -> float:
        return self.x + self.width * value / self.top


def _kudos_scale(most: int) -> tuple[float, list[float]]:
    ticks = [float(t) for t in MaxNLocator(nbins=4, integer=True).tick_values(0, max(most, 1))]
    ticks = [t for t in ticks if t >= 0]
    top = max(ticks[-1], float(most), 1.0)
    return top, [t for t in ticks if t <= top]


def _draw_scale(c: _Canvas, panel: _Panel, y: float) -> None:
    for t in panel.ticks:
        c.text(panel.at(t), y, f"{t:g}", SCALE_PT, colour=MUTED, ha="center")


def _bar(c: _Canvas, panel: _Panel, value: float, text: str, y: float) -> None:
    """A bar from the panel's zero to ``value`` (none for 0), its value beside or inside."""
    end = panel.at(value)
    if value:
        c.box(panel.x, y - BAR_H / 2, end - panel.x, BAR_H, panel.colour)
    w = c.width(text, VALUE_PT, bold=True)
    if end + 8 + w <= panel.x + panel.width + 24:
        c.text(end + 8, y, text, VALUE_PT, bold=True, colour=INK)
    else:
        c.text(end - 8, y, text, VALUE_PT, bold=True, colour="white", ha="right")


def _rating_text(value: float, texts: ChartTexts) -> str:
    return f"{value:.1f}".replace(".", texts.decimal_mark)


def _versus_header(
    c: _Canvas, texts: ChartTexts, most_kudos: int
) -> tuple[tuple[_Panel, _Panel], float]:
    """The title, the two panels' names and scales; returns the panels and the y below."""
    y = _title(c, texts.versus_title)
    gap = 64
    start = MARGIN + LABEL_COLUMN + 20
    width = (WIDTH - MARGIN - start - gap - 24) / 2
    kudos_top, kudos_ticks = _kudos_scale(most_kudos)
    panels = (
        _Panel(start, width, 5.0, [1, 2, 3, 4, 5], SELF_COLOUR),
        _Panel(start + width + gap, width, kudos_top, kudos_ticks, KUDOS_COLOUR),
    )
    headers = [
        c.wrap(label, SCALE_PT, width + 24, 2, bold=True)
        for label in (texts.self_label, texts.kudos_label)
    ]
    head_step = c.line_height(SCALE_PT)
    head_h = head_step * max(map(len, headers))
    for panel, lines in zip(panels, headers, strict=True):
        for i, line in enumerate(lines):
            c.text(panel.x, y + head_step * (i + 0.5), line, SCALE_PT, bold=True,
                   colour=panel.colour, gid="label")  # fmt: skip
    y += head_h + 4
    scale_y = y + head_step / 2
    for panel in panels:
        _draw_scale(c, panel, scale_y)
    y += head_step + 6
    return panels, y


def versus_figure(rows: Sequence[tuple[str, float | None, int]], texts: ChartTexts) -> Figure:
    if any(r is not None and not 1 <= r <= 5 for _, r, _ in rows) or any(k < 0 for *_, k in rows):
        raise ValueError("self-ratings must be 1..5 or None, kudos counts ≥ 0")
    if all(r is None and k == 0 for _, r, k in rows):
        return no_data_figure(texts.versus_title, texts.no_data)
    c = _Canvas()
    panels, y = _versus_header(c, texts, max(k for *_, k in rows))
    grid_top = y
    step = c.line_height(LABEL_PT)
    self_panel, kudos_panel = panels
    for quality, rating, kudos in rows:
        lines = c.wrap(quality, LABEL_PT, LABEL_COLUMN, LABEL_LINES)
        row = max(BAR_H + 18, step * len(lines) + 8)
        c.lines(MARGIN, y + (row - step * len(lines)) / 2, lines, LABEL_PT)
        mid = y + row / 2
        if rating is None:
            c.text(self_panel.x + 4, mid, "—", VALUE_PT, colour=MUTED)
        else:
            _bar(c, self_panel, rating, _rating_text(rating, texts), mid)
        _bar(c, kudos_panel, kudos, str(kudos), mid)
        y += row
    for panel in panels:  # the grid lines behind the bars
        for t in panel.ticks:
            c.ax.vlines(panel.at(t), grid_top, y, colors=GRID, linewidth=1.5, zorder=0)
        c.ax.vlines(panel.x, grid_top, y, colors=MUTED, linewidth=1.5, zorder=0)
        if len(rows) > 8:  # a long chart repeats the scales below
            _draw_scale(c, panel, y + 6 + c.line_height(SCALE_PT) / 2)
    if len(rows) > 8:
        y += 6 + c.line_height(SCALE_PT)
    return c.finish(y + MARGIN)
