"""Image panels: input, conv output and pooled output, in one shared coordinate frame.

Every panel places its image in the *input's* pixel coordinates (an output pixel covers the
input cells its window is centred on), so linking the view boxes keeps zoom and pan in step
even when stride and pooling change the sizes.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF, QRectF, QTimer, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ...core.pipeline import PipelineResult
from ...explanations import output_size_example
from ..plots import ClippedAxisItem
from ..theme import PlotStyler, diverging_cmap, sequential_cmap

pg.setConfigOptions(imageAxisOrder="row-major", antialias=False)


def to_bytes(values: np.ndarray, levels: tuple[float, float]) -> np.ndarray:
    """Map ``levels`` to 0..255 as uint8 in one saturating OpenCV pass.

    pyqtgraph's own float rescale costs ~15 ms per image at 2048².
    """
    import cv2

    lo, hi = levels
    scale = 255.0 / (hi - lo)
    src = np.ascontiguousarray(values, dtype=np.float32)
    return cv2.addWeighted(src, scale, src, 0.0, -lo * scale, dtype=cv2.CV_8U)


def display_levels(data: np.ndarray, mode: str) -> tuple[np.ndarray, tuple[float, float], str]:
    """Map raw values for display: (array shown, levels, colour-map kind).

    ``signed``: symmetric levels ±max|x| on a diverging map; ``absolute``: |x| from 0 on a
    sequential map; ``clipped``: values clipped to 0..255 in grey, as the lessons do.
    """
    if mode == "signed":
        m = float(np.abs(data).max()) if data.size else 0.0
        m = m if m > 0 else 1.0
        return data, (-m, m), "diverging"
    if mode == "absolute":
        mag = np.abs(data)
        m = float(mag.max()) if mag.size else 0.0
        return mag, (0.0, m if m > 0 else 1.0), "sequential"
    return np.clip(data, 0.0, 255.0), (0.0, 255.0), "grey"


class ColourBar(pg.GraphicsLayout):
    """A vertical colour bar: the colour map as an image beside an axis of real values.

    Built from a ViewBox, an ImageItem and an AxisItem rather than ``pg.ColorBarItem``: that
    one is a whole PlotItem (four axes, two menus) and took 14–24 ms to build, three of them a
    tenth of the time to the window's first paint (benchmarks/startup.py).
    """

    WIDTH = 14

    def __init__(self) -> None:
        super().__init__()
        self.layout.setContentsMargins(0, 0, 0, 0)
        self.layout.setHorizontalSpacing(0)
        self.bar = pg.ViewBox(enableMenu=False, enableMouse=False, defaultPadding=0.0)
        self.bar.setFixedWidth(self.WIDTH)
        ramp = np.linspace(0, 255, 256, dtype=np.float32)[:, None]  # one column, low row first
        self.image = pg.ImageItem(ramp, axisOrder="row-major")
        self.bar.addItem(self.image)
        self.axis = ClippedAxisItem("right")
        self.axis.linkToView(self.bar)
        self.addItem(self.bar, row=0, col=0)
        self.addItem(self.axis, row=0, col=1)
        self._levels = (0.0, 1.0)
        self.setLevels(self._levels)

    def setColorMap(self, cmap: pg.ColorMap) -> None:  # noqa: N802 (ColorBarItem's name)
        """Colour the bar with ``cmap`` (bottom: low values)."""
        self.image.setLookupTable(cmap.getLookupTable(nPts=256))
        self.image.setLevels((0, 255))

    def setLevels(self, levels: tuple[float, float]) -> None:  # noqa: N802
        """Label the bar from ``levels[0]`` at the bottom to ``levels[1]`` at the top."""
        lo, hi = float(levels[0]), float(levels[1])
        if not hi > lo:
            hi = lo + 1.0
        self._levels = (lo, hi)
        self.image.setRect(QRectF(0.0, lo, 1.0, hi - lo))
        self.bar.setRange(xRange=(0.0, 1.0), yRange=(lo, hi), padding=0.0)

    def levels(self) -> tuple[float, float]:
        """Return the values at the bottom and the top of the bar."""
        return self._levels


class ImagePanel(QWidget):
    """A titled pyqtgraph view of one image with a colour bar and a hover read-out."""

    imageShown = Signal()

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("figure", True)  # File ▸ Export view, Ctrl+C
        self.title = QLabel(f"<b>{title}</b>")
        self.shape_label = QLabel("")
        self.readout = QLabel(" ")
        self.readout.setObjectName("readout")
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground(None)
        self.view = self.graphics.addViewBox(row=0, col=0, lockAspect=True, invertY=True,
                                             enableMenu=False)
        self.item = pg.ImageItem()
        self.view.addItem(self.item)
        # Not linked to the image item: the item shows bytes, the bar shows the real values.
        self.colorbar = ColourBar()
        self.graphics.addItem(self.colorbar, row=0, col=1)
        self.styler = PlotStyler(self, axes=(self.colorbar.axis,))
        # The image takes the room; the bar only what its ticks need.
        self.graphics.ci.layout.setColumnStretchFactor(0, 1)
        self.graphics.ci.layout.setColumnStretchFactor(1, 0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        header = QWidget()
        hl = QHBoxLayout(header)
        hl.setContentsMargins(0, 0, 0, 0)
        hl.addWidget(self.title)
        hl.addStretch(1)
        hl.addWidget(self.shape_label)
        layout.addWidget(header)
        layout.addWidget(self.graphics, 1)
        layout.addWidget(self.readout)
        self.data: np.ndarray | None = None
        self._origin = (0.0, 0.0)
        self._step = (1.0, 1.0)
        self._first = True
        self._fitted = False
        self.fit_group: list[ImagePanel] = []  # panels whose views are linked to this one
        self.view.sigRangeChangedManually.connect(self._on_manual_range)
        self._cmap_kind = ""
        self._lut: np.ndarray | None = None
        self._hover: QPointF | None = None  # the pointer, in input coordinates
        self.graphics.scene().sigMouseMoved.connect(self._on_mouse_moved)

    def show_array(
        self,
        data: np.ndarray,
        mode: str,
        *,
        origin: tuple[float, float] = (0.0, 0.0),
        step: tuple[float, float] = (1.0, 1.0),
    ) -> None:
        """Show 2-D values, or (H, W, 3) colour in 0..255, placed in input coordinates.

        ``origin`` is the (x, y) of the first pixel's corner in input pixels, and each pixel is
        ``step`` (sx, sy) input pixels wide.
        """
        self.data = data
        self._origin, self._step = origin, step
        h, w = data.shape[:2]
        self.shape_label.setText(f"{h}×{w}")
        if data.ndim == 3:
            shown = np.clip(data, 0, 255).astype(np.uint8)
            self.item.setImage(shown, levels=(0, 255), autoLevels=False)
            self.colorbar.setVisible(False)
        else:
            values, levels, kind = display_levels(data, mode)
            cmap = diverging_cmap() if kind == "diverging" else sequential_cmap(kind)
            shown = to_bytes(values, levels)
            self.colorbar.setVisible(True)
            if kind != self._cmap_kind:
                self.colorbar.setColorMap(cmap)
                self._lut = cmap.getLookupTable(nPts=256)
                self._cmap_kind = kind
            self.item.setImage(shown, levels=(0, 255), lut=self._lut, autoLevels=False)
            self.colorbar.setLevels(levels)
        self.item.setRect(QRectF(origin[0], origin[1], w * step[0], h * step[1]))
        if self._first:
            self.fit()
            self._first = False
        self._show_readout()
        self.imageShown.emit()

    def fit(self) -> None:
        """Fit the image to the view, and again whenever the view resizes, until a zoom or pan.

        A one-off fit left the images a third of the panel after the window grew (a
        maximised window, projection mode with its wider side panel). Panels whose views are
        linked (``fit_group``) fit together: the narrowest one decides, so that no image is
        cropped in the others.
        """
        for panel in self.fit_group or [self]:
            panel._fitted = True
        self._refit()

    def _on_manual_range(self) -> None:
        for panel in self.fit_group or [self]:
            panel._fitted = False

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        """Keep a fitted image fitted."""
        super().resizeEvent(event)
        if self._fitted and self.data is not None:
            QTimer.singleShot(0, self._refit)

    def _refit(self) -> None:
        if not self._fitted:
            return
        shown = [p for p in self.fit_group if p.data is not None and p.isVisible()]
        narrowest = min(shown or [self],
                        key=lambda p: p.view.width() / max(1.0, p.view.height()))
        narrowest.view.autoRange(padding=0.02)

    def pixel_at(self, x: float, y: float) -> tuple[int, int] | None:
        """Return the (row, col) of this panel's pixel under input coordinates (x, y)."""
        if self.data is None:
            return None
        col = int(np.floor((x - self._origin[0]) / self._step[0]))
        row = int(np.floor((y - self._origin[1]) / self._step[1]))
        h, w = self.data.shape[:2]
        return (row, col) if 0 <= row < h and 0 <= col < w else None

    def _on_mouse_moved(self, pos: QPointF) -> None:
        if not self.view.sceneBoundingRect().contains(pos):
            return
        self._hover = self.view.mapSceneToView(pos)
        self._show_readout()

    def leaveEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        """Clear the read-out: it is about the pixel under the pointer, and none is."""
        super().leaveEvent(event)
        self._hover = None
        self._show_readout()

    def _show_readout(self) -> None:
        # Called on every move and on every new image: a kernel edit under a still pointer
        # must not leave the old value on screen.
        hit = None if self._hover is None else self.pixel_at(self._hover.x(), self._hover.y())
        if hit is None or self.data is None:
            self.readout.setText(" ")
            return
        r, c = hit
        v = self.data[r, c]
        value = ", ".join(f"{x:.4g}" for x in v) if np.ndim(v) else f"{float(v):.4g}"
        self.readout.setText(f"x {c}, y {r}: {value}")


def window_geometry(result: PipelineResult) -> tuple[tuple[float, float], tuple[float, float]]:
    """Return the origin (x, y) and step (sx, sy), in input pixels, of the conv output's pixels."""
    p = result.params
    pads = result.pads
    ekh = (result.kernel_hw[0] - 1) * p.dilation[0] + 1
    ekw = (result.kernel_hw[1] - 1) * p.dilation[1] + 1
    # Output pixel c covers the stride-wide cell centred on its window's centre.
    x0 = -pads.left + ekw / 2 - p.stride[1] / 2
    y0 = -pads.top + ekh / 2 - p.stride[0] / 2
    return (x0, y0), (float(p.stride[1]), float(p.stride[0]))


def size_formulas(r: PipelineResult) -> str:
    """Return the output-size formula of both axes, worked out with ``r``'s numbers (HTML)."""
    p, pads = r.params, r.pads
    rows = output_size_example("H", r.input_hw[0], r.kernel_hw[0], p.stride[0],
                               p.dilation[0], pads.top, pads.bottom)
    cols = output_size_example("W", r.input_hw[1], r.kernel_hw[1], p.stride[1],
                               p.dilation[1], pads.left, pads.right)
    return f"{rows}<br>{cols}"
