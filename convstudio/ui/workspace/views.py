"""Image panels: input, conv output and pooled output, at their true relative sizes.

Each panel shows its image in its own pixel coordinates, and the panels of one group
(:class:`PanelGroup`) draw a pixel the same size on screen: a 255×510 stride output looks half
as tall as its 512×512 input, a 256×256 pooled result a quarter of its area. Zoom and pan in
one panel move the others to the same place, mapped through each output's geometry (the input
cells an output pixel's window is centred on).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, QTimer, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSplitter, QVBoxLayout, QWidget

from ...core.pipeline import PipelineResult
from ...core.pipeline_family import transpose_formulas
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
    sequential map; ``clipped``: values clipped to 0..255 in grey, as the lessons' loops do;
    ``range``: grey from the smallest value to the largest, as ``plt.imshow`` shows the array
    ``model.predict`` returns (an all-ones kernel's sums, up to 9 × 255, read as an image).
    """
    if mode == "signed":
        m = float(np.abs(data).max()) if data.size else 0.0
        m = m if m > 0 else 1.0
        return data, (-m, m), "diverging"
    if mode == "absolute":
        mag = np.abs(data)
        m = float(mag.max()) if mag.size else 0.0
        return mag, (0.0, m if m > 0 else 1.0), "sequential"
    if mode == "range":
        lo, hi = (float(data.min()), float(data.max())) if data.size else (0.0, 1.0)
        return data, (lo, hi if hi > lo else lo + 1.0), "grey"
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
        # The name and the shape in one label that wraps between words: three panels fit
        # side by side at 1024 px, projection mode included.
        self.name, self.shape_text = title, ""
        self.title = QLabel(f"<b>{title}</b>")
        self.title.setWordWrap(True)
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
        hl.addWidget(self.title, 1)
        layout.addWidget(header)
        layout.addWidget(self.graphics, 1)
        layout.addWidget(self.readout)
        self.data: np.ndarray | None = None
        self._shape: tuple[int, ...] = ()
        # Where this panel's pixels lie in the input: origin (x, y) and step (sx, sy).
        self.placement: tuple[tuple[float, float], tuple[float, float]] = ((0.0, 0.0), (1.0, 1.0))
        self._first = True
        self.group: PanelGroup | None = None  # panels drawn at one scale (see PanelGroup)
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
        levels: tuple[float, float] | None = None,
    ) -> None:
        """Show 2-D values, or (H, W, 3) colour in 0..255, in the panel's own pixels.

        ``origin`` and ``step`` say where its pixels lie in the input: the (x, y) of the first
        pixel's corner in input pixels, each pixel ``step`` (sx, sy) input pixels wide (zoom
        and pan follow this mapping from panel to panel). ``levels`` replaces the display
        mode's own (a pooled result shares its conv output's colour bar).
        """
        self.data = data
        self.placement = (origin, step)
        reshaped = self.data is None or self._shape != data.shape[:2]
        self._shape = data.shape[:2]
        h, w = data.shape[:2]
        self.shape_text = f"{h}×{w}"
        self._show_title()
        if data.ndim == 3:
            shown = np.clip(data, 0, 255).astype(np.uint8)
            self.item.setImage(shown, levels=(0, 255), autoLevels=False)
            self.colorbar.setVisible(False)
        else:
            values, own, kind = display_levels(data, mode)
            levels = levels or own
            cmap = diverging_cmap() if kind == "diverging" else sequential_cmap(kind)
            shown = to_bytes(values, levels)
            self.colorbar.setVisible(True)
            if kind != self._cmap_kind:
                self.colorbar.setColorMap(cmap)
                self._lut = cmap.getLookupTable(nPts=256)
                self._cmap_kind = kind
            self.item.setImage(shown, levels=(0, 255), lut=self._lut, autoLevels=False)
            self.colorbar.setLevels(levels)
        self.item.setRect(QRectF(0.0, 0.0, float(w), float(h)))
        if self._first or reshaped:
            self.fit()
            self._first = False
        self._show_readout()
        self.imageShown.emit()

    def set_title(self, name: str) -> None:
        """Name the panel ("Max-pooled"); its shape follows the name."""
        self.name = name
        self._show_title()

    def _show_title(self) -> None:
        self.title.setText(f"<b>{self.name}</b>&nbsp; {self.shape_text}")

    def fit(self) -> None:
        """Fit the group's images to their views, and again on every resize, until a zoom."""
        if self.group is not None:
            self.group.fit()
        elif self.data is not None:
            self.view.autoRange(padding=0.02)

    def _on_manual_range(self) -> None:
        if self.group is not None:
            self.group.follow(self)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        """Keep fitted images fitted."""
        super().resizeEvent(event)
        if self.group is not None and self.data is not None:
            self.group.refit_soon()

    def pixel_at(self, x: float, y: float) -> tuple[int, int] | None:
        """Return the (row, col) of this panel's pixel under its view coordinates (x, y)."""
        if self.data is None:
            return None
        col, row = int(np.floor(x)), int(np.floor(y))
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
    if p.family == "transposed":
        # Input pixel r scatters over output rows r·s … r·s + k' − 1 before the crop: the
        # output pixel at its footprint's centre lies at its centre, s output pixels a step.
        sh, sw = p.stride
        return (((pads.left - ekw / 2) / sw + 0.5, (pads.top - ekh / 2) / sh + 0.5),
                (1.0 / sw, 1.0 / sh))
    # Output pixel c covers the stride-wide cell centred on its window's centre.
    x0 = -pads.left + ekw / 2 - p.stride[1] / 2
    y0 = -pads.top + ekh / 2 - p.stride[0] / 2
    return (x0, y0), (float(p.stride[1]), float(p.stride[0]))


