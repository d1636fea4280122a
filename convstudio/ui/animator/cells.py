"""Painting a part of a grid: coloured cells, their numbers, and the row and column numbers.

The sizes follow one rule for every animator grid: numbers are drawn at the body text's size
(:func:`number_px`, so a pool grid's numbers are as large as a conv grid's) unless the cell is
too small for the widest number, and a cell is never given a number wider than itself.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QPen, QStaticText

from ...core import luminance
from ..theme import diverging_cmap
from .text import MINUS

MIN_FONT_PX = 8          # smaller numbers are not drawn at all (the colours still show)
LEGIBLE = 0.7            # the smallest number a grid shows whole, as a share of the body text
NUMBER_HEIGHT = 1.45     # a cell is at least this many times its numbers' pixel size
NUMBER_MARGIN = 0.5      # and as wide as its widest number plus this many times that size
TEXT_CACHE_LIMIT = 20000
WIDTH_CACHE_LIMIT = 2000   # a page's numbers are measured once; a few pages' worth is plenty
WINDOW_COLOUR = QColor("#E69F00")   # Okabe–Ito orange: the sliding window, the current cell
WINNER_COLOUR = QColor("#009E73")   # Okabe–Ito bluish green: the pool winner
PAD_COLOUR = QColor("#8a8a8a")
EMPTY_COLOUR = QColor("#f4f4f4")
GRID_COLOUR = QColor("#b4b4b4")


@functools.cache
def lut(kind: str) -> np.ndarray:
    """Return the 256 colours of ``kind`` ("diverging" or grey), read-only (it is shared)."""
    if kind == "diverging":
        out = np.asarray(diverging_cmap().getLookupTable(nPts=256, alpha=False), np.uint8)
    else:
        ramp = np.arange(256, dtype=np.uint8)
        out = np.stack([ramp, ramp, ramp], axis=1)
    out.setflags(write=False)
    return out


@functools.cache
def _lut32(kind: str) -> np.ndarray:
    """Return the 256 colours of ``kind`` as opaque 0xAARRGGBB words (QImage.Format_RGB32)."""
    c = lut(kind).astype(np.uint32)
    out = np.uint32(0xFF000000) | (c[:, 0] << 16) | (c[:, 1] << 8) | c[:, 2]
    out.setflags(write=False)
    return out


def widest_template(values: np.ndarray) -> str:
    """Return a text as wide as the widest number :func:`fmt_cells` writes for ``values``.

    Digits are equally wide in the fonts the app uses, so eights stand for any digits; the
    grid sizes its cells from this without formatting every value of a 512² image.
    """
    v = values[np.isfinite(values)].astype(np.float64)
    if not v.size:
        return "0"
    a = np.abs(v)
    whole = np.abs(v - np.rint(v)) <= 1e-6 * np.maximum(1.0, a)
    texts = ["8" * len(str(int(round(float(a.max())))))]
    part = a[~whole]
    if part.size:
        if (part < 10).any():
            texts.append("8.88")
        if ((part >= 10) & (part < 100)).any():
            texts.append("88.8")
    negative = bool(((v < 0) & ~whole).any() or (np.rint(v) < 0).any())
    return (MINUS if negative else "") + max(texts, key=len)


def number_font(base: QFont, px: int) -> QFont:
    """Return ``base`` at ``px`` pixels."""
    font = QFont(base)
    font.setPixelSize(px)
    return font


class NumberText:
    """Measures and prepared texts of a grid's numbers, kept per font."""

    def __init__(self) -> None:
        self._texts: dict[str, tuple[QStaticText, float, float]] = {}
        self._text_key = ""
        self._widths: dict[tuple[int, str, str], float] = {}

    def width(self, font: QFont, text: str) -> float:
        """Return the width of ``text`` in ``font``."""
        key = (font.pixelSize(), font.family(), text)
        w = self._widths.get(key)
        if w is None:
            if len(self._widths) > WIDTH_CACHE_LIMIT:
                self._widths.clear()
            w = self._widths[key] = QFontMetricsF(font).horizontalAdvance(text)
        return w

    def need(self, base: QFont, px: int, template: str) -> float:
        """Return the cell side that shows ``template`` at ``px`` pixels."""
        w = self.width(number_font(base, px), template)
        return max(w + NUMBER_MARGIN * px, NUMBER_HEIGHT * px)

    def px_for(self, base: QFont, side: float, template: str, target: int) -> int:
        """Return the largest pixel size ≤ ``target`` whose ``template`` fits a ``side`` cell."""
        px = target
        if self.need(base, px, template) > side:
            ratio = self.width(number_font(base, px), template) / px + NUMBER_MARGIN
            px = min(px, math.floor(side / max(ratio, NUMBER_HEIGHT)))
            while px >= 1 and self.need(base, px, template) > side:
                px -= 1
        return px

    def entries(self, font: QFont, texts: list[str]) -> list[tuple[QStaticText, float, float]]:
        """Return ``texts`` prepared in ``font``, with half their width and height."""
        key = font.key()  # size, family, weight, style…: the half-sizes kept are the font's
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


