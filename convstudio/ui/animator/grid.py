"""A grid of numbered cells: the animator's input, kernel, products and output views.

The cells and their numbers are painted once into a cached pixmap; each animation frame only
draws that pixmap and the highlights, so 120 steps a second leave the event loop free. When the
grid is too big for legible cells, the view shows a window-following part of it instead.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QImage,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmap,
    QStaticText,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from ...core import luminance
from ..theme import diverging_cmap, presentation
from .text import fmt_cells

MIN_CELL = 22      # below this, numbers are unreadable: follow the window instead
FOLLOW_CELL = 48   # cell size while following
MAX_CELL = 96
PROJECTION_CELL = 84  # projection mode: numbers of ≥ 18 pt (28 px) in every cell shown
MIN_FONT_PX = 8
WINDOW_COLOUR = QColor("#E69F00")   # Okabe–Ito orange: the sliding window, the current cell
WINNER_COLOUR = QColor("#009E73")   # Okabe–Ito bluish green: the pool winner
PAD_COLOUR = QColor("#8a8a8a")
EMPTY_COLOUR = QColor("#f4f4f4")
GRID_COLOUR = QColor("#b4b4b4")
TEXT_CACHE_LIMIT = 20000
PAGES_KEPT = 3  # parts of a followed grid kept: before, shown, next (≈ 2 MB each)

# (row, col, rows, cols) of grid cells → where they are drawn on the widget.
CellRect = Callable[..., QRectF]


@dataclass(frozen=True)
class Overlay:
    """What to highlight, in grid cells (row, col)."""

    window: tuple[int, int, int, int] | None = None   # top, left, height, width
    taps: tuple[tuple[int, int], ...] = ()            # cells the kernel actually reads
    current: tuple[int, int] | None = None
    winner: tuple[int, int] | None = None
    filled: int | None = None                         # row-major cells shown; None = all
    blocks: tuple[int, int] | None = None             # pool grid lines every (h, w) cells


def _lut(kind: str) -> np.ndarray:
    if kind == "diverging":
        return np.asarray(diverging_cmap().getLookupTable(nPts=256, alpha=False), np.uint8)
    ramp = np.arange(256, dtype=np.uint8)
    return np.stack([ramp, ramp, ramp], axis=1)


class GridView(QWidget):
    """Paint a 2-D array as cells with their values; overlays show what the step does."""

    viewChanged = Signal()  # the part of the grid shown, or whether it follows, changed

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("figure", True)  # File ▸ Export view, Ctrl+C
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(120, 120)
        # The grid paints its whole rectangle, so Qt need not paint the parents beneath it.
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.values = np.zeros((1, 1), np.float32)
        self.levels = (0.0, 255.0)
        self.kind = "grey"
        self.pad = (0, 0, 0, 0)
        self.overlay = Overlay()
        self.max_cell = MAX_CELL
        self.font_scale = 1.0
        self._cache: QPixmap | None = None
        self._cache_key: tuple[object, ...] | None = None
        # Parts of a followed grid: the one shown, the one before (a presenter stepping back
        # across the edge gets it without it being drawn again), the next (prepare_ahead).
        self._pages: OrderedDict[tuple[object, ...], QPixmap] = OrderedDict()
        self._version = 0
        self._version_of_pages = 0
        self._view = (0, 0)  # top-left grid cell shown while following
        self._last_view: tuple[object, ...] = ()
        self._texts: dict[str, tuple[QStaticText, float, float]] = {}
        self._text_key: tuple[int, str] = (0, "")
        presentation().changed.connect(self._on_presentation)

    def _on_presentation(self) -> None:
        self._version += 1
        self.updateGeometry()
        self.update()

    @property
    def min_cell(self) -> float:
        """Smaller cells than this and the grid follows the window instead (projection: larger)."""
        pres = presentation()
        return (PROJECTION_CELL if pres.projection else MIN_CELL) * pres.zoom

    @property
    def follow_cell(self) -> float:
        """Cell size while following."""
        pres = presentation()
        return (PROJECTION_CELL if pres.projection else FOLLOW_CELL) * pres.zoom

    @property
    def highlight_width(self) -> float:
        """Width of the window/winner outlines for cells of the current size."""
        return 2.0 * presentation().scale

    # --- inputs ---------------------------------------------------------------------------
    def show_array(self, values: np.ndarray, *, levels: tuple[float, float] | None = None,
                 kind: str = "grey", pad: tuple[int, int, int, int] = (0, 0, 0, 0)) -> None:
        """Show ``values``; ``pad`` (top, left, bottom, right) cells are padding zeros."""
        self.values = np.asarray(values, dtype=np.float32)
        if levels is None:
            finite = self.values[np.isfinite(self.values)]
            m = float(np.abs(finite).max()) if finite.size else 1.0
            levels = (-m, m) if kind == "diverging" else (0.0, max(m, 1e-9))
        if levels[1] <= levels[0]:
            levels = (levels[0] - 1.0, levels[0] + 1.0)
        self.levels, self.kind, self.pad = levels, kind, pad
        self._version += 1
        self.update()

    def set_overlay(self, overlay: Overlay) -> None:
        """Replace the highlights; repaint only the cells they leave and enter."""
        old, self.overlay = self.overlay, overlay
        if self._cache_key is None:
            self.update()
            return
        view_before = self._view
        s, r0, c0, nr, nc, x0, y0 = self.geometry_now()
        changed = self._changed_cells(old, overlay)
        if (r0, c0) != view_before or changed is None or s != self._cache_key[1]:
            self.update()  # the view moved or too much changed: repaint it all
            return
        top, left, bottom, right = changed
        margin = max(2.0, s / 10) * 2 + 2
        rect = QRectF(x0 + (left - c0) * s - margin, y0 + (top - r0) * s - margin,
                      (right - left) * s + 2 * margin, (bottom - top) * s + 2 * margin)
        self.update(rect.toAlignedRect())

    def _changed_cells(self, a: Overlay, b: Overlay) -> tuple[int, int, int, int] | None:
        """Bounding cells (top, left, bottom, right) that differ between two overlays."""
        if a.blocks != b.blocks:
            return None
        boxes: list[tuple[int, int, int, int]] = []
        for ov in (a, b):
            if ov.window is not None:
                boxes.append(ov.window)
            for cell in (ov.current, ov.winner):
                if cell is not None:
                    boxes.append((cell[0], cell[1], 1, 1))
        if a.filled != b.filled:
            if a.filled is None or b.filled is None:
                return None
            lo, hi = sorted((a.filled, b.filled))
            cols = self.shape[1]
            if hi - lo > cols:
                return None
            (r1, c1), (r2, c2) = divmod(lo, cols), divmod(hi, cols)
            boxes.append((r1, 0, r2 - r1 + 1, cols) if r1 != r2 else (r1, c1, 1, c2 - c1 + 1))
        if not boxes:
            return (0, 0, 0, 0)
        top = min(t for t, _, _, _ in boxes)
        left = min(lf for _, lf, _, _ in boxes)
        bottom = max(t + h for t, _, h, _ in boxes)
        right = max(lf + w for _, lf, _, w in boxes)
        return top, left, bottom, right

    # --- geometry ---------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, int]:
        """Rows and columns of the whole grid."""
        return int(self.values.shape[0]), int(self.values.shape[1])

    def _fit(self) -> float:
        rows, cols = self.shape
        return min(self.width() / cols, self.height() / rows)

    @property
    def following(self) -> bool:
        """Whether the grid is too big for readable cells, so only a part is shown."""
        return self._fit() < self.min_cell

    def geometry_now(self) -> tuple[float, int, int, int, int, float, float]:
        """(cell size, first row, first col, rows shown, cols shown, x offset, y offset)."""
        rows, cols = self.shape
        if not self.following:
            # Whole pixels per cell: crisp lines, and the cells can be blitted, not scaled.
            s = float(min(int(self._fit()), round(self.max_cell * presentation().scale)))
            r0 = c0 = 0
            nr, nc = rows, cols
        else:
            s = float(round(self.follow_cell))
            nr, nc = max(1, int(self.height() // s)), max(1, int(self.width() // s))
            nr, nc = min(nr, rows), min(nc, cols)
            r0, c0 = self._follow(nr, nc)
        x0 = (self.width() - nc * s) / 2
        y0 = (self.height() - nr * s) / 2
        return s, r0, c0, nr, nc, x0, y0

    def _follow(self, nr: int, nc: int) -> tuple[int, int]:
        ov = self.overlay
        focus = ov.window or ((*ov.current, 1, 1) if ov.current else None)
        self._view = self._view_for(focus, self._view, nr, nc)
        return self._view

    def _view_for(self, focus: tuple[int, int, int, int] | None, view: tuple[int, int],
                  nr: int, nc: int) -> tuple[int, int]:
        """Return the top-left cell shown for ``focus``, coming from ``view``."""
        rows, cols = self.shape
        r0, c0 = view
        if focus is not None:
            top, left, h, w = focus
            if not (r0 <= top and top + h <= r0 + nr):
                r0 = top + h // 2 - nr // 2
            if not (c0 <= left and left + w <= c0 + nc):
                # Jump so the window starts near the left: row-major steps then run a while.
                # Moving right, the next part is fixed by this one, not by the step that
                # happens to be shown first (playing fast shows every second or third), so
                # prepare_ahead knows which part to draw early.
                # A new row starts at column 0 whichever of its first steps is shown first.
                margin = max(1, nc // 6)
                ahead = c0 + nc - w + 1 - margin
                if c0 < ahead <= left and left + w <= ahead + nc:
                    c0 = ahead
                elif left + w <= nc:
                    c0 = 0
                else:
                    c0 = left - margin
        r0 = max(0, min(r0, rows - nr))
        c0 = max(0, min(c0, cols - nc))
        return r0, c0

    def prepare_ahead(self, focuses: list[tuple[int, int, int, int]]) -> bool:
        """Draw the part of a followed grid that the coming ``focuses`` will move to.

        Playing a large image, the input and the output move to a new part every few steps,
        sometimes in the same frame: two parts drawn at once made the slowest frames. Drawn a
        few steps early (one grid per step, see ``pages.prepare_ahead``), the move itself
        only shows a kept part. Return whether anything was drawn.
        """
        shown = self._cache_key
        if shown is None or not focuses or not self.following:
            return False
        s, r0, c0, nr, nc, _, _ = self.geometry_now()
        if self._version != self._version_of_pages:
            return False  # new values not painted yet

        def key_of(view: tuple[int, int]) -> tuple[object, ...]:
            return (self._version, s, *view, nr, nc, self.devicePixelRatioF(), self.font_scale)

        view = (r0, c0)
        if key_of(view) not in self._pages:
            return False  # a jump: the paint draws this part; another now would make two
        route = {shown, key_of(view)}  # on screen, and about to be
        for focus in focuses:
            coming = self._view_for(focus, view, nr, nc)
            if coming == view:
                continue
            view = coming
            key = key_of(view)
            if key not in self._pages:
                if len(route) >= PAGES_KEPT:
                    return False  # as far ahead as the parts kept allow
                self._pages[key] = self._render_cells(s, *view, nr, nc)
                self._keep(route | {key})
                return True
            route.add(key)  # kept already (the next part, or one shown for a frame only)
        return False

    def _keep(self, protected: set[tuple[object, ...]]) -> None:
        """Forget the parts used longest ago beyond PAGES_KEPT, never a ``protected`` one."""
        while len(self._pages) > PAGES_KEPT:
            oldest = next((k for k in self._pages if k not in protected), None)
            if oldest is None:
                return
            del self._pages[oldest]

    def cell_font(self, s: float) -> QFont:
        """Return the font for numbers in cells of side ``s`` pixels."""
        font = QFont(self.font())
        top = round(40 * presentation().scale)
        font.setPixelSize(max(7, min(top, round(s * 0.34 * self.font_scale))))
        return font

    def _entries(self, font: QFont, texts: list[str]) -> list[tuple[QStaticText, float, float]]:
        """Return ``texts`` prepared in ``font``, from a cache kept per font size."""
        key = (font.pixelSize(), font.family())
        if key != self._text_key or len(self._texts) > TEXT_CACHE_LIMIT:
            self._texts, self._text_key = {}, key
        cache = self._texts
        out = []
        for text in texts:
            entry = cache.get(text)
            if entry is None:
                st = QStaticText(text)
                st.setTextFormat(Qt.TextFormat.PlainText)
                st.prepare(font=font)
                size = st.size()
                entry = cache[text] = (st, size.width() / 2, size.height() / 2)
            out.append(entry)
        return out

    def _fitted_font(self, s: float, texts: list[str]) -> QFont | None:
        """Shrink the cell font until the widest number fits; None if it gets unreadable."""
        font = self.cell_font(s)
        if not texts:
            return font
        widest = 2 * max(e[1] for e in self._entries(font, sorted(set(texts))))
        room = s - 4
        if widest > room:
            px = int(font.pixelSize() * room / widest)
            if px < MIN_FONT_PX:
                return None
            font.setPixelSize(px)
        return font

    def numbers_shown(self) -> bool:
        """Whether the cells are big enough for their numbers at the current size."""
        s, r0, c0, nr, nc, _, _ = self.geometry_now()
        block = self.values[r0:r0 + nr, c0:c0 + nc]
        shown = block[~self._pad_mask(r0, c0, nr, nc) & np.isfinite(block)]
        return self._fitted_font(s, fmt_cells(shown)) is not None

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        """Prefer room for the whole grid at a comfortable size."""
        rows, cols = self.shape
        side = max(MIN_CELL, min(48, 600 // max(rows, cols, 1)))
        return QSize(cols * side, rows * side)

    # --- painting ---------------------------------------------------------------------------
    def _render_cells(self, s: float, r0: int, c0: int, nr: int, nc: int) -> QPixmap:
        dpr = self.devicePixelRatioF()
        side = int(s)
        block = self.values[r0:r0 + nr, c0:c0 + nc]
        lo, hi = self.levels
        finite = np.isfinite(block)
        idx = np.clip((np.where(finite, block, lo) - lo) * (255.0 / (hi - lo)), 0, 255)
        rgb = np.ascontiguousarray(_lut(self.kind)[idx.astype(np.uint8)])
        pad_mask = self._pad_mask(r0, c0, nr, nc) | ~finite
        rgb[pad_mask] = (255, 255, 255)
        import cv2

        big = cv2.resize(rgb, (nc * side, nr * side), interpolation=cv2.INTER_NEAREST)
        image = QImage(big.data, nc * side, nr * side, 3 * nc * side,
                       QImage.Format.Format_RGB888)
        pm = QPixmap(max(1, round(nc * s * dpr)), max(1, round(nr * s * dpr)))
        pm.setDevicePixelRatio(dpr)
        p = QPainter(pm)
        p.drawImage(QPointF(0, 0), image)
        # One batched call with an opaque pen: translucent lines cost ~20× more to raster.
        p.setPen(QPen(GRID_COLOUR, 1.0))
        p.drawLines([QLineF(0, i * s, nc * s, i * s) for i in range(nr + 1)]
                    + [QLineF(j * s, 0, j * s, nr * s) for j in range(nc + 1)])
        pad_cells = np.argwhere(pad_mask)
        if len(pad_cells):
            p.setPen(QPen(PAD_COLOUR, 1.0, Qt.PenStyle.DashLine))
            p.drawRects([QRectF(j * s + 2, i * s + 2, s - 4, s - 4) for i, j in pad_cells])
        values = np.where(pad_mask & finite, np.float32(0), block)
        texts = fmt_cells(values)
        font = self._fitted_font(s, [t for t, ok in zip(texts, finite.ravel().tolist(),
                                                         strict=True) if ok])
        if font is not None:
            self._draw_numbers(p, font, s, texts, rgb, pad_mask, finite)
        p.end()
        return pm

    def _draw_numbers(self, p: QPainter, font: QFont, s: float, texts: list[str],
                      rgb: np.ndarray, pad_mask: np.ndarray, finite: np.ndarray) -> None:
        p.setFont(font)
        light = luminance(rgb) > 140
        colour_of = {0: QColor(Qt.GlobalColor.white), 1: QColor(Qt.GlobalColor.black),
                     2: PAD_COLOUR}
        shade = np.where(pad_mask, 2, light.astype(np.int8))
        shade[~finite] = -1  # NaN: the pool's padding stays empty
        nc = shade.shape[1]
        for colour in (0, 1, 2):
            cells = np.argwhere(shade == colour).tolist()
            if not cells:
                continue
            p.setPen(colour_of[colour])
            entries = self._entries(font, [texts[i * nc + j] for i, j in cells])
            for (i, j), (st, hw, hh) in zip(cells, entries, strict=True):
                p.drawStaticText(QPointF(j * s + s / 2 - hw, i * s + s / 2 - hh), st)

    def _pad_mask(self, r0: int, c0: int, nr: int, nc: int) -> np.ndarray:
        rows, cols = self.shape
        top, left, bottom, right = self.pad
        rr = np.arange(r0, r0 + nr)[:, None]
        cc = np.arange(c0, c0 + nc)[None, :]
        return (rr < top) | (rr >= rows - bottom) | (cc < left) | (cc >= cols - right)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        """Draw the cached cells, blank the unwritten ones, then the highlights."""
        s, r0, c0, nr, nc, x0, y0 = self.geometry_now()
        key = (self._version, s, r0, c0, nr, nc, self.devicePixelRatioF(), self.font_scale)
        if self._cache is None or key != self._cache_key:
            if key[0] != self._version_of_pages:  # new values or look: old parts are stale
                self._pages.clear()
                self._version_of_pages = key[0]
            page = self._pages.pop(key, None)
            self._cache = page if page is not None else self._render_cells(s, r0, c0, nr, nc)
            self._cache_key = key
            self._pages[key] = self._cache
            self._keep({key})
        view = (self.following, r0, c0, nr, nc)
        if view != self._last_view:
            self._last_view = view
            self.viewChanged.emit()
        p = QPainter(self)
        p.fillRect(self.rect(), self.palette().window())
        p.drawPixmap(QPointF(x0, y0), self._cache)
        ov = self.overlay

        def rect(r: int, c: int, h: int = 1, w: int = 1) -> QRectF:
            return QRectF(x0 + (c - c0) * s, y0 + (r - r0) * s, w * s, h * s)

        if ov.filled is not None:
            self._blank_unfilled(p, ov.filled, s, r0, c0, nr, nc, rect)
        if ov.blocks is not None:
            self._draw_blocks(p, ov.blocks, r0, c0, nr, nc, rect)
        width = max(self.highlight_width, s / 10)
        if ov.taps:
            # Outline each cell the kernel reads: dilation's skipped cells stay unmarked.
            p.setPen(QPen(WINDOW_COLOUR, max(1.5, width / 2)))
            p.setBrush(Qt.BrushStyle.NoBrush)
            inset = width
            for r, c in ov.taps:
                p.drawRect(rect(r, c).adjusted(inset, inset, -inset, -inset))
        if ov.window is not None:
            p.setPen(QPen(WINDOW_COLOUR, width * 1.5))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(rect(*ov.window))
        if ov.current is not None:
            p.setPen(QPen(WINDOW_COLOUR, width * 1.5))
            p.drawRect(rect(*ov.current))
        if ov.winner is not None:
            p.setPen(QPen(WINNER_COLOUR, width * 1.8))
            p.drawRect(rect(*ov.winner).adjusted(width, width, -width, -width))
        p.end()

    def _blank_unfilled(self, p: QPainter, filled: int, s: float, r0: int, c0: int, nr: int,
                        nc: int, rect: CellRect) -> None:
        _, cols = self.shape
        fr, fc = divmod(filled, cols)
        # The rest of the current row, then every row below it.
        if r0 <= fr < r0 + nr and fc < c0 + nc:
            start = max(fc, c0)
            p.fillRect(rect(fr, start, 1, c0 + nc - start), EMPTY_COLOUR)
        below = max(fr + 1, r0)
        if below < r0 + nr:
            p.fillRect(rect(below, c0, r0 + nr - below, nc), EMPTY_COLOUR)

    def _draw_blocks(self, p: QPainter, blocks: tuple[int, int], r0: int, c0: int, nr: int,
                     nc: int, rect: CellRect) -> None:
        bh, bw = blocks
        p.setPen(QPen(QColor(0, 0, 0, 150), 2.0))
        for r in range(r0 - r0 % bh, r0 + nr + 1, bh):
            if r >= r0:
                top_left = rect(r, c0, 0, nc)
                p.drawLine(top_left.topLeft(), top_left.topRight())
        for c in range(c0 - c0 % bw, c0 + nc + 1, bw):
            if c >= c0:
                left = rect(r0, c, nr, 0)
                p.drawLine(left.topLeft(), left.bottomLeft())

    def visible_region(self) -> QRect:
        """Return the grid cells currently shown, as a QRect(col, row, cols, rows)."""
        _, r0, c0, nr, nc, _, _ = self.geometry_now()
        return QRect(c0, r0, nc, nr)