def size_formulas(r: PipelineResult) -> str:
    """Return the output-size formula of both axes, worked out with ``r``'s numbers (HTML)."""
    p, pads = r.params, r.pads
    if p.family == "transposed":
        return transpose_formulas(r.input_hw, r.kernel_hw, p).replace("; ", "<br>")
    rows = output_size_example("H", r.input_hw[0], r.kernel_hw[0], p.stride[0],
                               p.dilation[0], pads.top, pads.bottom)
    cols = output_size_example("W", r.input_hw[1], r.kernel_hw[1], p.stride[1],
                               p.dilation[1], pads.left, pads.right)
    return f"{rows}<br>{cols}"


OUTPUT_TITLES = {"standard": "Convolution output", "transposed": "Transposed conv output",
                 "depthwise": "Depthwise output", "separable": "Separable output"}


def output_title(r: PipelineResult, shown_map: int = 0) -> str:
    """Name the output panel for the mode; a depthwise output names the map on show."""
    title = OUTPUT_TITLES[r.params.family]
    if r.conv.ndim == 3:
        maps, m = r.conv.shape[2], r.params.depth_multiplier
        k = min(shown_map, maps - 1)
        channel = "RGB"[k // m] if r.channels == 3 else f"channel {k // m + 1}"
        title = f"{title.split()[0]} map {k + 1} of {maps} ({channel})"
    return title


class PanelGroup(QObject):
    """Image panels drawn at one scale: one screen size per pixel, in every panel.

    The images fill the free space together: the scale is the largest at which every shown
    image fits its view, and the splitter gives each panel a width in proportion to its
    image's. A zoom or pan in one panel (by the user) shows the same place in the others.
    """

    def __init__(self, panels: list[ImagePanel], splitter: QSplitter | None = None) -> None:
        super().__init__(panels[0])
        self.panels = panels
        self.splitter = splitter
        for p in panels:
            p.group = self
        self.fitted = True
        if splitter is not None:
            splitter.installEventFilter(self)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._refit)

    def shown(self) -> list[ImagePanel]:
        """Return the panels showing an image now."""
        return [p for p in self.panels if p.data is not None and not p.isHidden()]

    def fit(self) -> None:
        """Fit every image again (a new shape, a new window size), until the next zoom."""
        self.fitted = True
        self.share_width()
        self._refit()
        self.refit_soon()  # again once the splitter has laid the panels out

    def share_width(self) -> None:
        """Give each shown panel the width its image needs at the largest common scale.

        A panel needs its image's width times the scale, plus what is not its view (the
        colour bar, margins); the scale is the one at which the widths add up to the
        splitter's and every image also fits its view's height.
        """
        sp = self.splitter
        shown = self.shown()
        if sp is None or not shown or sp.width() <= 0:
            return
        extra = {id(p): max(0, p.width() - p.view.width()) for p in shown}
        room = sp.width() - sp.handleWidth() * (len(shown) - 1) - sum(extra.values())
        widths = sum(p.data.shape[1] for p in shown if p.data is not None)
        heights = min(p.view.height() / p.data.shape[0] for p in shown if p.data is not None)
        scale = max(0.0, min(room / max(1, widths), heights))
        sizes = []
        for p in self.panels:
            if p in shown and p.data is not None:
                sizes.append(max(p.minimumSizeHint().width(),
                                 round(p.data.shape[1] * scale + extra[id(p)])))
            else:
                sizes.append(0)
        sp.setSizes(sizes)

    def refit_soon(self) -> None:
        """Fit on the next event-loop turn (after a resize), unless the user zoomed."""
        if self.fitted:
            self._timer.start()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        """Share the splitter's new width when the window resizes (not on a handle drag)."""
        if watched is self.splitter and event.type() == QEvent.Type.Resize and self.fitted:
            self.share_width()
            self.refit_soon()
        return False

    def scale(self) -> float:
        """Return the screen pixels per image pixel that fit every shown image (0: none)."""
        shown = self.shown()
        if not shown:
            return 0.0
        return min(min(p.view.width() / p.data.shape[1], p.view.height() / p.data.shape[0])
                   for p in shown if p.data is not None) * 0.98

    def _refit(self) -> None:
        if not self.fitted:
            return
        scale = self.scale()
        if scale <= 0:
            return
        for p in self.shown():
            assert p.data is not None
            h, w = p.data.shape[:2]
            self._place(p, w / 2, h / 2, scale)

    @staticmethod
    def _place(p: ImagePanel, cx: float, cy: float, scale: float) -> None:
        half_w, half_h = p.view.width() / scale / 2, p.view.height() / scale / 2
        p.view.setRange(xRange=(cx - half_w, cx + half_w), yRange=(cy - half_h, cy + half_h),
                        padding=0.0)

    def follow(self, source: ImagePanel) -> None:
        """Show in every panel the place and scale the user zoomed or panned ``source`` to."""
        self.fitted = False
        (x0, x1), (y0, y1) = source.view.viewRange()
        if x1 <= x0 or source.view.width() <= 0:
            return
        scale = source.view.width() / (x1 - x0)
        (ox, oy), (sx, sy) = source.placement
        ix, iy = ox + (x0 + x1) / 2 * sx, oy + (y0 + y1) / 2 * sy  # the centre, in the input
        for p in self.shown():
            if p is not source:
                (px, py), (qx, qy) = p.placement
                self._place(p, (ix - px) / qx, (iy - py) / qy, scale)
