"""The evaluation's views: the confusion matrix and the mistakes, labelled with class names.

The matrix names its classes on both axes; each misclassified image is captioned
"true → predicted".

Both are painted with the widget's own font, so they follow projection mode and zoom like the
body text: the labels shrink (to 0.7× the body text, the smallest legible size) only where the
room is short, and where everything goes is computed in one place (``placement``) that
painting and tests share.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from ..theme import sequential_cmap
from .views import CaptionLabel

SMALLEST_TEXT = 0.7  # × the body text: the smallest size still read from the back of a room
ARROW = " → "


def _fitted_font(base: QFont, fits: Callable[[QFontMetricsF], bool], steps: int = 4) -> QFont:
    """Return ``base`` or, if ``fits(metrics)`` is false, a smaller one down to the smallest."""
    font = QFont(base)
    size = base.pointSizeF() if base.pointSizeF() > 0 else 11.0
    for k in range(steps + 1):
        font.setPointSizeF(size * (1.0 - (1.0 - SMALLEST_TEXT) * k / steps))
        if fits(QFontMetricsF(font)):
            break
    return font


def class_name(names: Sequence[str], i: int) -> str:
    """Return class ``i``'s name (its number when the names do not reach it)."""
    return str(names[i]) if 0 <= i < len(names) else str(i)


@dataclass(frozen=True)
class MatrixLayout:
    """Where the confusion matrix's parts are drawn, in the canvas' coordinates."""

    font: QFont
    cell: float
    cells: QRectF                     # the n × n grid
    row_labels: tuple[QRectF, ...]    # one per true class, left of its row
    column_labels: tuple[QRectF, ...]  # one per predicted class, above its column (rotated)
    row_title: QRectF                 # "true class", rotated, left of the row labels
    column_title: QRectF              # "predicted", above the column labels
    numbered: bool = False            # too little room for names above: numbers, named by row
    step: int = 1                     # every step-th label drawn (rows lower than a line)


class _Canvas(QWidget):
    """Where a view paints what its ``placement`` says, in the text's colour and font."""

    def __init__(self, view: ConfusionView | MistakesView) -> None:
        super().__init__(view)
        self.view = view
        self.setMinimumSize(60, 60)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        """Paint the view's picture, or nothing while it shows none."""
        if self.view.data is None:
            return
        lay = self.view.placement()
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        p.setFont(lay.font)
        p.setPen(self.palette().windowText().color())
        self.draw(p, lay)
        p.end()

    def draw(self, p: QPainter, lay: Any) -> None:
        """Draw the picture laid out as ``lay`` says."""
        raise NotImplementedError


class _MatrixCanvas(_Canvas):
    view: ConfusionView

    def draw(self, p: QPainter, lay: MatrixLayout) -> None:
        """Draw the labels, the titles and the cells with each row's share."""
        v = self.view
        data = v.data
        assert data is not None  # painted only while it shows a matrix
        right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        for i, (rect, label) in enumerate(zip(lay.row_labels, v.row_labels(lay), strict=True)):
            if i % lay.step == 0:
                p.drawText(rect, right, label)
        for i, (rect, label) in enumerate(zip(lay.column_labels, v.column_labels(lay),
                                               strict=True)):
            if i % lay.step:
                continue
            if lay.numbered:
                p.drawText(rect, Qt.AlignmentFlag.AlignCenter, label)
            else:
                _rotated_text(p, rect, label, Qt.AlignmentFlag.AlignLeft)
        _rotated_text(p, lay.row_title, "true class", Qt.AlignmentFlag.AlignHCenter)
        p.drawText(lay.column_title, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom,
                   "predicted class")
        lut = sequential_cmap().getLookupTable(nPts=256, alpha=False)
        n = len(data)
        show_numbers = QFontMetricsF(lay.font).horizontalAdvance("100") <= lay.cell - 2
        for r in range(n):
            for c in range(n):
                cell = QRectF(lay.cells.left() + c * lay.cell, lay.cells.top() + r * lay.cell,
                              lay.cell, lay.cell)
                r8, g8, b8 = (int(x) for x in lut[int(round(float(data[r, c]) * 255))][:3])
                p.fillRect(cell.adjusted(0.5, 0.5, -0.5, -0.5), QColor(r8, g8, b8))
                if show_numbers and v.counts is not None and v.counts[r, c]:
                    dark = 0.299 * r8 + 0.587 * g8 + 0.114 * b8 < 140
                    p.setPen(QColor("white") if dark else QColor("black"))
                    p.drawText(cell, Qt.AlignmentFlag.AlignCenter, f"{data[r, c] * 100:.0f}")


def _rotated_text(p: QPainter, rect: QRectF, text: str, align: Qt.AlignmentFlag) -> None:
    """Draw ``text`` reading upwards in ``rect`` (its baseline along the rect's height)."""
    p.save()
    p.translate(rect.left(), rect.bottom())
    p.rotate(-90)
    p.drawText(QRectF(0, 0, rect.height(), rect.width()), align | Qt.AlignmentFlag.AlignVCenter,
               text)
    p.restore()


