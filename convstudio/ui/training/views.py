"""Training views: curves, filter and feature-map mosaics, probabilities, confusion matrix."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QFont, QResizeEvent, QTextLayout
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from ..plots import clipped_axes, fitted_title, match_titles
from ..theme import PlotStyler, diverging_cmap, sequential_cmap

TRAIN_COLOUR, VAL_COLOUR, RUNNING_COLOUR = "#0072B2", "#D55E00", "#56B4E9"  # Okabe–Ito
TRAIN_PEN = pg.mkPen(TRAIN_COLOUR, width=3)
VAL_PEN = pg.mkPen(VAL_COLOUR, width=3, style=pg.QtCore.Qt.PenStyle.DashLine)
TRAIN_MARK = {"symbol": "o", "symbolBrush": TRAIN_COLOUR, "symbolPen": None}  # marks in the
VAL_MARK = {"symbol": "s", "symbolBrush": VAL_COLOUR, "symbolPen": None}      # curve's colour


def unbroken(formula: str) -> str:
    """Return ``formula`` with a word joiner between its characters: never wrapped inside.

    Qt wraps after "|" and "/" ("Their gradients |" / "∂loss/∂W|"), and its ``<nobr>`` keeps
    only a whole paragraph on one line.
    """
    return "\u2060".join(formula)


def tile(images: np.ndarray, cols: int | None = None, gap: int = 1) -> np.ndarray:
    """Lay (N, h, w) images out in a grid separated by NaN gaps (drawn as background)."""
    n, h, w = images.shape
    cols = cols or max(1, math.ceil(math.sqrt(n)))
    rows = max(1, math.ceil(n / cols))
    out = np.full((rows * (h + gap) - gap, cols * (w + gap) - gap), np.nan, np.float32)
    for k in range(n):
        r, c = divmod(k, cols)
        out[r * (h + gap):r * (h + gap) + h, c * (w + gap):c * (w + gap) + w] = images[k]
    return out


def symmetric_per_image(images: np.ndarray) -> np.ndarray:
    """Scale each image to [-1, 1] by its own largest |value| (each filter's own contrast)."""
    m = np.abs(images).reshape(len(images), -1).max(axis=1)
    m[m == 0] = 1.0
    return images / m[:, None, None]


class CaptionLabel(QLabel):
    """Word-wrapped text of a fixed number of lines, whatever the text.

    Captions change every snapshot; a label that asks for a new layout makes Qt repaint the
    whole tab (every plot) while the training thread competes for the GIL. The height follows
    the font (projection mode, zoom), so all the lines stay readable.
    """

    LINES = 2

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("", parent)
        self.setWordWrap(True)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self._choices: tuple[str, ...] = ()
        self._fit()

    def set_choices(self, *texts: str) -> None:
        """Show the first of ``texts`` (longest first) that fits the lines at this width.

        Chosen again when the width changes: a caption beside another view on a projector
        keeps its last words, the ones that say what the picture is.
        """
        self._choices = texts
        self._choose()

    def setText(self, text: str) -> None:  # noqa: N802 (Qt override)
        """Show ``text`` as it is (no shorter choices)."""
        self._choices = ()
        super().setText(text)

    def _choose(self) -> None:
        if not self._choices:
            return
        width = max(1, self.contentsRect().width())
        fm = self.fontMetrics()
        flags = int(Qt.TextFlag.TextWordWrap)
        # As tall as that many lines measured the same way (each line rounds up a pixel).
        room = fm.boundingRect(0, 0, 1000, 1000, flags, "\n".join("X" * self.LINES)).height()
        for text in self._choices:
            if fm.boundingRect(0, 0, width, 10 * room, flags, text).height() <= room:
                break
        super().setText(text)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        """Choose the caption again for the new width."""
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self._choose()

    def _fit(self) -> None:
        self.setFixedHeight(self.LINES * self.fontMetrics().lineSpacing() + 4)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        """Keep room for the lines when the font changes."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._fit()
            self._choose()


class StatusLabel(QLabel):
    """Two lines of status, wrapped; its size never follows its text.

    A new text every few batches must not re-lay-out (and repaint) the tab. A text longer
    than two lines at this width (a 1024-wide window's status beside four buttons) ends in
    "…" after its last whole word, and the tooltip holds it whole; :meth:`text` is the whole
    text. The height follows the font (projection mode, zoom). The lines are broken here,
    not by QLabel's word wrap: a wrapped label's height-for-width made the tab ask for 2 px
    more than a 1280×720 projector has.
    """

    LINES = 2

    def __init__(self, text: str) -> None:
        super().__init__("")
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self._whole = ""
        self._fit_height()
        self.setText(text)

    def text(self) -> str:
        """Return the whole status (what is shown may end in "…")."""
        return self._whole

    def setText(self, text: str) -> None:  # noqa: N802 (Qt override)
        """Show ``text``, shortened at a word to two lines where it needs more."""
        self._whole = text
        self._show()

    def _show(self) -> None:
        text = self._whole
        width = self.contentsRect().width()
        fm = self.fontMetrics()
        flags = int(Qt.TextFlag.TextWordWrap)
        # As tall as that many lines measured the same way (each line rounds up a pixel).
        room = fm.boundingRect(0, 0, 1000, 1000, flags, "\n".join("X" * self.LINES)).height()

        def fits(t: str) -> bool:
            return fm.boundingRect(0, 0, width, 10 * room, flags, t).height() <= room

        shown = text
        if width > 1 and not fits(text):
            words = text.split(" ")
            lo, hi = 0, len(words) - 1  # the most words that fit with "…" after them
            while lo < hi:
                mid = (lo + hi + 1) // 2
                if fits(" ".join(words[:mid]) + "…"):
                    lo = mid
                else:
                    hi = mid - 1
            shown = " ".join(words[:lo]) + "…"
        self.setToolTip(text if shown != text else "")
        super().setText(self._broken(shown, width) if width > 1 else shown)

    def _broken(self, text: str, width: int) -> str:
        """Return ``text`` with a newline where word wrap at ``width`` would break it."""
        layout = QTextLayout(text, self.font())
        layout.beginLayout()
        lines = []
        while (line := layout.createLine()).isValid():
            line.setLineWidth(width)
            lines.append(text[line.textStart():line.textStart() + line.textLength()].strip())
        layout.endLayout()
        return "\n".join(lines)

    def _fit_height(self) -> None:
        self.setFixedHeight(self.LINES * self.fontMetrics().lineSpacing() + 4)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        """Shorten the text again for the new width."""
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self._show()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        """Follow a new font."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._fit_height()
            self._show()


class MosaicView(QWidget):
    """A titled image of tiled small images, NaN gaps transparent."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("figure", True)  # File ▸ Export view, Ctrl+C
        self.title = QLabel(f"<b>{title}</b>")
        self.title.setWordWrap(True)
        self.caption = CaptionLabel()
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground(None)
        self.graphics.setMinimumSize(30, 30)  # the picture gives way first on a small screen
        self.view = self.graphics.addViewBox(lockAspect=True, invertY=True, enableMenu=False)
        self.item = pg.ImageItem()
        self.view.addItem(self.item)
        self.box = QVBoxLayout(self)
        self.box.setContentsMargins(2, 2, 2, 2)
        self.box.setSpacing(2)
        self.header = QHBoxLayout()  # the title, and any control a view adds beside it
        self.header.addWidget(self.title, 1)
        self.box.addLayout(self.header)
        self.box.addWidget(self.graphics, 1)
        self.box.addWidget(self.caption)
        self.data: np.ndarray | None = None

    def show_array(self, data: np.ndarray, levels: tuple[float, float], kind: str) -> None:
        """Show ``data`` with a diverging (``signed``) or sequential colour map."""
        cmap = diverging_cmap() if kind == "diverging" else sequential_cmap(kind)
        lut = cmap.getLookupTable(nPts=256, alpha=True)
        idx = np.clip((np.nan_to_num(data, nan=levels[0]) - levels[0])
                      / (levels[1] - levels[0]) * 255, 0, 255).astype(np.uint8)
        rgba = lut[idx]
        rgba[np.isnan(data)] = (0, 0, 0, 0)
        first = self.data is None or self.data.shape != data.shape
        self.data = data
        self.item.setImage(rgba, autoLevels=False)
        if first:
            self.view.autoRange(padding=0.02)

    def clear(self, caption: str = "") -> None:
        """Show nothing (the model it showed is gone or changed), and ``caption`` instead."""
        self.data = None
        self.item.clear()
        self.caption.setText(caption)


class CurvesView(QWidget):
    """Loss and accuracy per epoch (train and validation) and the running batch loss."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("figure", True)  # File ▸ Export view, Ctrl+C
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground(None)
        self.loss_plot = self.graphics.addPlot(row=0, col=0, axisItems=clipped_axes())
        self.acc_plot = self.graphics.addPlot(row=0, col=1, axisItems=clipped_axes())
        # Whole at every size: the epoch axis says the rest where the plots are narrow.
        match_titles(fitted_title(self.loss_plot, "Loss per epoch", "Loss"),
                     fitted_title(self.acc_plot, "Accuracy per epoch", "Accuracy"))
        for plot in (self.loss_plot, self.acc_plot):
            plot.showGrid(x=True, y=True, alpha=0.3)
            # No "epoch" label under the axis: the titles say it, and on a projector the
            # plots need the height (their ticks overlapped at 1024×768).
        self.acc_plot.setYRange(0, 1)
        # 0, 0.5, 1 (0 and 1 where those crowd); the quarters as grid lines only
        self.acc_plot.getAxis("left").setTickSpacing(0.5, 0.25)
        self.train_loss = self.loss_plot.plot(pen=TRAIN_PEN, name="train", **TRAIN_MARK)
        self.val_loss = self.loss_plot.plot(pen=VAL_PEN, name="validation", **VAL_MARK)
        self.batch_loss = self.loss_plot.plot(pen=pg.mkPen(RUNNING_COLOUR, width=1),
                                              name="this epoch, running")
        self.train_acc = self.acc_plot.plot(pen=TRAIN_PEN, name="train", **TRAIN_MARK)
        self.val_acc = self.acc_plot.plot(pen=VAL_PEN, name="validation", **VAL_MARK)
        # One key above both plots instead of a legend inside each: legends covered the curves
        # of a small plot in projection mode; a label wraps and follows the body text size.
        self.key = QLabel(
            f'<span style="color:{TRAIN_COLOUR}">● train</span> &nbsp; '
            f'<span style="color:{VAL_COLOUR}">■ validation</span> &nbsp; '
            f'<span style="color:{RUNNING_COLOUR}">— this epoch</span>')
        self.key.setWordWrap(True)
        self.key.setAlignment(Qt.AlignmentFlag.AlignCenter)
        box = QVBoxLayout(self)
        box.setContentsMargins(2, 2, 2, 2)  # as the other views: on a projector rows count
        box.setSpacing(2)
        box.addWidget(self.key)
        box.addWidget(self.graphics, 1)
        self.styler = PlotStyler(self, (self.loss_plot, self.acc_plot))
        self.clear()

    def clear(self) -> None:
        """Forget every point."""
        self.history: dict[str, list[float]] = {"loss": [], "accuracy": [], "val_loss": [],
                                                "val_accuracy": []}
        self.batch_points: tuple[list[float], list[float]] = ([], [])
        self.loss_top = 0.0
        self.loss_plot.setYRange(0, 1, padding=0)
        self.expect_epochs(1)
        self._redraw()

    def expect_epochs(self, last: int) -> None:
        """Fix the epoch axis at 0…``last`` for a whole run.

        Axes that follow the data are laid out and redrawn after every point, the costliest
        part of a repaint while training; fixed axes also show how far the run will go.
        """
        last = max(1, last)
        step = next((s for s in (1, 2, 5, 10, 20, 50) if last / s <= 10), 100)
        for plot in (self.loss_plot, self.acc_plot):
            plot.setXRange(0, last, padding=0.02)
            plot.getAxis("bottom").setTickSpacing(levels=[(step, 0)])  # whole epochs only

    def _fit_loss_axis(self) -> None:
        """Show the loss from 0 to a little above its largest value, changed only when needed.

        The top grows as soon as a point would be cut off and shrinks once everything shown
        fits in 60 % of it, so the axis changes a few times a run, not with every point.
        """
        values = [v for v in (*self.history["loss"], *self.history["val_loss"],
                              *self.batch_points[1]) if math.isfinite(v)]
        highest = max(values, default=0.0)
        if highest <= 0:
            return
        if highest > self.loss_top or highest < 0.6 * self.loss_top:
            self.loss_top = highest * 1.1
            self.loss_plot.setYRange(0, self.loss_top, padding=0.02)

    def add_batch(self, epoch: int, fraction: float, loss: float, *, redraw: bool = True) -> None:
        """Add the running loss at ``epoch + fraction`` (drawn now, or with a later point)."""
        xs, ys = self.batch_points
        xs.append(epoch + fraction)
        ys.append(loss)
        if redraw:
            self.batch_loss.setData(xs, ys)
            self._fit_loss_axis()

    def set_history(self, history: Mapping[str, Sequence[float]], first_epoch: int = 1) -> None:
        """Show a whole history (after loading a model)."""
        self.history = {k: list(history.get(k, [])) for k in self.history}
        self.expect_epochs(first_epoch - 1 + len(self.history["loss"]))
        self._redraw(first_epoch)

    def add_epoch(self, loss: float, acc: float, val_loss: float | None,
                  val_acc: float | None) -> None:
        """Append one epoch's numbers."""
        h = self.history
        h["loss"].append(loss)
        h["accuracy"].append(acc)
        # NaN where an epoch has no validation numbers keeps the later ones at their epochs.
        h["val_loss"].append(math.nan if val_loss is None else val_loss)
        h["val_accuracy"].append(math.nan if val_acc is None else val_acc)
        self._redraw()

    def drop_batches_after(self, epochs_done: int) -> None:
        """Forget the running loss of an epoch left unfinished by a Stop (it starts again)."""
        xs, ys = self.batch_points
        keep = sum(1 for x in xs if x <= epochs_done)
        del xs[keep:], ys[keep:]
        self.batch_loss.setData(xs, ys)

    def _redraw(self, first_epoch: int = 1) -> None:
        h = self.history
        for curve, key in ((self.train_loss, "loss"), (self.val_loss, "val_loss"),
                           (self.train_acc, "accuracy"), (self.val_acc, "val_accuracy")):
            ys = h[key]
            curve.setData(list(range(first_epoch, first_epoch + len(ys))), ys, connect="finite")
        if not h["loss"]:
            self.batch_loss.setData([], [])
        self._fit_loss_axis()


class ProbabilityView(QWidget):
    """Class probabilities of the probe image as horizontal bars."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("figure", True)  # File ▸ Export view, Ctrl+C
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground(None)
        # One line, saying what the axis is (no axis label under it): on a 1024×768 projector
        # the title's second line and the label left the ten bars 40 px.
        self.title = CaptionLabel()
        self.title.LINES = 1
        bold = QFont(self.title.font())
        bold.setBold(True)
        self.title.setFont(bold)
        self.title.set_choices("What the network says: probabilities", "Probabilities")
        self.plot = self.graphics.addPlot(axisItems=clipped_axes())
        self.plot.setXRange(0, 1)
        self.plot.invertY(True)
        self.bars = pg.BarGraphItem(x0=0, y=[], height=0.7, width=[], brush="#0072B2")
        self.plot.addItem(self.bars)
        box = QVBoxLayout(self)
        box.setContentsMargins(2, 2, 2, 2)
        box.addWidget(self.title)
        box.addWidget(self.graphics, 1)
        self.styler = PlotStyler(self, (self.plot,))
        self.values = np.zeros(0)
        self._ticks: list[list[tuple[int, str]]] = []  # the winner's, then the others
        self.clear()

    def clear(self) -> None:
        """Show no bars (there is no model to ask)."""
        self.values = np.zeros(0)
        self.bars.setOpts(x0=[], y=[], width=[], brushes=[])
        self._ticks = []  # no classes: no numbers on the class axis either
        self.plot.getAxis("left").setTicks([[]])
        self.plot.setYRange(-0.5, 9.5)

    def show_array(self, probs: np.ndarray, names: Sequence[str]) -> None:
        """Show one bar per class, the most likely in orange."""
        self.values = np.asarray(probs, np.float64)
        n = len(self.values)
        brushes = ["#E69F00" if i == int(np.argmax(self.values)) else "#0072B2"
                   for i in range(n)]
        self.bars.setOpts(x0=[0] * n, y=list(range(n)), width=self.values.tolist(),
                          brushes=brushes)
        ticks = [(i, str(names[i]) if i < len(names) else str(i)) for i in range(n)]
        best = int(np.argmax(self.values)) if n else 0
        # The most likely class is always named; the others where the rows leave room (ten
        # names do not fit the few lines a projector leaves the plot).
        levels = [ticks[best:best + 1], ticks[:best] + ticks[best + 1:]]
        if levels != self._ticks:  # only when they change: a new axis is laid out again
            if sorted(sum(levels, [])) != sorted(sum(self._ticks, [])):  # other classes
                self.plot.setYRange(-0.5, n - 0.5)
            self._ticks = levels
            self.plot.getAxis("left").setTicks(levels)
