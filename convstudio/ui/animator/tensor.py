"""The layer's tensors at a glance, with the window moving through all of them.

The input's C slices, the F filters' kh×kw×C weights and the output's F maps.

Each strip draws small pictures of its slices once per trace into a cached pixmap; a step
only moves the outlines (the window on every input slice, the current filter and channel, the
current cell on the current map), so playing costs no more than the grids below.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFontMetrics,
    QImage,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmap,
    QResizeEvent,
    QTextDocumentFragment,
)
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QWidget

from ...core.channels import channel_names, filter_notes, maps_caption, page_of
from ..theme import presentation, scale_font
from .cells import WINDOW_COLOUR, lut
from .model import AnimatorModel

GAP = 4          # between the slices of one item
ITEM_GAP = 10    # between items (filters, maps)
CURRENT = QColor("#0072B2")   # Okabe–Ito blue: the current channel, filter or map
# A trained layer's 32 channels and 64 maps are shown a page at a time, the current one in
# it: all of them would draw every slice a few pixels wide. Pages of (input channels, filters,
# output maps), the largest that fits the row's width first.
PAGES = ((8, 4, 8), (8, 2, 8), (4, 2, 8), (4, 2, 4), (4, 1, 4), (2, 1, 2))


def _picture(values: np.ndarray, kind: str, side: int,
             levels: tuple[float, float] | None = None) -> QImage:
    """Return ``values`` coloured and scaled to fit a ``side``-pixel square (nearest cells).

    ``levels``: the values drawn darkest and brightest (grey: 0 and 255 by default).
    """
    v = np.asarray(values, np.float32)
    finite = v[np.isfinite(v)]
    if levels is not None:
        lo, hi = levels[0], max(levels[1], levels[0] + 1e-9)
    elif kind == "grey":
        lo, hi = 0.0, 255.0
    else:
        m = float(np.abs(finite).max()) if finite.size else 1.0
        lo, hi = -max(m, 1e-9), max(m, 1e-9)
    idx = np.clip((np.nan_to_num(v, nan=lo) - lo) * (255.0 / (hi - lo)), 0, 255)
    rgb = np.ascontiguousarray(lut(kind)[idx.astype(np.uint8)])
    h, w = v.shape
    scale = side / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    import cv2

    interp = cv2.INTER_NEAREST if scale >= 1 else cv2.INTER_AREA
    small = np.ascontiguousarray(cv2.resize(rgb, (nw, nh), interpolation=interp))
    return QImage(small.data, nw, nh, 3 * nw, QImage.Format.Format_RGB888).copy()


class TensorStrip(QWidget):
    """Items left to right (filters, maps), each a row of 2-D slices, with outlines."""

    def __init__(self, parent: QWidget | None = None, *, share: float = 1.0) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.share = share   # of the standard picture size (a kernel's slices are small)
        scale_font(self, 0.8)
        self._items: list[list[np.ndarray]] = []
        self._labels: list[str] = []
        self._kind = "grey"
        self._levels: tuple[float, float] | None = None
        self._cache: QPixmap | None = None
        self._cache_fit = 1.0
        self._xs: list[float] | None = None
        self.focus: tuple[int, int | None] = (0, None)   # item, slice (None: all its slices)
        self.box: tuple[int, int, int, int] | None = None  # in array cells, on focused slices
        presentation().changed.connect(self._restyle)

    @property
    def side(self) -> int:
        """Side of one slice's picture in pixels."""
        return max(12, round(34 * self.share * presentation().scale))

    def _restyle(self) -> None:
        self._cache = None
        self._xs = None
        self.updateGeometry()
        self.update()

    def set_items(self, items: list[list[np.ndarray]], labels: list[str], kind: str,
                  levels: tuple[float, float] | None = None) -> None:
        """Show ``items`` (each a list of 2-D slices) captioned by ``labels``."""
        self._items, self._labels, self._kind, self._levels = items, labels, kind, levels
        self._cache = None
        self._xs = None
        self.updateGeometry()
        self.update()

    def set_focus(self, item: int, slice_: int | None,
                  box: tuple[int, int, int, int] | None) -> None:
        """Outline ``item`` (and its slice ``slice_``) and the cells ``box`` on its slices."""
        if (item, slice_) == self.focus and box == self.box:
            return
        # On a 512² slice drawn 40 px wide a step moves the box a tenth of a pixel: repaint
        # only when it lands on another pixel.
        moved = (item, slice_) != self.focus or self._box_pixels(box) != self._box_pixels(self.box)
        self.focus, self.box = (item, slice_), box
        if moved:
            self.update()

    def _box_pixels(self, box: tuple[int, int, int, int] | None) -> tuple[int, ...] | None:
        if box is None or not self._items:
            return None
        h, w = self._items[min(self.focus[0], len(self._items) - 1)][0].shape
        scale = self.side / max(h, w) * self._fit()
        r, c, bh, bw = box
        return (int(r * scale), int(c * scale), int((r + bh) * scale), int((c + bw) * scale))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        """Measure the labels again in a new font (projection mode, zoom)."""
        if event.type() == QEvent.Type.FontChange:
            self._restyle()
        super().changeEvent(event)

    def _label_height(self) -> int:
        return QFontMetrics(self.font()).height()

    def _item_width(self, item: list[np.ndarray]) -> int:
        return len(item) * self.side + GAP * max(0, len(item) - 1)

    def _slot_width(self, n: int) -> int:
        """Return the width of item ``n``: its pictures, or its label where that is wider."""
        label = QFontMetrics(self.font()).horizontalAdvance(self._labels[n])
        return max(self._item_width(self._items[n]), label)

    def _origins(self) -> list[float]:
        """Left edges of the items, and the strip's whole width last (kept until a change)."""
        if self._xs is None:
            xs, x = [], 2.0
            for n in range(len(self._items)):
                xs.append(x)
                x += self._slot_width(n) + ITEM_GAP
            self._xs = [*xs, x]
        return self._xs[:-1]

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        """Room for every item at its picture size, and its label."""
        self._origins()
        assert self._xs is not None
        return QSize(max(40, round(self._xs[-1]) + 2), self.side + self._label_height() + 6)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        """Ask for a little room: a narrower strip draws its pictures smaller."""
        return QSize(80, self.side + self._label_height() + 6)

    def _fit(self) -> float:
        """Return the scale the strip is drawn at (below 1 where it is narrower)."""
        hint = self.sizeHint().width()
        return self.width() / hint if hint > self.width() > 0 else 1.0

    def _render(self, f: float) -> QPixmap:
        dpr = self.devicePixelRatioF()
        hint = self.sizeHint()
        pm = QPixmap(max(1, round(hint.width() * f * dpr)),
                     max(1, round(hint.height() * f * dpr)))
        pm.setDevicePixelRatio(dpr)
        pm.fill(self.palette().window().color())
        p = QPainter(pm)
        p.scale(f, f)  # drawn once at the size shown: each frame copies it unscaled
        p.setFont(self.font())  # a pixmap's painter has the application's font, not ours
        p.setPen(self.palette().windowText().color())
        lh = self._label_height()
        for n, (x, item, label) in enumerate(zip(self._origins(), self._items, self._labels,
                                                 strict=True)):
            for k, values in enumerate(item):
                image = _picture(values, self._kind, self.side, self._levels)
                p.drawImage(QPointF(x + k * (self.side + GAP), lh + 2), image)
            p.drawText(QRectF(x, 0, self._slot_width(n) + ITEM_GAP, lh),
                       int(Qt.AlignmentFlag.AlignLeft), label)
        p.end()
        return pm

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        """Draw the cached pictures, then the current item, slice and box."""
        f = self._fit()
        if self._cache is None or self._cache_fit != f:
            self._cache, self._cache_fit = self._render(f), f
        p = QPainter(self)
        p.fillRect(self.rect(), self.palette().window())
        p.drawPixmap(QPointF(0, 0), self._cache)
        p.scale(f, f)  # narrower than its pictures: all of them, smaller
        if not self._items:
            p.end()
            return
        item, chosen = self.focus
        item = min(item, len(self._items) - 1)
        x0 = self._origins()[item]
        top = self._label_height() + 2
        slices = self._items[item]
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(QPen(CURRENT, 2.0 * presentation().scale))
        p.drawRect(QRectF(x0 - 2, top - 2, self._item_width(slices) + 4, self.side + 4))
        for n, values in enumerate(slices):
            h, w = values.shape
            scale = self.side / max(h, w)
            left = x0 + n * (self.side + GAP)
            if chosen == n:
                p.setPen(QPen(CURRENT, 1.5 * presentation().scale, Qt.PenStyle.DashLine))
                p.drawRect(QRectF(left - 1, top - 1, w * scale + 2, h * scale + 2))
            if self.box is not None and (chosen is None or chosen == n or len(slices) > 1):
                r, c, bh, bw = self.box
                p.setPen(QPen(WINDOW_COLOUR, 2.0))
                p.drawRect(QRectF(left + c * scale, top + r * scale, max(3.0, bw * scale),
                                  max(3.0, bh * scale)))
        p.end()