class ConfusionView(QWidget):
    """The confusion matrix: rows true, columns predicted, each named by its class.

    ``data`` is the row-normalised matrix shown (None: nothing), ``counts`` the counts.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("figure", True)  # File ▸ Export view, Ctrl+C
        self.title = QLabel("<b>Confusion matrix: rows true, columns predicted</b>")
        self.title.setWordWrap(True)
        self.canvas = _MatrixCanvas(self)
        # Beside the square matrix, where the wide page has room, not under it: ten rows of
        # names need all the height there is.
        self.caption = QLabel("")
        self.caption.setWordWrap(True)
        self.caption.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.caption.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        row = QHBoxLayout()
        row.addWidget(self.canvas, 3)
        row.addWidget(self.caption, 1)
        box = QVBoxLayout(self)
        box.setContentsMargins(2, 2, 2, 2)
        box.setSpacing(2)
        box.addWidget(self.title)
        box.addLayout(row, 1)
        self.data: np.ndarray | None = None
        self.counts: np.ndarray | None = None
        self.names: tuple[str, ...] = ()

    def show_matrix(self, counts: np.ndarray, names: Sequence[str]) -> None:
        """Show ``counts`` (rows: true class) as each row's shares, labelled with ``names``."""
        self.counts = np.asarray(counts)
        conf = self.counts.astype(np.float64)
        self.data = conf / np.maximum(conf.sum(axis=1, keepdims=True), 1)
        self.names = tuple(class_name(names, i) for i in range(len(conf)))
        # Where the room is short the columns are numbered: the numbers' names, always.
        self.canvas.setToolTip(
            "Each cell: the share (%) of the row's true class predicted as the column's. "
            "Classes " + ", ".join(f"{i}: {name}" for i, name in enumerate(self.names)))
        self.canvas.update()

    def clear(self, caption: str = "") -> None:
        """Show nothing (the model it showed is gone or changed), and ``caption`` instead."""
        self.data = self.counts = None
        self.caption.setText(caption)
        self.canvas.update()

    def row_labels(self, lay: MatrixLayout | None = None) -> tuple[str, ...]:
        """Return the true classes' labels, top to bottom (with column numbers if numbered)."""
        lay = lay or self.placement()
        if lay.numbered:
            return tuple(f"{name} {i}" for i, name in enumerate(self.names))
        return self.names

    def column_labels(self, lay: MatrixLayout | None = None) -> tuple[str, ...]:
        """Return the predicted classes' labels, left to right (names read upwards, or numbers)."""
        lay = lay or self.placement()
        return tuple(str(i) for i in range(len(self.names))) if lay.numbered else self.names

    def placement(self) -> MatrixLayout:
        """Place the labels and the cells in the canvas, the labels as large as fit.

        Names go above the columns, read upwards; where even the smallest text leaves rows
        lower than a line, the columns are numbered and each row's label ends with its
        number instead.
        """
        w, h = float(self.canvas.width()), float(self.canvas.height())
        n = max(1, len(self.names))

        def sizes(fm: QFontMetricsF, numbered: bool) -> tuple[float, float, float, float]:
            widest = max((fm.horizontalAdvance(f"{s} {n - 1}" if numbered else s)
                          for s in self.names), default=0.0) + 6
            line = fm.height()
            top = line + 2 if numbered else widest
            cell = min((w - widest - line) / n, (h - top - line) / n)
            return widest, top, line, cell

        numbered = False
        font = _fitted_font(self.font(), lambda fm: sizes(fm, False)[3] >= fm.height())
        if sizes(QFontMetricsF(font), False)[3] < QFontMetricsF(font).height():
            numbered = True
            font = _fitted_font(self.font(), lambda fm: sizes(fm, True)[3] >= fm.height())
        widest, top, line, cell = sizes(QFontMetricsF(font), numbered)
        cell = max(1.0, cell)
        # Rows still lower than a line (a tiny window): label every step-th, none overlapping.
        step = max(1, math.ceil(QFontMetricsF(font).height() / cell - 1e-9))
        side = cell * n
        left = 0.0  # beside the caption, not centred away from it
        x0, y0 = left + line + widest, line + top
        rows = tuple(QRectF(left + line, y0 + r * cell, widest - 4, cell) for r in range(n))
        cols = tuple(QRectF(x0 + c * cell, line, cell, top - 4 if not numbered else top)
                     for c in range(n))
        return MatrixLayout(font, cell, QRectF(x0, y0, side, side), rows, cols,
                            QRectF(left, y0, line, side), QRectF(x0, 0, side, line), numbered,
                            step)


# --- the mistakes ------------------------------------------------------------------------------
@dataclass(frozen=True)
class MistakesLayout:
    """Where each misclassified image and its caption are drawn."""

    font: QFont
    images: tuple[QRectF, ...]
    captions: tuple[tuple[QRectF, tuple[str, ...]], ...]  # each caption's rect and lines


