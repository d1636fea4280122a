"""The arithmetic panel: a :mod:`.panel` laid out in columns at the largest font that fits.

Nothing is ever cut or broken inside a number: a line wraps only between its chunks, a table
keeps its columns, and when the panel does not fit the view first takes a smaller font (down
to a legible minimum), then a less detailed form of the same arithmetic (the products'
values instead of each ``x × w``, then only the sums), and only then a smaller font still.
The font chosen only shrinks while the steps go by, so the text does not jump from step to
step; a new trace or a resize starts again from the largest.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QPointF, QRect, QRectF, QSize, Qt
from PySide6.QtGui import (
    QFont,
    QFontInfo,
    QFontMetricsF,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QStaticText,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from ..theme import scale_font
from .panel import STYLES, Chunk, Line, Panel, Table, chunk_text, to_html

MIN_FACTOR = 0.65     # the legible minimum, as a share of the panel's own font
WANT_FACTOR = 0.8     # the page makes room for the panel at this share of its font
NEARLY = 0.9         # none legible: the most detailed form at least this share as large
HINT_FACTOR = 0.55    # the minimum size asked for: the sums alone at this size
FLOOR_PX = 9          # below the legible minimum only to keep Σ, bias and "written to" shown
MARGIN = 4
WIDTH_CACHE_LIMIT = 6000  # measured texts: a float each; the terms above, at two sizes
STATIC_CACHE_LIMIT = 3000  # prepared texts (~0.8 KB each, 2.4 MB at most): a colour layer
# writes ~1,300 different "x × w" terms; with 500 kept the cache emptied every few dozen steps


@dataclass(frozen=True)
class Placed:
    """One chunk where it is drawn: its text, its box, and its runs' (x, style, text)."""

    text: str
    rect: QRectF
    baseline: float
    runs: tuple[tuple[float, str, str], ...]


# A chunk as laid out: its text, left, top, width and its runs' (x, style, text).
_Item = tuple[str, float, float, float, tuple[tuple[float, str, str], ...]]


@dataclass
class _Layout:
    items: list[_Item]
    width: float
    height: float
    line: float = 0.0   # line height


