"""How the network is learning: the first layer's filter gradients and each layer's update size.

Beside the filters: |∂loss/∂W| of each first-layer filter (tiled as the filters are, so a
filter and its gradient sit at the same place), all on one scale, so the brightest filters are
the ones the loss pulls on hardest; and a small curve of ‖ΔW‖/‖W‖ per layer, how far each
optimizer step moved each layer's weights relative to their size (on a log axis: about 10⁻³ is
the usual rule of thumb; much larger, the rate may be too high; much smaller, the layer barely
learns). What each shows, and how it was measured, is said on screen
(``training/signals.py``).
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QBoxLayout, QLabel, QVBoxLayout, QWidget

from ...training.signals import GRADIENT_IMAGES
from ..plots import clipped_axes
from ..theme import PlotStyler
from .views import MosaicView, tile, unbroken

# Okabe–Ito, in the order of the layers (conv1, conv2, conv3, dense, output)
LAYER_COLOURS = ("#0072B2", "#009E73", "#CC79A7", "#E69F00", "#D55E00", "#56B4E9")


class SideBySide(QWidget):
    """Two views side by side, or one above the other: whichever leaves each the larger picture.

    The filters and their gradients share a column, as do the curves and the update sizes: on
    a projector it is wide and low, and side by side each picture keeps most of the height; on
    a 1024-wide desktop it is narrow and tall, and stacked each keeps the width its caption
    needs. ``chrome`` is how many lines of text each view spends around its pictures,
    ``across`` how many pictures each lays side by side (the curves: loss and accuracy), and
    ``stretch`` the share of the width each gets side by side (stacked, they share the height
    equally). An ``optional`` second view gives way (is hidden) where either way its pictures
    would be smaller than seven lines of text: on a 1024×768 projector the update sizes left
    the accuracy plot no width at all.
    """

    LEAST = 7.0  # lines of text: the smallest picture side worth showing an optional view for

    def __init__(self, first: QWidget, second: QWidget, *, chrome: float = 4.0,
                 across: tuple[int, int] = (1, 1), stretch: tuple[int, int] = (1, 1),
                 optional: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.chrome, self.across, self.stretch = chrome, across, stretch
        self.second, self.optional = second, optional
        self.box = QBoxLayout(QBoxLayout.Direction.TopToBottom, self)
        self.box.setContentsMargins(0, 0, 0, 0)
        self.box.setSpacing(2)
        self.box.addWidget(first, stretch[0])
        self.box.addWidget(second, stretch[1])

    def arrangement(self, w: float, h: float) -> tuple[bool, float]:
        """Return (side by side?, the smallest picture's side) for the better arrangement."""
        text = self.chrome * self.fontMetrics().lineSpacing()
        total = sum(self.stretch)
        side = min(min(w * s / total / n, h - text)
                   for s, n in zip(self.stretch, self.across, strict=True))
        stacked = min(min(w / n, h / 2 - text) for n in self.across)
        return side > stacked, max(side, stacked)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        """Choose the direction for the new shape, and whether an optional view fits."""
        super().resizeEvent(event)
        size = event.size()
        wide, least = self.arrangement(size.width(), size.height())
        direction = (QBoxLayout.Direction.LeftToRight if wide
                     else QBoxLayout.Direction.TopToBottom)
        if self.box.direction() != direction:
            self.box.setDirection(direction)
            for i, s in enumerate(self.stretch if wide else (1, 1)):
                self.box.setStretch(i, s)
        if self.optional:
            fits = least >= self.LEAST * self.fontMetrics().lineSpacing()
            if self.second.isHidden() == fits:
                self.second.setVisible(fits)


class GradientsView(MosaicView):
    """|∂loss/∂W| of the first layer's filters, one scale for all (brighter: pulled harder)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(f"Their gradients {unbroken('|∂loss/∂W|')}", parent)
        self.gradients: np.ndarray | None = None  # (kh, kw, channels, filters), as reported
        self.label = ""  # the snapshot's: "epoch 1, batch 20"
        self.caption.setToolTip(
            f"∂loss/∂W of each first-layer weight, computed with a GradientTape on the same "
            f"{GRADIENT_IMAGES} training images at every snapshot (dropout off), for the "
            "first input channel; every filter on one scale, black 0 to the largest |∂W|")

    def show_gradients(self, gradients: np.ndarray, label: str) -> None:
        """Show the magnitudes of ``gradients`` (kh, kw, channels, filters) tiled by filter."""
        self.gradients = np.asarray(gradients)
        g = np.abs(np.moveaxis(self.gradients[:, :, 0, :], -1, 0))  # (F, kh, kw)
        top = float(g.max()) if g.size else 0.0
        self.show_array(tile(g), (0.0, top if top > 0 else 1.0), "sequential")
        per = np.sqrt(np.square(g, dtype=np.float64).sum(axis=(1, 2)))
        # The snapshot's label is the filters' caption above (or beside): kept short here.
        hardest = int(np.argmax(per))
        self.caption.set_choices(f"filter {hardest} pulled hardest, on {GRADIENT_IMAGES} "
                                 "training images", f"filter {hardest} pulled hardest")
        self.label = label

    def clear(self, caption: str = "") -> None:
        """Show nothing (no model, or a model not trained here)."""
        self.gradients = None
        super().clear(caption)


class UpdatesView(QWidget):
    """‖ΔW‖/‖W‖ of each layer's kernel over the batches measured, on a log axis."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("figure", True)  # File ▸ Export view, Ctrl+C
        self.title = QLabel(f"<b>Step size {unbroken('‖ΔW‖/‖W‖')}</b>")
        self.title.setWordWrap(True)
        self.title.setToolTip(
            "Per layer, how far one optimizer step moved its kernel, relative to its size: "
            "‖W after − W before‖ / ‖W before‖ over one batch, read from the weights every "
            "few batches (whatever the optimizer; Adam's step is not rate × gradient). "
            "About 10⁻³ is the usual rule of thumb")
        self.key = QLabel("")
        self.key.setWordWrap(True)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground(None)
        self.graphics.setMinimumSize(30, 30)
        self.plot = self.graphics.addPlot(axisItems=clipped_axes())
        self.plot.setLogMode(x=False, y=True)
        self.plot.showGrid(x=True, y=True, alpha=0.3)
        box = QVBoxLayout(self)
        box.setContentsMargins(2, 2, 2, 2)
        box.setSpacing(2)
        header = QWidget()
        hl = QVBoxLayout(header)
        hl.setContentsMargins(0, 0, 0, 0)
        hl.addWidget(self.title)
        hl.addWidget(self.key)
        box.addWidget(header)
        box.addWidget(self.graphics, 1)
        self.styler = PlotStyler(self, (self.plot,))
        self.points: dict[str, tuple[list[float], list[float]]] = {}
        self.curves: dict[str, pg.PlotDataItem] = {}

    def clear(self) -> None:
        """Forget every point."""
        for curve in self.curves.values():
            self.plot.removeItem(curve)
        self.points, self.curves = {}, {}
        self.key.setText("")

    def add(self, x: float, ratios: tuple[tuple[str, float], ...], *, redraw: bool = True) -> None:
        """Add each layer's ratio at ``x`` (epochs); drawn now or with a later point."""
        for name, value in ratios:
            if name not in self.points:
                self.points[name] = ([], [])
                colour = LAYER_COLOURS[(len(self.curves)) % len(LAYER_COLOURS)]
                self.curves[name] = self.plot.plot(pen=pg.mkPen(colour, width=2), name=name)
                self._update_key()
            if value > 0 and math.isfinite(value):  # a log axis has no 0
                xs, ys = self.points[name]
                xs.append(x)
                ys.append(value)
        if redraw:
            self.redraw()

    def redraw(self) -> None:
        """Draw every point kept."""
        for name, (xs, ys) in self.points.items():
            self.curves[name].setData(xs, ys)

    def drop_after(self, epochs_done: int) -> None:
        """Forget the points of an epoch left unfinished by a Stop (it is trained again)."""
        for xs, ys in self.points.values():
            keep = sum(1 for x in xs if x <= epochs_done)
            del xs[keep:], ys[keep:]
        self.redraw()

    def _update_key(self) -> None:
        self.key.setText(" ".join(
            f'<span style="color:{LAYER_COLOURS[i % len(LAYER_COLOURS)]}">{name}</span>'
            for i, name in enumerate(self.curves)))
        self.key.setAlignment(Qt.AlignmentFlag.AlignLeft)