class _MistakesCanvas(_Canvas):
    view: MistakesView

    def draw(self, p: QPainter, lay: MistakesLayout) -> None:
        """Draw each image at a whole number of pixels per pixel, its caption below."""
        for i, (rect, (crect, lines)) in enumerate(zip(lay.images, lay.captions, strict=True)):
            p.drawImage(rect, self.view.qimage(i))
            p.drawText(crect, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
                       "\n".join(lines))


class MistakesView(QWidget):
    """Misclassified images in a grid, each captioned "true → predicted".

    ``data`` is the (k, 28, 28) images in [0, 1] (None: nothing); as many are shown as fit,
    first first, each at least three lines of text wide.
    """

    MOST = 32

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("figure", True)  # File ▸ Export view, Ctrl+C
        self.title = QLabel("<b>Misclassified images: true → predicted</b>")
        self.title.setWordWrap(True)
        self.canvas = _MistakesCanvas(self)
        self.caption = CaptionLabel()
        box = QVBoxLayout(self)
        box.setContentsMargins(2, 2, 2, 2)
        box.setSpacing(2)
        box.addWidget(self.title)
        box.addWidget(self.canvas, 1)
        box.addWidget(self.caption)
        self.data: np.ndarray | None = None
        self.pairs: tuple[tuple[str, str], ...] = ()
        self._images: list[QImage] = []

    def show_mistakes(self, images: np.ndarray, labels: Sequence[tuple[int, int]],
                      names: Sequence[str]) -> None:
        """Show ``images`` (k, 28, 28) in [0, 1], each with its (true, predicted) classes."""
        k = min(len(images), len(labels), self.MOST)
        self.data = np.asarray(images[:k], np.float32)
        self.pairs = tuple((class_name(names, int(t)), class_name(names, int(q)))
                           for t, q in labels[:k])
        grey = np.clip(np.round(self.data * 255.0), 0, 255).astype(np.uint8)
        self._images = [QImage(np.ascontiguousarray(g).data, g.shape[1], g.shape[0],
                               g.shape[1], QImage.Format.Format_Grayscale8).copy()
                        for g in grey]
        self.canvas.update()

    def clear(self, caption: str = "") -> None:
        """Show nothing, and ``caption`` instead."""
        self.data, self.pairs, self._images = None, (), []
        self.caption.setText(caption)
        self.canvas.update()

    def qimage(self, i: int) -> QImage:
        """Return the ``i``-th image as drawn (grey, 0…255)."""
        return self._images[i]

    def captions(self) -> tuple[str, ...]:
        """Every image's caption, "true → predicted", in the order they are drawn."""
        return tuple(f"{t}{ARROW}{q}" for t, q in self.pairs)

    def placement(self) -> MistakesLayout:
        """Lay the images out in rows with their captions at the body text's size.

        A cell is as wide as the widest caption line ("true →" over "predicted" when the
        whole caption is wider than the cell); as many rows are shown as fit, and the text
        shrinks (to the smallest legible size) only when not even one cell fits.
        """
        w, h = float(self.canvas.width()), float(self.canvas.height())
        split = [(f"{t}{ARROW.rstrip()}", q) for t, q in self.pairs]
        k = max(1, len(self.pairs))

        def grid(fm: QFontMetricsF) -> tuple[int, int, float, float]:
            least = 2 * fm.height()  # the smallest image beside two lines of text
            words = max((fm.horizontalAdvance(s) for pair in split for s in pair), default=0.0)
            cols = max(1, min(k, int(w // max(words + 8, least + 8))))
            caption = 2 * fm.lineSpacing() + 6
            rows = max(1, min(-(-k // cols), int(h // (least + caption))))
            side = max(8.0, min(w / cols - 8, h / rows - caption))
            if side >= 28:
                side = float(int(side // 28) * 28)  # a whole number of screen pixels per pixel
            return cols, rows, side, caption

        def fits(fm: QFontMetricsF) -> bool:
            words = max((fm.horizontalAdvance(s) for pair in split for s in pair), default=0.0)
            return words + 8 <= w and 2 * fm.height() + 2 * fm.lineSpacing() + 6 <= h

        font = _fitted_font(self.font(), fits)
        fm = QFontMetricsF(font)
        cols, rows, side, caption = grid(fm)
        cell_w, cell_h = w / cols, side + caption
        images, captions = [], []
        for i in range(min(len(self.pairs), cols * rows)):
            r, c = divmod(i, cols)
            x, y = c * cell_w, r * cell_h
            images.append(QRectF(x + (cell_w - side) / 2, y, side, side))
            whole = f"{self.pairs[i][0]}{ARROW}{self.pairs[i][1]}"
            wanted = (whole,) if fm.horizontalAdvance(whole) <= cell_w - 4 else split[i]
            lines = tuple(fm.elidedText(s, Qt.TextElideMode.ElideRight, cell_w - 4)
                          for s in wanted)
            captions.append((QRectF(x + 2, y + side + 2, cell_w - 4, caption - 4), lines))
        return MistakesLayout(font, tuple(images), tuple(captions))

    def shown(self) -> int:
        """How many images fit and are drawn now."""
        return len(self.placement().images) if self.data is not None else 0