class ArithmeticView(QWidget):
    """Draw a panel's lines and tables; :meth:`text` gives it as HTML."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("arithmetic")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        # It repaints every step: painting its whole rectangle spares Qt its parents.
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self._fonts: dict[int, dict[str, tuple[QFont, QFontMetricsF]]] = {}
        self._widths: dict[tuple[int, str, str], float] = {}
        self._statics: dict[tuple[int, str, str], QStaticText] = {}
        self._forms: tuple[Panel, ...] = ()
        self._template: tuple[Panel, ...] = ()
        self._sticky: tuple[int, int] | None = None   # (form, pixel size) last used
        self._layout: _Layout | None = None
        self._chosen: tuple[int, int] = (0, 0)
        scale_font(self, 1.25)

    # --- content --------------------------------------------------------------------------
    def show_panels(self, forms: tuple[Panel, ...]) -> None:
        """Show the arithmetic ``forms`` (most detailed first); the view picks one that fits."""
        if forms == self._forms:
            return
        before = self._layout
        self._forms = forms
        self._layout = None
        if before is None or not self.isVisible():
            self.update()
            return
        # Lay out now and repaint only where the text was or is: the panel is most of the
        # page's middle and repainting all of it every step cost more than the text.
        after = self._ensure()
        self.update(QRect(0, 0, math.ceil(max(before.width, after.width)) + 2 * MARGIN + 2,
                          math.ceil(max(before.height, after.height)) + 2 * MARGIN + 2))

    def set_template(self, forms: tuple[Panel, ...]) -> None:
        """Size the panel for arithmetic like ``forms`` (a new trace), from the largest font."""
        self._template = forms
        self._sticky = None
        self._layout = None
        self.updateGeometry()
        self.update()

    def text(self) -> str:
        """Return the most detailed form as HTML (empty when nothing is shown)."""
        return to_html(self._forms[0]) if self._forms else ""

    def placed(self) -> list[Placed]:
        """Return the chunks as laid out for the current size (lays out if needed)."""
        lay = self._ensure()
        ascent = self._styles(self._chosen[1])["plain"][1].ascent()
        return [Placed(text, QRectF(x, top, w, lay.line), top + ascent, runs)
                for text, x, top, w, runs in lay.items]

    @property
    def chosen(self) -> tuple[int, int]:
        """The (form, pixel size) the panel is drawn with."""
        self._ensure()
        return self._chosen

    # --- fonts and measures -----------------------------------------------------------------
    @property
    def max_px(self) -> int:
        """The panel's own font size in pixels."""
        return QFontInfo(self.font()).pixelSize()

    @property
    def min_px(self) -> int:
        """The legible minimum."""
        return max(FLOOR_PX, round(self.max_px * MIN_FACTOR))

    def _styles(self, px: int) -> dict[str, tuple[QFont, QFontMetricsF]]:
        styles = self._fonts.get(px)
        if styles is None:
            styles = {}
            for style in STYLES:
                font = QFont(self.font())
                font.setPixelSize(max(1, round(px * 0.7)) if style == "sub" else px)
                font.setBold(style == "bold")
                font.setItalic(style == "italic")
                styles[style] = (font, QFontMetricsF(font))
            self._fonts[px] = styles
        return styles

    def _width(self, px: int, style: str, text: str) -> float:
        key = (px, style, text)
        w = self._widths.get(key)
        if w is None:
            if len(self._widths) > WIDTH_CACHE_LIMIT:
                self._widths.clear()
            w = self._widths[key] = self._styles(px)[style][1].horizontalAdvance(text)
        return w

    def _chunk_width(self, px: int, c: Chunk) -> float:
        return sum(self._width(px, r.style, r.text) for r in c)

    # --- layout -------------------------------------------------------------------------------
    def _lay_out(self, panel: Panel, px: int, width: float) -> _Layout:
        fm = self._styles(px)["plain"][1]
        lh = fm.height()
        space = self._width(px, "plain", " ")
        gap = lh * 0.2
        items: list[_Item] = []
        y = 0.0
        widest = 0.0
        measure = self._width

        def put(c: Chunk, x: float, top: float) -> None:
            x += MARGIN
            top += MARGIN
            if len(c) == 1:  # most chunks: one run
                r = c[0]
                if r.text:
                    items.append((r.text, x, top, measure(px, r.style, r.text),
                                  ((x, r.style, r.text),)))
                return
            runs = []
            cx = x
            for r in c:
                runs.append((cx, r.style, r.text))
                cx += measure(px, r.style, r.text)
            if cx > x:  # an empty cell (the running sum not shown yet) is not drawn
                items.append((chunk_text(c), x, top, cx - x, tuple(runs)))

        for n, block in enumerate(panel):
            if n:
                y += gap
            if isinstance(block, Line):
                x = 0.0
                for c in block.chunks:
                    w = self._chunk_width(px, c)
                    if x > 0 and x + space + w > width:
                        y += lh
                        x = 0.0
                    x += space if x > 0 else 0.0
                    if not block.ghost:
                        put(c, x, y)
                    x += w
                    widest = max(widest, x)
                y += lh
                continue
            widths, xs = self._columns(block, px, space)
            col = 0
            for c, span in block.head:
                put(c, xs[col], y)
                col += span
            y += lh
            for row in block.rows:
                for j, c in enumerate(row):
                    w = self._chunk_width(px, c)
                    put(c, xs[j] + (widths[j] - w if block.align[j] == "r" else 0.0), y)
                y += lh
            widest = max(widest, xs[-1] + widths[-1])
        return _Layout(items, widest, y, lh)

    def _columns(self, table: Table, px: int, space: float) -> tuple[list[float], list[float]]:
        """Column widths and left edges: each column as wide as its widest cell."""
        n = len(table.align)
        widths = [0.0] * n
        for row in table.rows:
            for j, c in enumerate(row):
                widths[j] = max(widths[j], self._chunk_width(px, c))
        gap_wide = self._width(px, "plain", "M") * 0.6

        def gap(j: int) -> float:
            return space if (j in table.tight or j - 1 in table.tight) else gap_wide

        col = 0
        for c, span in table.head:
            need = self._chunk_width(px, c)
            have = sum(widths[col:col + span]) + sum(gap(j) for j in range(col + 1, col + span))
            if need > have:
                widths[col + span - 1] += need - have
            col += span
        xs = []
        x = 0.0
        for j in range(n):
            if j:
                x += gap(j)
            xs.append(x)
            x += widths[j]
        return widths, xs

    def _largest(self, panel: Panel, px: int, width: float,
                 height: float) -> tuple[int, _Layout]:
        """Return the largest size ≤ ``px`` (down to FLOOR_PX) that fits, and its layout."""
        while True:
            lay = self._lay_out(panel, px, width)
            if self._fits(lay, width, height) or px <= FLOOR_PX:
                return px, lay
            shrink = min(width / max(lay.width, 1.0), height / max(lay.height, 1.0))
            px = max(FLOOR_PX, min(px - 1, math.floor(px * math.sqrt(shrink))))

    def _fits(self, lay: _Layout, width: float, height: float) -> bool:
        return lay.width <= width + 0.01 and lay.height <= height + 0.01

    def _ensure(self) -> _Layout:
        if self._layout is not None:
            return self._layout
        width = max(1.0, self.width() - 2 * MARGIN)
        height = max(1.0, self.height() - 2 * MARGIN)
        forms = self._forms
        if not forms:
            self._layout = _Layout([], 0.0, 0.0)
            return self._layout
        start_form, start_px = self._sticky or (0, self.max_px)
        start_form = min(start_form, len(forms) - 1)
        lay = self._lay_out(forms[start_form], start_px, width)
        if self._fits(lay, width, height):
            best: tuple[int, int, _Layout] | None = (start_form, start_px, lay)
        else:
            # The form shown so far, a little smaller (a wider number came), while legible;
            # else each form at the largest size that fits: the most detailed legible one
            # wins, or, where none is (height binds them all alike), the most detailed one
            # nearly as large as the largest.
            px, lay = self._largest(forms[start_form], start_px, width, height)
            if px >= self.min_px or start_form == len(forms) - 1:
                best = (start_form, px, lay)
            else:
                fitted = [(start_form, px, lay)] + [
                    (f, *self._largest(forms[f], start_px, width, height))
                    for f in range(start_form + 1, len(forms))]
                top = max(p for _, p, _ in fitted)
                enough = min(self.min_px, top * NEARLY)
                best = next((c for c in fitted if c[1] >= enough), fitted[-1])
        assert best is not None
        f, px, lay = best
        self._sticky = self._chosen = (f, px)
        self._layout = lay
        return lay

    @property
    def want_px(self) -> int:
        """The size the page makes room for: the body text's (the panel's own is larger)."""
        return max(self.min_px, round(self.max_px * WANT_FACTOR))

    def wanted_width(self) -> int:
        """Return the width that shows the most detailed form unwrapped at :attr:`want_px`."""
        forms = self._template or self._forms
        if not forms:
            return 0
        lay = self._lay_out(forms[0], self.want_px, 1e6)
        return math.ceil(lay.width) + 2 * MARGIN

    def wanted_height(self, width: int) -> int:
        """Return the height of the most detailed form at its own size, ``width`` wide."""
        forms = self._template or self._forms
        if not forms:
            return 0
        lay = self._lay_out(forms[0], self.max_px, max(1.0, width - 2 * MARGIN))
        return math.ceil(lay.height) + 2 * MARGIN

    # --- Qt ---------------------------------------------------------------------------------
    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        """Room for the least detailed form a little below the legible minimum."""
        forms = self._template or self._forms
        if not forms:
            return QSize(80, 40)
        panel, px = forms[-1], max(FLOOR_PX, round(self.max_px * HINT_FACTOR))
        widest = 0.0
        for block in panel:
            if isinstance(block, Line):
                widest = max([widest, *(self._chunk_width(px, c) for c in block.chunks)])
            else:
                widths, xs = self._columns(block, px, self._width(px, "plain", " "))
                widest = max(widest, xs[-1] + widths[-1])
        lay = self._lay_out(panel, px, widest * 1.5)
        return QSize(math.ceil(widest) + 2 * MARGIN, math.ceil(lay.height) + 2 * MARGIN)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        """Prefer the most detailed form on unwrapped lines at the panel's own font."""
        forms = self._template or self._forms
        if not forms:
            return QSize(200, 100)
        lay = self._lay_out(forms[0], self.max_px, 1e6)
        return QSize(math.ceil(lay.width) + 2 * MARGIN, math.ceil(lay.height) + 2 * MARGIN)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        """Start again from the largest font."""
        self._sticky = None
        self._layout = None
        super().resizeEvent(event)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        """Follow font changes (projection mode, zoom)."""
        if event.type() == QEvent.Type.FontChange:
            self._fonts.clear()
            self._widths.clear()
            self._statics.clear()
            self._sticky = None
            self._layout = None
            self.updateGeometry()
            self.update()
        super().changeEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        """Draw the chunks where the layout put them."""
        lay = self._ensure()
        p = QPainter(self)
        p.fillRect(self.rect(), self.palette().window())
        p.setPen(self.palette().windowText().color())
        px = self._chosen[1]
        styles = self._styles(px)
        ascent = styles["plain"][1].ascent()
        sub_top = ascent * 1.3 - styles["sub"][1].ascent()
        # Prepared texts: the same numbers and words come back step after step, and a
        # prepared text is drawn without being shaped again.
        # The painter's font must be the one a text was prepared in, or it is laid out again.
        current = ""
        for _, _, top, _, runs in lay.items:
            for x, style, text in runs:
                if style != current:
                    p.setFont(styles[style][0])
                    current = style
                p.drawStaticText(QPointF(x, top + sub_top if style == "sub" else top),
                                 self._static(px, style, text))
        p.end()

    def _static(self, px: int, style: str, text: str) -> QStaticText:
        key = (px, style, text)
        st = self._statics.get(key)
        if st is None:
            if len(self._statics) > STATIC_CACHE_LIMIT:
                self._statics.clear()
            st = self._statics[key] = QStaticText(text)
            st.setTextFormat(Qt.TextFormat.PlainText)
            st.prepare(font=self._styles(px)[style][0])
        return st