def label_step(side: float, extent: float) -> int:
    """Return how many cells apart labels ``extent`` pixels long go on cells of ``side``."""
    for step in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000):
        if step * side >= extent:
            return step
    return 5000


def paint_indices(p: QPainter, font: QFont, colour: QColor, s: float,
                  part: tuple[int, int, int, int], bands: tuple[float, float],
                  texts: NumberText) -> None:
    """Write the row numbers left of the part's cells and the column numbers above them.

    Cells too small for every number get every 2nd, 5th, 10th… so labels never overlap.
    ``texts`` holds the prepared labels (only these: it keeps one font's).
    """
    r0, c0, nr, nc = part
    bl, bt = bands
    p.setFont(font)
    p.setPen(colour)
    px = font.pixelSize()
    widest_col = texts.width(font, str(c0 + nc - 1))
    every_col = label_step(s, widest_col + 0.5 * px)
    every_row = label_step(s, 1.1 * px)
    rows = [r for r in range(r0, r0 + nr) if r % every_row == 0]
    cols = [c for c in range(c0, c0 + nc) if c % every_col == 0]
    entries = texts.entries(font, [str(i) for i in rows + cols])
    right = bl - 0.6 * px  # row numbers end here, centred on their row
    for r, (st, hw, hh) in zip(rows, entries[:len(rows)], strict=True):
        p.drawStaticText(QPointF(right - 2 * hw, bt + (r - r0) * s + s / 2 - hh), st)
    for c, (st, hw, hh) in zip(cols, entries[len(rows):], strict=True):
        # column numbers centred over their column, in the band's top 1.3 px-sizes
        p.drawStaticText(QPointF(bl + (c - c0) * s + s / 2 - hw, 0.65 * px - hh), st)


def paint_cells(p: QPainter, values: np.ndarray, levels: tuple[float, float], kind: str,
                pad_mask: np.ndarray, s: float, font: QFont | None, texts: list[str],
                texts_cache: NumberText) -> None:
    """Paint ``values`` as ``s``-pixel cells from (0, 0), numbers in ``font`` (None: none).

    ``texts`` are the cells' numbers, row by row.
    """
    nr, nc = values.shape
    side = int(s)
    lo, hi = levels
    finite = np.isfinite(values)
    idx = np.clip((np.where(finite, values, lo) - lo) * (255.0 / (hi - lo)), 0, 255)
    idx = idx.astype(np.uint8)
    rgb = lut(kind)[idx]
    pad_mask = pad_mask | ~finite
    rgb[pad_mask] = (255, 255, 255)
    # Each cell a block of whole pixels, in the format the pixmap holds (no conversion when
    # it is drawn): several times faster than scaling a 24-bit image.
    pixels = np.where(pad_mask, np.uint32(0xFFFFFFFF), _lut32(kind)[idx])
    big = np.ascontiguousarray(np.repeat(np.repeat(pixels, side, axis=0), side, axis=1))
    image = QImage(big.data, nc * side, nr * side, 4 * nc * side, QImage.Format.Format_RGB32)
    p.drawImage(QPointF(0, 0), image)
    # One batched call with an opaque pen: translucent lines cost ~20× more to raster.
    p.setPen(QPen(GRID_COLOUR, 1.0))
    p.drawLines([QLineF(0, i * s, nc * s, i * s) for i in range(nr + 1)]
                + [QLineF(j * s, 0, j * s, nr * s) for j in range(nc + 1)])
    pad_cells = np.argwhere(pad_mask)
    if len(pad_cells):
        p.setPen(QPen(PAD_COLOUR, 1.0, Qt.PenStyle.DashLine))
        p.drawRects([QRectF(j * s + 2, i * s + 2, s - 4, s - 4) for i, j in pad_cells])
    if font is not None:
        _draw_numbers(p, font, s, texts, rgb, pad_mask, finite, texts_cache)


def _draw_numbers(p: QPainter, font: QFont, s: float, texts: list[str], rgb: np.ndarray,
                  pad_mask: np.ndarray, finite: np.ndarray, cache: NumberText) -> None:
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
        entries = cache.entries(font, [texts[i * nc + j] for i, j in cells])
        for (i, j), (st, hw, hh) in zip(cells, entries, strict=True):
            p.drawStaticText(QPointF(j * s + s / 2 - hw, i * s + s / 2 - hh), st)
