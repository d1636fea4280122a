"""What a step highlights on a grid: the window, its taps, the current and winning cells.

Plain functions of the grid's part shown (first row and column, rows and columns): which cells
two overlays differ in (the grid repaints only those), where a followed grid moves for a
window, and the painting of the highlights over the cached cells.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen

from .cells import EMPTY_COLOUR, WINDOW_COLOUR, WINNER_COLOUR

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


def changed_cells(a: Overlay, b: Overlay, cols: int) -> tuple[int, int, int, int] | None:
    """Return the bounding cells (top, left, bottom, right) that differ between two overlays."""
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


def view_for(focus: tuple[int, int, int, int] | None, view: tuple[int, int],
             shown: tuple[int, int], shape: tuple[int, int]) -> tuple[int, int]:
    """Return the top-left cell shown for ``focus``, coming from ``view``.

    ``shown`` is the rows and columns shown of a grid of ``shape``.
    """
    nr, nc = shown
    rows, cols = shape
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



def paint_overlay(p: QPainter, ov: Overlay, rect: CellRect, s: float,
                  part: tuple[int, int, int, int], cols: int, highlight: float) -> None:
    """Blank the unwritten cells, draw the pool blocks, the taps, window, current, winner."""
    if ov.filled is not None:
        _blank_unfilled(p, ov.filled, part, cols, rect)
    if ov.blocks is not None:
        _draw_blocks(p, ov.blocks, part, rect)
    width = max(highlight, s / 10)
    if ov.taps:
        # Outline each cell the kernel reads: dilation's skipped cells stay unmarked.
        pen = max(1.5, width / 2)
        p.setPen(QPen(WINDOW_COLOUR, pen))
        p.setBrush(Qt.BrushStyle.NoBrush)
        # Close to the cell's edge: a four-character number ("−858") fills its cell, and an
        # outline further in crossed it.
        inset = pen / 2 + 1
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
        pen = width * 1.8
        p.setPen(QPen(WINNER_COLOUR, pen))
        inset = pen / 2 + 1  # at the edge: further in it cut a four-digit winner ("1260")
        p.drawRect(rect(*ov.winner).adjusted(inset, inset, -inset, -inset))


def _blank_unfilled(p: QPainter, filled: int, part: tuple[int, int, int, int], cols: int,
                    rect: CellRect) -> None:
    r0, c0, nr, nc = part
    fr, fc = divmod(filled, cols)
    # The rest of the current row, then every row below it.
    if r0 <= fr < r0 + nr and fc < c0 + nc:
        start = max(fc, c0)
        p.fillRect(rect(fr, start, 1, c0 + nc - start), EMPTY_COLOUR)
    below = max(fr + 1, r0)
    if below < r0 + nr:
        p.fillRect(rect(below, c0, r0 + nr - below, nc), EMPTY_COLOUR)


def _draw_blocks(p: QPainter, blocks: tuple[int, int], part: tuple[int, int, int, int],
                 rect: CellRect) -> None:
    r0, c0, nr, nc = part
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



def mark_indices(p: QPainter, box: QRectF, widget: QRectF, origin: tuple[float, float],
                 bands: tuple[float, float], bar: float) -> None:
    """Bar the row and column numbers the window ``box`` covers, to read them at a glance.

    ``origin`` is where the cells start on the ``widget``, right of and below the bands.
    """
    x0, y0 = origin
    bl, bt = bands
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(WINDOW_COLOUR)
    if bl:
        span = box.intersected(QRectF(0, y0, widget.width(), widget.height()))
        p.drawRect(QRectF(x0 - bar - 1, span.top(), bar, span.height()))
    if bt:
        span = box.intersected(QRectF(x0, 0, widget.width(), widget.height()))
        p.drawRect(QRectF(span.left(), y0 - bar - 1, span.width(), bar))
