"""A grid of numbered cells: the animator's input, kernel, products and output views.

Cells shrink with the room they get, down to the smallest that shows the grid's widest number
at a legible size; a larger grid shows the part around the window (``following``), with its
row and column numbers beside it so the part is never mistaken for the whole. The kernel and
products grids are ``whole``: they shrink further instead, and never show a part.

The cells and their numbers are painted once into a cached pixmap; each animation frame only
draws that pixmap and the highlights, so 120 steps a second leave the event loop free. A
followed grid's next part is drawn ahead, in bands of rows over several steps (``parts``).
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QFont, QFontInfo, QPainter, QPaintEvent, QPixmap
from PySide6.QtWidgets import QSizePolicy, QWidget

from ..theme import presentation
from .cells import (
    LEGIBLE,
    MIN_FONT_PX,
    NUMBER_MARGIN,
    NumberText,
    number_font,
    paint_cells,
    paint_indices,
    widest_template,
)
from .overlays import Overlay, changed_cells, mark_indices, paint_overlay, view_for
from .parts import PAGES_KEPT, Draft, Parts
from .text import fmt_cells

__all__ = ["GridView", "Overlay"]

MAX_CELL = 96
FOLLOW_CELL = 48   # a followed grid's cells at normal size (projection: × its scale)
MIN_SHOWN = 5      # a followed grid keeps at least this many cells a side where it can
HINT_TEMPLATE = "888"  # sizes are hinted for three-digit numbers, whatever the values now


class GridView(QWidget):
    """Paint a 2-D array as cells with their values; overlays show what the step does.

    ``whole``: always show every cell (the kernel and the products). ``indices``: row and
    column numbers along the left and top edges.
    """

    viewChanged = Signal()  # the part of the grid shown, or whether it follows, changed

    def __init__(self, parent: QWidget | None = None, *, whole: bool = False,
                 indices: bool = False) -> None:
        super().__init__(parent)
        self.setProperty("figure", True)  # File ▸ Export view, Ctrl+C
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        # The grid paints its whole rectangle, so Qt need not paint the parents beneath it.
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.whole = whole
        self.indices = indices
        self.values = np.zeros((1, 1), np.float32)
        self.levels = (0.0, 255.0)
        self.kind = "grey"
        self.pad = (0, 0, 0, 0)
        self.overlay = Overlay()
        self.max_cell = MAX_CELL
        # Hints are for numbers as wide as this (None: the grid's own widest), so that values
        # changing every step (the products) do not lay the page out again every step.
        self.hint_template: str | None = HINT_TEMPLATE
        self._template = "0"
        self._numbers = NumberText()
        self._index_numbers = NumberText()  # the row and column numbers: another font
        self._needs: dict[tuple[int, str], float] = {}
        # Font sizes and band sizes, asked several times a frame; cleared with the font.
        self._sizes: dict[object, object] = {}
        self._cache: QPixmap | None = None
        self._cache_key: tuple[object, ...] | None = None
        # Parts of a followed grid: the one shown, the one before (a presenter stepping back
        # across the edge gets it without it being drawn again), the next (prepare_ahead).
        self._parts = Parts()
        self._version = 0
        self._view = (0, 0)  # top-left grid cell shown while following
        self._last_view: tuple[object, ...] = ()
        self._hint: tuple[object, ...] = ()
        presentation().changed.connect(self._on_presentation)

    def _on_presentation(self) -> None:
        self._restyle()

    def _restyle(self) -> None:
        self._needs.clear()
        self._sizes.clear()
        self._version += 1
        self.updateGeometry()
        self.update()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        """Resize the cells and numbers with the font (projection mode, zoom)."""
        if event.type() == QEvent.Type.FontChange:
            self._restyle()
        super().changeEvent(event)

    # --- sizes --------------------------------------------------------------------------------
    @property
    def target_px(self) -> int:
        """The body text's size: every grid's numbers, where the cells allow."""
        px = self._sizes.get("target")
        if px is None:
            px = self._sizes["target"] = max(MIN_FONT_PX, QFontInfo(self.font()).pixelSize())
        assert isinstance(px, int)
        return px

    @property
    def legible_px(self) -> int:
        """The smallest numbers a grid shows whole before it follows the window instead."""
        return max(MIN_FONT_PX, round(self.target_px * LEGIBLE))

    def _need(self, px: int, template: str | None = None) -> float:
        t = self._template if template is None else template
        key = (px, t)
        need = self._needs.get(key)
        if need is None:
            need = self._needs[key] = self._numbers.need(self.font(), px, t)
        return need

    @property
    def min_cell(self) -> float:
        """Smaller cells than this and the grid follows the window instead."""
        return self._need(self.legible_px)

    @property
    def follow_cell(self) -> float:
        """Cell size while following: roomy cells, wider where the numbers need it."""
        return max(self._need(self.target_px), FOLLOW_CELL * presentation().scale)

    @property
    def highlight_width(self) -> float:
        """Width of the window/winner outlines for cells of the current size."""
        return 2.0 * presentation().scale

    def _index_font(self) -> QFont:
        return number_font(self.font(), self.legible_px)

    def bands(self) -> tuple[float, float]:
        """Width of the row numbers' band and height of the column numbers' band."""
        if not self.indices:
            return 0.0, 0.0
        rows, _ = self.shape
        key = ("bands", rows)
        bands = self._sizes.get(key)
        if bands is None:
            px = self.legible_px
            # Whole pixels: the cells then lie on whole pixels, and drawing the cached cells
            # is a copy, not a resampling (several times slower).
            bands = self._sizes[key] = (
                float(math.ceil(self._numbers.width(self._index_font(), str(max(rows - 1, 0)))
                                + 0.9 * px)),
                float(math.ceil(1.7 * px)))
        assert isinstance(bands, tuple)
        return bands

    # --- inputs ---------------------------------------------------------------------------
    def show_array(self, values: np.ndarray, *, levels: tuple[float, float] | None = None,
                   kind: str = "grey", pad: tuple[int, int, int, int] = (0, 0, 0, 0),
                   template: str | None = None) -> None:
        """Show ``values``; ``pad`` (top, left, bottom, right) cells are padding zeros.

        ``template`` is :func:`.cells.widest_template` of ``values`` where the caller kept it
        (a pass over every value of a large array).
        """
        self.values = np.asarray(values, dtype=np.float32)
        if levels is None:
            finite = self.values[np.isfinite(self.values)]
            m = float(np.abs(finite).max()) if finite.size else 1.0
            levels = (-m, m) if kind == "diverging" else (0.0, max(m, 1e-9))
        if levels[1] <= levels[0]:
            levels = (levels[0] - 1.0, levels[0] + 1.0)
        self.levels, self.kind, self.pad = levels, kind, pad
        if template is None:
            template = widest_template(self.values)
        hint = (self.shape, template if self.hint_template is None else self.hint_template)
        self._template = template
        self._version += 1
        if hint != self._hint:
            self._hint = hint
            self.updateGeometry()
        self.update()

    def set_overlay(self, overlay: Overlay) -> None:
        """Replace the highlights; repaint only the cells they leave and enter."""
        old, self.overlay = self.overlay, overlay
        if self._cache_key is None:
            self.update()
            return
        view_before = self._view
        s, r0, c0, nr, nc, x0, y0 = self.geometry_now()
        changed = changed_cells(old, overlay, self.shape[1])
        if (r0, c0) != view_before or changed is None or s != self._cache_key[1]:
            self.update()  # the view moved or too much changed: repaint it all
            return
        top, left, bottom, right = changed
        margin = max(2.0, s / 10) * 2 + 2
        rect = QRectF(x0 + (left - c0) * s - margin, y0 + (top - r0) * s - margin,
                      (right - left) * s + 2 * margin, (bottom - top) * s + 2 * margin)
        self.update(rect.toAlignedRect())
        if self.indices:  # the bars beside the row and column numbers move with the window
            bl, bt = self.bands()
            self.update(QRectF(x0 - bl, rect.top(), bl, rect.height()).toAlignedRect())
            self.update(QRectF(rect.left(), y0 - bt, rect.width(), bt).toAlignedRect())

    # --- geometry ---------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, int]:
        """Rows and columns of the whole grid."""
        return int(self.values.shape[0]), int(self.values.shape[1])

    def _room(self) -> tuple[float, float, float, float]:
        """(band width, band height, width and height left for the cells)."""
        bl, bt = self.bands()
        return bl, bt, max(1.0, self.width() - bl), max(1.0, self.height() - bt)

    def _fit(self) -> float:
        rows, cols = self.shape
        _, _, aw, ah = self._room()
        return min(aw / cols, ah / rows)

    @property
    def following(self) -> bool:
        """Whether the grid is too big for readable cells, so only a part is shown."""
        return not self.whole and int(self._fit()) < math.ceil(self.min_cell)

    def geometry_now(self) -> tuple[float, int, int, int, int, float, float]:
        """(cell size, first row, first col, rows shown, cols shown, x offset, y offset)."""
        rows, cols = self.shape
        bl, bt, aw, ah = self._room()
        if not self.following:
            # Whole pixels per cell: crisp lines, and the cells can be blitted, not scaled.
            s = float(max(1, min(int(self._fit()), round(self.max_cell * presentation().scale))))
            r0 = c0 = 0
            nr, nc = rows, cols
        else:
            # Roomy cells (the window's few a second are drawn and read comfortably), unless
            # that leaves too few cells around the window; never below the legible size.
            s = min(self.follow_cell, aw / min(cols, MIN_SHOWN), ah / min(rows, MIN_SHOWN))
            s = float(max(round(s), math.ceil(self.min_cell)))
            nr, nc = max(1, int(ah // s)), max(1, int(aw // s))
            nr, nc = min(nr, rows), min(nc, cols)
            r0, c0 = self._follow(nr, nc)
        x0 = float(bl + (aw - nc * s) // 2)
        y0 = float(bt + (ah - nr * s) // 2)
        return s, r0, c0, nr, nc, x0, y0

    def _follow(self, nr: int, nc: int) -> tuple[int, int]:
        ov = self.overlay
        focus = ov.window or ((*ov.current, 1, 1) if ov.current else None)
        self._view = view_for(focus, self._view, (nr, nc), self.shape)
        return self._view

    def _next_part(self, focuses: list[tuple[int, int, int, int]]
                   ) -> tuple[int, tuple[int, int], set[tuple[object, ...]]] | None:
        """(which focus, view, parts to keep) of the first part not drawn yet, or None."""
        shown = self._cache_key
        if shown is None or not focuses or not self.following:
            return None
        if self._version != self._parts.version:
            return None  # new values not painted yet
        s, r0, c0, nr, nc, _, _ = self.geometry_now()
        view = (r0, c0)
        if self._page_key(s, *view, nr, nc) not in self._parts:
            return None  # a jump: the paint draws this part; another now would make two
        route = {shown, self._page_key(s, *view, nr, nc)}  # on screen, and about to be
        for i, focus in enumerate(focuses):
            coming = view_for(focus, view, (nr, nc), self.shape)
            if coming == view:
                continue
            view = coming
            key = self._page_key(s, *view, nr, nc)
            if key not in self._parts:
                if len(route) >= PAGES_KEPT:
                    return None  # as far ahead as the parts kept allow
                return i, view, route
            route.add(key)  # kept already (the next part, or one shown for a frame only)
        return None

    def prepare_ahead(self, focuses: list[tuple[int, int, int, int]]) -> bool:
        """Draw a band of the part of a followed grid that the coming ``focuses`` move to.

        Playing a large image, the input and the output move to a new part every few steps,
        sometimes in the same frame: two parts drawn at once made the slowest frames, and one
        whole part in a frame still made a frame twice as slow as the others. Drawn ahead of
        time, a band of rows a step (see :meth:`.parts.Parts.draw_ahead`), the move itself
        only shows a kept part. Return whether anything was drawn.
        """
        found = self._next_part(focuses)
        if found is None:
            return False
        due, view, route = found
        s, _, _, nr, nc, _, _ = self.geometry_now()
        self._parts.draw_ahead(self._page_key(s, *view, nr, nc), due, nr,
                               lambda: self._begin_part(s, *view, nr, nc), self._paint_rows,
                               route)
        return True

    # --- numbers ------------------------------------------------------------------------------
    def cell_font(self, s: float) -> QFont:
        """Return the font for the numbers of this grid in cells of side ``s`` pixels."""
        # One size on every grid (a pooled grid's numbers as large as the conv input's), smaller
        # only where the cell is too small for the widest number.
        px = self._numbers.px_for(self.font(), s, self._template, self.target_px)
        return number_font(self.font(), max(1, px))

    def _fitted_font(self, s: float, texts: list[str]) -> QFont | None:
        """Return the cell font, smaller if a number of ``texts`` is wider; None if unreadable."""
        font = self.cell_font(s)
        if texts:
            widest = max(self._numbers.width(font, t) for t in set(texts))
            px = font.pixelSize()
            while px >= MIN_FONT_PX and widest + NUMBER_MARGIN * px > s:
                px -= 1
                font = number_font(font, px)
                widest = max(self._numbers.width(font, t) for t in set(texts))
        return font if font.pixelSize() >= MIN_FONT_PX else None

    def numbers_shown(self) -> bool:
        """Whether the cells are big enough for their numbers at the current size."""
        s, r0, c0, nr, nc, _, _ = self.geometry_now()
        block = self.values[r0:r0 + nr, c0:c0 + nc]
        shown = block[~self._pad_mask(r0, c0, nr, nc) & np.isfinite(block)]
        return self._fitted_font(s, fmt_cells(shown)) is not None

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        """Room for the whole grid at legible cells (a whole grid), or a few cells of it."""
        rows, cols = self.shape
        bl, bt = self.bands()
        side = self._need(self.legible_px, self.hint_template or self._template)
        if not self.whole:
            rows, cols = min(rows, 3), min(cols, 3)
        return QSize(round(bl + cols * side), round(bt + rows * side))

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        """Prefer room for the whole grid with numbers at the body text's size."""
        rows, cols = self.shape
        bl, bt = self.bands()
        side = self._need(self.target_px, self.hint_template or self._template)
        return QSize(round(bl + min(cols * side, 600)), round(bt + min(rows * side, 600)))

    # --- painting ---------------------------------------------------------------------------
    def _render_cells(self, s: float, r0: int, c0: int, nr: int, nc: int) -> QPixmap:
        """Paint the part (r0, c0, nr, nc) with its row and column numbers."""
        draft = self._begin_part(s, r0, c0, nr, nc)
        self._paint_rows(draft, nr)
        return draft.pixmap

    def _begin_part(self, s: float, r0: int, c0: int, nr: int, nc: int) -> Draft:
        """Start the pixmap of a part: its numbers' texts and font, the row and column numbers.

        The cells follow in bands of rows (:meth:`_paint_rows`), so a part drawn ahead of time
        can be spread over several frames.
        """
        dpr = self.devicePixelRatioF()
        bl, bt = self.bands()
        pm = QPixmap(max(1, round((bl + nc * s) * dpr)), max(1, round((bt + nr * s) * dpr)))
        pm.setDevicePixelRatio(dpr)
        block = self.values[r0:r0 + nr, c0:c0 + nc]
        pad_mask = self._pad_mask(r0, c0, nr, nc)
        finite = np.isfinite(block)
        # Padding shows as zeros; NaN (a pool's padding) stays empty.
        texts = fmt_cells(np.where(pad_mask & finite, np.float32(0), block))
        font = self._fitted_font(s, [t for t, ok in zip(texts, finite.ravel().tolist(),
                                                        strict=True) if ok])
        if self.indices:
            p = QPainter(pm)
            p.fillRect(QRectF(0, 0, bl + nc * s, bt), self.palette().window())
            p.fillRect(QRectF(0, bt, bl, nr * s), self.palette().window())
            paint_indices(p, self._index_font(), self.palette().windowText().color(), s,
                          (r0, c0, nr, nc), (bl, bt), self._index_numbers)
            p.end()
        return Draft(self._page_key(s, r0, c0, nr, nc), pm, s, block, pad_mask, texts, font)

    def _paint_rows(self, draft: Draft, count: int) -> None:
        """Paint the next ``count`` rows of cells of ``draft`` (fewer at its end)."""
        nr, nc = draft.block.shape
        a, b = draft.rows_done, min(nr, draft.rows_done + count)
        if b <= a:
            return
        bl, bt = self.bands()
        p = QPainter(draft.pixmap)
        p.translate(bl, bt + a * draft.side)
        paint_cells(p, draft.block[a:b], self.levels, self.kind, draft.pad_mask[a:b],
                    draft.side, draft.font, draft.texts[a * nc:b * nc], self._numbers)
        p.end()
        draft.rows_done = b

    def _pad_mask(self, r0: int, c0: int, nr: int, nc: int) -> np.ndarray:
        rows, cols = self.shape
        top, left, bottom, right = self.pad
        rr = np.arange(r0, r0 + nr)[:, None]
        cc = np.arange(c0, c0 + nc)[None, :]
        return (rr < top) | (rr >= rows - bottom) | (cc < left) | (cc >= cols - right)

    def _page_key(self, s: float, r0: int, c0: int, nr: int, nc: int) -> tuple[object, ...]:
        return (self._version, s, r0, c0, nr, nc, self.devicePixelRatioF())

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        """Draw the cached cells, blank the unwritten ones, then the highlights."""
        s, r0, c0, nr, nc, x0, y0 = self.geometry_now()
        key = self._page_key(s, r0, c0, nr, nc)
        if self._cache is None or key != self._cache_key:
            if key[0] != self._parts.version:  # new values or look: old parts are stale
                self._parts.forget(self._version)
            page = self._parts.take(key, lambda d: self._paint_rows(d, d.block.shape[0]))
            self._cache = page if page is not None else self._render_cells(s, r0, c0, nr, nc)
            self._cache_key = key
            self._parts.put(key, self._cache, {key})
        view = (self.following, r0, c0, nr, nc)
        if view != self._last_view:
            self._last_view = view
            self.viewChanged.emit()
        bl, bt = self.bands()
        p = QPainter(self)
        p.fillRect(self.rect(), self.palette().window())
        p.drawPixmap(QPointF(x0 - bl, y0 - bt), self._cache)
        ov = self.overlay

        def rect(r: int, c: int, h: int = 1, w: int = 1) -> QRectF:
            return QRectF(x0 + (c - c0) * s, y0 + (r - r0) * s, w * s, h * s)

        paint_overlay(p, ov, rect, s, (r0, c0, nr, nc), self.shape[1], self.highlight_width)
        focus = ov.window or ((*ov.current, 1, 1) if ov.current is not None else None)
        if self.indices and focus is not None:
            mark_indices(p, rect(*focus), QRectF(self.rect()), (x0, y0), (bl, bt),
                         max(3.0, 0.25 * self.legible_px))
        p.end()

    def visible_region(self) -> QRect:
        """Return the grid cells currently shown, as a QRect(col, row, cols, rows)."""
        _, r0, c0, nr, nc, _, _ = self.geometry_now()
        return QRect(c0, r0, nc, nr)