class ChannelRow(QWidget):
    """The input, kernel and output tensors of a multi-channel step, and the layer's caption."""

    def __init__(self, model: AnimatorModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.input_strip, self.kernel_strip, self.output_strip = (
            TensorStrip(), TensorStrip(share=0.5), TensorStrip())
        self._pages: tuple[range, range, range] | None = None  # channels, filters, maps shown
        self._shown = 0  # the channel the grids show, in its page
        self._sizes_for: tuple[object, ...] = ()  # what the page sizes were measured for
        self._sizes = (1, 1, 1)
        self.caption = QLabel("")
        self.caption.setObjectName("maps_caption")
        self.caption.setWordWrap(True)
        scale_font(self.caption, 0.95)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        # The input's three slices keep their size; the filters and maps, many more, shrink.
        self.input_strip.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        for strip in (self.input_strip, self.kernel_strip, self.output_strip):
            row.addWidget(strip)
        # Beside the tensors it counts: a row of the page's height saved on a projector. On a
        # few lines at most: the strips draw their pictures smaller to leave it the room.
        row.addWidget(self.caption, 1)
        self._fit_caption()
        self.setLayout(row)

    def _fit_caption(self) -> None:
        """Give the caption room for as many lines as the pictures are high.

        24 to 44 characters a line. On four lines, beside strips drawn to the row's full
        width, it made the row higher than the pictures: 26 px more than a 1280×720
        projector has.
        """
        fm = self.caption.fontMetrics()
        char = fm.averageCharWidth()
        lines = max(2, self.input_strip.sizeHint().height() // max(1, fm.lineSpacing()))
        plain = QTextDocumentFragment.fromHtml(self.caption.text()).toPlainText()
        need = fm.horizontalAdvance(plain) // lines + 3 * char
        self.caption.setMinimumWidth(max(24 * char, min(need, 44 * char)))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        """Keep the caption's width in step with its font (projection mode, zoom)."""
        if event.type() == QEvent.Type.FontChange:
            self._fit_caption()
        super().changeEvent(event)

    def show_trace(self, channel: int) -> None:
        """Draw the trace's tensors (a new trace) for the channel the grids show."""
        steps = self.model.conv
        if steps is None:
            return
        self._pages = None
        c = steps.padded.shape[2]
        # Three colour channels keep their size; a page of a layer's maps shrinks with the rest.
        paged = QSizePolicy.Policy.Preferred if c > 3 else QSizePolicy.Policy.Fixed
        self.input_strip.setSizePolicy(paged, QSizePolicy.Policy.Fixed)
        kernel = steps.kernel if steps.kernel.ndim == 4 else steps.kernel[..., None]
        f = kernel.shape[3]
        out = steps.output if steps.output.ndim == 3 else steps.output[..., None]
        kh, kw = kernel.shape[:2]
        h, w = self.model.source.shape[:2]
        shape = f"<b>{h}×{w}×{c} → {out.shape[0]}×{out.shape[1]}×{f}:</b> "
        params = f * (kh * kw * c + 1)
        layer = self.model.trained if self.model.stepping_trained else None
        if layer is not None:  # the trained network's own layer, on its first layer's maps
            # Short beside the tensors (a projector leaves it a narrow column); the tooltip
            # says which maps of which image.
            self.caption.setText(shape + f"{layer.name}, " + maps_caption(kernel.shape,
                                                                          out.shape[:2]))
            self.caption.setToolTip(
                f"{layer.name} of the trained CNN on {layer.receives}, of "
                f"{self.model.trained_about}\n{f} × ({kh}×{kw}×{c} + 1) = {params} parameters, "
                "as the Training tab's network learnt them")
        else:
            self.caption.setText(shape + maps_caption(kernel.shape, out.shape[:2]))
            self.caption.setToolTip(f"{f} × ({kh}×{kw}×{c} + 1) = {params} parameters\n"
                                    + "\n".join(f"filter {j}: {note}"
                                                for j, note in enumerate(filter_notes(c, f))))
        depthwise = self.model.depthwise_caption()
        if depthwise is not None:  # each map from one channel's kernel, not kh×kw×C weights
            self.caption.setText(depthwise[0])
            self.caption.setToolTip(depthwise[1])
        self._fit_caption()
        self.show_step(channel)

    def _page_sizes(self, c: int, f: int) -> tuple[int, int, int]:
        """Return how many channels, filters and maps a page holds (all, where they fit).

        Pictures and labels keep their size: a colour image's 8 filters squeezed into a
        1024-wide projector's row were drawn at half size, their labels unreadable.
        """
        room = self.width() - self.caption.minimumWidth() - 4 * ITEM_GAP
        sk, si = self.kernel_strip.side, self.input_strip.side
        key = (room, c, f, sk, si, self.kernel_strip.font().key(), self.output_strip.font().key())
        if key == self._sizes_for:  # asked every step: measured once per width and font
            return self._sizes

        def text(strip: TensorStrip, label: str) -> int:
            return QFontMetrics(strip.font()).horizontalAdvance(label)

        filter_label = text(self.kernel_strip, f"filter {f - 1}")
        first_filter = text(self.kernel_strip, f"filter {f - 1} of {f}")
        map_label = text(self.output_strip, f"map {f - 1}")
        for pc, pf, pm in ((c, f, f), *PAGES):
            # A colour image's three channels are always all there: R, G, B, not "maps 0–1".
            pc, pf, pm = (c if c <= 3 else min(pc, c)), min(pf, f), min(pm, f)
            slices = pc * si + (pc - 1) * GAP
            filter_slices = pc * sk + (pc - 1) * GAP
            need = (max(slices, text(self.input_strip, f"input: maps {c - 2}–{c - 1} of {c}"))
                    + max(filter_slices, first_filter if pf < f else filter_label)
                    + (pf - 1) * max(filter_slices, filter_label) + pf * ITEM_GAP
                    + max(si, text(self.output_strip, f"map {f - 1} of {f}"))
                    + (pm - 1) * max(si, map_label) + pm * ITEM_GAP)
            if need <= room:
                break
        self._sizes_for, self._sizes = key, (pc, pf, pm)
        return pc, pf, pm

    def _pages_for(self, channel: int, filter_: int) -> tuple[range, range, range]:
        """Return the channels, filters and maps shown: all, or the pages holding the current."""
        steps = self.model.conv
        assert steps is not None
        c, f = steps.padded.shape[2], steps.filters
        pc, pf, pm = self._page_sizes(c, f)
        return page_of(channel, c, pc), page_of(filter_, f, pf), page_of(filter_, f, pm)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        """Show pages as large as the new width allows."""
        super().resizeEvent(event)
        if self.model.conv is not None and self._pages is not None \
                and self.model.conv.padded.ndim == 3:
            self.show_step(self._pages[0].start + self._shown)

    def _show_pages(self, pages: tuple[range, range, range]) -> None:
        steps = self.model.conv
        assert steps is not None
        channels, filters, maps = pages
        padded = steps.padded
        c = padded.shape[2]
        names = channel_names(c)
        layer = self.model.trained if self.model.stepping_trained else None
        levels = None
        if layer is not None:  # the maps' own range, not a photo's 0…255
            levels = (min(0.0, float(padded.min())), max(float(padded.max()), 1e-9))
        label = (f"input: {', '.join(names)}" if len(channels) == c else
                 f"input: maps {channels.start}–{channels.stop - 1} of {c}")
        self.input_strip.set_items([[padded[:, :, i] for i in channels]], [label], "grey",
                                   levels)
        kernel = steps.kernel if steps.kernel.ndim == 4 else steps.kernel[..., None]
        f = kernel.shape[3]
        self.kernel_strip.set_items([[kernel[:, :, i, j] for i in channels] for j in filters],
                                    [f"filter {j}" + (f" of {f}" if n == 0 and len(filters) < f
                                                      else "") for n, j in enumerate(filters)],
                                    "diverging")
        out = steps.output if steps.output.ndim == 3 else steps.output[..., None]
        self.output_strip.set_items([[out[:, :, j]] for j in maps],
                                    [f"map {j}" + (f" of {f}" if n == 0 and len(maps) < f
                                                   else "") for n, j in enumerate(maps)],
                                    "diverging")
        self._pages = pages

    def show_step(self, channel: int) -> None:
        """Move the outlines to the current step (and to the page that holds it)."""
        m = self.model
        steps = m.conv
        if steps is None:
            return
        step = m.conv_step()
        pages = self._pages_for(channel, step.filter)
        if pages != self._pages:
            self._show_pages(pages)
        channels, filters, maps = pages
        kh, kw = steps.kernel.shape[:2]
        dh, dw = steps.dilation
        top, left = step.window
        window = (top, left, (kh - 1) * dh + 1, (kw - 1) * dw + 1)
        shown = channel - channels.start
        self._shown = shown
        self.input_strip.set_focus(0, shown, window)  # the window on every channel
        self.kernel_strip.set_focus(step.filter - filters.start, shown, None)
        self.output_strip.set_focus(step.filter - maps.start, 0, (*step.out_pos, 1, 1))
