"""The two animator pages: a conv step (input, kernel, products, sum, output) and a pool step."""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ...core import ConvSteps, PoolSteps
from ...core.channels import channel_names
from ..explain import explain
from ..theme import scale_font
from .arithmetic import ArithmeticView
from .cells import widest_template
from .grid import GridView, Overlay
from .labels import Title
from .model import AnimatorModel
from .tensor import ChannelRow
from .text import conv_panels, pool_panels

CHANNEL_NAMES = ("R", "G", "B")
LOOK_AHEAD = 12  # steps a followed grid looks ahead to draw its next part early


def prepare_ahead(input_grid: GridView, output_grid: GridView, steps: ConvSteps | PoolSteps,
                  index: int, size: tuple[int, int]) -> None:
    """Let a followed input or output grid draw a band of the part the coming steps move to.

    Each grid draws at most one band a step, sized to have its part done before it is shown
    (:meth:`.parts.Parts.draw_ahead`), so that a frame draws half a part at most, even when
    both grids move on together; only parts that come a frame or two apart (fast, with a
    narrow grid) may still take a whole one.
    """
    if not (input_grid.following or output_grid.following):
        return
    sh, sw = steps.stride
    cells = [steps.position(j) for j in range(index + 1, min(index + 1 + LOOK_AHEAD, len(steps)))]
    input_grid.prepare_ahead([(r * sh, c * sw, *size) for r, c in cells])
    output_grid.prepare_ahead([(r, c, 1, 1) for r, c in cells])


MIDDLE_SHARE = (0.25, 0.45)  # the arithmetic's column: at least, at most this share of the page
POOL_MIDDLE_SHARE = (0.2, 0.3)  # a pool step's few lines wrap well: the grids come first
GRID_WANT_CAP = 900.0      # a grid larger than this shares the room as if it were this wide
ARITHMETIC_SHARE = 0.65    # of that column's height, at most this for the sums


def grid_want(grid: GridView) -> float:
    """Return the width that shows a grid whole at legible cells."""
    bl, _ = grid.bands()
    return bl + grid.shape[1] * math.ceil(grid.min_cell) + 16  # + the layout's spacing


def split_columns(layout: QHBoxLayout, width: int, want_middle: float, left: GridView,
                  right: GridView, shares: tuple[float, float] = MIDDLE_SHARE, *,
                  whole_left: bool = True) -> float:
    """Share ``width`` out between the input, the arithmetic's column and the output.

    The arithmetic gets what it wants within ``shares`` of the width; the input is shown
    whole when the output can give it the room (a followed output still fills in), else the
    grids share the rest in proportion to what they want, each at most GRID_WANT_CAP. The
    shares are stretch factors, so the columns' minimum sizes still hold. Without
    ``whole_left`` the grids always share in proportion (the Learn page's right grid is as
    large as its left). Return the arithmetic's share.
    """
    lo, hi = shares
    middle = max(width * lo, min(want_middle, width * hi))
    rest = max(1.0, width - middle)
    want_left, want_right = grid_want(left), grid_want(right)
    spare = rest - right.minimumSizeHint().width()
    share = rest * min(want_left, GRID_WANT_CAP) / max(
        min(want_left, GRID_WANT_CAP) + min(want_right, GRID_WANT_CAP), 1.0)
    if whole_left and want_left <= spare:
        share = max(share, want_left)
    for i, part in enumerate((share, middle, rest - share)):
        stretch = max(1, round(part))
        if layout.stretch(i) != stretch:
            layout.setStretch(i, stretch)
    return middle


def _title(text: str) -> Title:
    return Title(text)


class ConvPage(QWidget):
    """Input with the sliding window, the kernel, the products and the output filling in."""

    def __init__(self, model: AnimatorModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("figure", True)  # File ▸ Export view, Ctrl+C
        self.model = model
        self.input_title = _title("Input")
        self.input_grid = GridView(indices=True)
        self.follow_note = QLabel("")
        self.follow_note.setWordWrap(True)
        scale_font(self.follow_note, 0.85)
        self.crop_button = QToolButton()
        self.crop_button.setText("Pick a region…")  # the tab places it by the phase buttons
        self.crop_button.setToolTip("Pick a small region on the Workspace to step through, "
                                    "small enough to show whole")
        self.crop_button.setVisible(False)
        self.channel = QComboBox()
        self.channel.addItems([f"channel {n}" for n in CHANNEL_NAMES])
        self.channel.setToolTip("Which channel's numbers the grids show; the sum uses all")
        # Never narrower than its longest entry: squeezed, it read "chann", and which channel
        # (or which of a layer's 32 maps) the grids show is the point of it.
        self.channel.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.channel.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.channel.currentIndexChanged.connect(self._on_channel)
        self.kernel_grid = GridView(whole=True)
        self.kernel_grid.max_cell = 72
        self.kernel_grid.hint_template = "88"  # wider weights (−1.5) shrink a little, still whole
        self.products_grid = GridView(whole=True)
        self.products_grid.max_cell = 72
        self.products_grid.hint_template = "88"  # wider products shrink a little, still whole
        self.arithmetic = ArithmeticView()
        self.output_title = _title("Output")
        self.output_grid = GridView(indices=True)
        self.channels = ChannelRow(model)   # a multi-channel source's tensors
        self.channels.setVisible(False)
        self._names: tuple[str, ...] = ()   # the source's channels' names (none: one channel)
        self._filter = 0
        # Each map's colour levels and widest number, worked out once a trace: a jump to
        # another filter's step then costs no pass over a 512² map.
        self._map_looks: dict[int, tuple[tuple[float, float], str]] = {}
        self._looks_for: object = None
        self._looks_relu = False

        left = QVBoxLayout()
        head = QHBoxLayout()
        head.addWidget(self.input_title)
        head.addStretch(1)
        head.addWidget(self.channel)
        left.addLayout(head)
        left.addWidget(self.input_grid, 1)
        left.addWidget(self.follow_note)
        middle = QGridLayout()
        middle.addWidget(_title("Kernel w"), 0, 0)
        middle.addWidget(_title("Products"), 0, 1)
        middle.addWidget(self.kernel_grid, 1, 0)
        middle.addWidget(self.products_grid, 1, 1)
        middle.addWidget(self.arithmetic, 2, 0, 1, 2)
        middle.setRowStretch(1, 2)
        middle.setRowStretch(2, 3)
        self._middle = middle
        right = QVBoxLayout()
        right.addWidget(self.output_title)
        right.addWidget(self.output_grid, 1)
        layout = QHBoxLayout()
        # The middle column holds the arithmetic, which needs the width most: a narrow window
        # takes it from the input and output grids, which show a part instead.
        layout.addLayout(left, 4)
        layout.addLayout(middle, 5)
        layout.addLayout(right, 3)
        self._columns = layout
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.channels)
        outer.addLayout(layout, 1)
        self.explain_button = explain(self, "animator.conv", beside=self.input_title)
        model.traceChanged.connect(self._on_trace)
        model.stepChanged.connect(self.refresh)
        self.input_grid.viewChanged.connect(self._on_view_changed)
        self._on_trace()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        """Share the width out between the grids and the arithmetic."""
        self._split()
        super().resizeEvent(event)

    def _split(self) -> None:
        kernel = self.kernel_grid.minimumSizeHint().width() + self.products_grid.sizeHint().width()
        middle = split_columns(self._columns, self.width(),
                               max(self.arithmetic.wanted_width(), kernel),
                               self.input_grid, self.output_grid)
        # Down the middle: the sums as much height as they want at their own size (up to
        # ARITHMETIC_SHARE), the kernel and products grids the rest (they shrink, whole).
        room = max(1, self.height() - self.output_title.sizeHint().height()
                   - (self.channels.sizeHint().height() if self.channels.isVisibleTo(self)
                      else 0))
        text = min(self.arithmetic.wanted_height(round(middle)), room * ARITHMETIC_SHARE)
        for row, share in ((1, room - text), (2, text)):
            stretch = max(1, round(share))
            if self._middle.rowStretch(row) != stretch:
                self._middle.setRowStretch(row, stretch)

    @property
    def shown_channel(self) -> int:
        """The channel the grids show (0 for a one-channel source)."""
        return self.channel.currentIndex() if self.model.source.ndim == 3 else 0

    def _on_channel(self) -> None:
        self._on_trace()

    def _fit_channels(self, channels: int) -> tuple[str, ...]:
        """Offer one entry a channel of the source (R, G, B, or 32 maps); return the names."""
        names = channel_names(channels)
        entries = [f"channel {n}" if len(n) == 1 else f"input {n}" for n in names]
        if [self.channel.itemText(i) for i in range(self.channel.count())] != entries:
            keep = self.channel.currentIndex()
            self.channel.blockSignals(True)
            self.channel.clear()
            self.channel.addItems(entries)
            self.channel.setCurrentIndex(keep if 0 <= keep < len(entries) else 0)
            self.channel.blockSignals(False)
        return names

    @staticmethod
    def _looks(output: np.ndarray, relu: bool) -> dict[int, tuple[tuple[float, float], str]]:
        """Return each map's colour levels, and the widest number of them all (one pass)."""
        out = np.maximum(output, 0) if relu else output
        maps = out if out.ndim == 3 else out[:, :, None]
        with np.errstate(invalid="ignore"):
            peaks = np.nanmax(np.abs(np.where(np.isfinite(maps), maps, np.nan)), axis=(0, 1))
        template = widest_template(maps)
        return {f: ((-max(float(p), 1e-9), max(float(p), 1e-9)) if np.isfinite(p)
                    else (-1.0, 1.0), template) for f, p in enumerate(peaks)}

    def _show_filter(self, f: int) -> None:
        """Put filter ``f``'s weights (the shown channel) and its output map on the grids."""
        m = self.model
        steps = m.conv
        assert steps is not None
        self._filter = f
        kernel = steps.filter_kernel(f)
        self.kernel_grid.show_array(kernel[:, :, self.shown_channel] if kernel.ndim == 3
                                    else kernel, kind="diverging")
        out = steps.output if steps.output.ndim == 2 else steps.output[:, :, f]
        shown = np.maximum(out, 0) if m.relu else out
        if self._looks_for is not steps or m.relu != self._looks_relu:
            self._map_looks = self._looks(steps.output, m.relu)
            self._looks_for, self._looks_relu = steps, m.relu
        look = self._map_looks[f]
        self.output_grid.show_array(shown, kind="diverging", levels=look[0], template=look[1])
        oh, ow = out.shape
        relu = " after ReLU" if m.relu else ""
        if steps.filters > 1:
            self.output_title.setText(f"<b>Map {f} of {steps.filters}: {oh}×{ow}</b>{relu}")
        else:
            self.output_title.setText(f"<b>Output {oh}×{ow}</b>{relu}")

    def _on_trace(self) -> None:
        m = self.model
        steps = m.conv
        if steps is None:
            return
        multi = m.source.ndim == 3
        self.channel.setVisible(multi)
        self._names = self._fit_channels(m.source.shape[2]) if multi else ()
        ch = self.shown_channel
        padded = steps.padded[:, :, ch] if multi else steps.padded
        pads = steps.pads
        # A trained layer's input is its first layer's maps: grey from 0 to the map's largest.
        levels = ((min(0.0, float(padded.min())), max(float(padded.max()), 1e-9))
                  if m.stepping_trained else (0.0, 255.0))
        self.input_grid.show_array(padded, levels=levels, kind="grey",
                                 pad=(pads.top, pads.left, pads.bottom, pads.right))
        h, w = m.source.shape[:2]
        padded_by = (pads.top, pads.left, pads.bottom, pads.right)
        # The title stays one short line; the padding's sides are in the grid (dashed cells)
        # and in the tooltip.
        self.input_title.setText(f"<b>Input {h}×{w}</b>"
                                 + (" + zero padding" if any(padded_by) else ""))
        self.input_title.setToolTip(
            f"Zero padding: top {pads.top}, left {pads.left}, bottom {pads.bottom}, right "
            f"{pads.right}" if any(padded_by) else "")
        step = m.conv_step()
        self.arithmetic.set_template(conv_panels(
            step, steps.filter_kernel(step.filter), sub=2, relu=m.relu, channel=ch,
            channel_names=self._names, filters=steps.filters))
        self.channels.setVisible(multi)
        if multi:
            self.channels.show_trace(ch)
        self._split()
        self._show_filter(m.conv_step().filter)
        self.refresh()

    def refresh(self) -> None:
        """Show the current step's window, products, sum and output cell."""
        m = self.model
        if m.conv is None or m.learning:  # the Learn page is shown: nothing here moved
            return
        step = m.conv_step()
        steps = m.conv
        kh, kw = steps.kernel.shape[:2]
        dh, dw = steps.dilation
        top, left = step.window
        taps = tuple((top + i * dh, left + j * dw) for i in range(kh) for j in range(kw))
        window = (top, left, (kh - 1) * dh + 1, (kw - 1) * dw + 1)
        in_conv = m.in_conv
        sub = m.cursor.sub if in_conv else 2
        self.input_grid.set_overlay(Overlay(window=window, taps=taps))
        ch = self.shown_channel
        if step.filter != self._filter:  # the next filter fills the next map
            self._show_filter(step.filter)
        products = step.products[:, :, ch] if step.products.ndim == 3 else step.products
        self.products_grid.show_array(products, kind="diverging")
        plane = steps.output.shape[0] * steps.output.shape[1]
        filled = step.index - step.filter * plane + (1 if sub >= 2 else 0)
        self.output_grid.set_overlay(Overlay(current=step.out_pos, filled=filled))
        if self.channels.isVisibleTo(self):
            self.channels.show_step(ch)
        kernel = steps.filter_kernel(step.filter)
        self.arithmetic.show_panels(conv_panels(step, kernel, sub=sub, relu=m.relu, channel=ch,
                                                channel_names=self._names,
                                                filters=steps.filters))
        prepare_ahead(self.input_grid, self.output_grid, steps, step.index, window[2:])

    def _on_view_changed(self) -> None:
        following = self.input_grid.following
        if following:
            rows, cols = self.input_grid.shape
            self.follow_note.setText(f"Part of {rows}×{cols}: the whole would be too small "
                                     "to read.")
        self.follow_note.setVisible(following)
        self.crop_button.setVisible(following)


class PoolPage(QWidget):
    """The pool input in blocks, the current block and its winner, the pooled output."""

    def __init__(self, model: AnimatorModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("figure", True)  # File ▸ Export view, Ctrl+C
        self.model = model
        self.input_title = _title("Pool input")
        self.input_grid = GridView(indices=True)
        self.arithmetic = ArithmeticView()
        self.output_title = _title("Pooled")
        self.output_grid = GridView(indices=True)
        left = QVBoxLayout()
        left.addWidget(self.input_title)
        left.addWidget(self.input_grid, 1)
        middle = QVBoxLayout()
        middle.addWidget(_title("This block"))
        middle.addWidget(self.arithmetic, 1)
        right = QVBoxLayout()
        right.addWidget(self.output_title)
        right.addWidget(self.output_grid, 1)
        layout = QHBoxLayout(self)
        layout.addLayout(left, 5)
        layout.addLayout(middle, 3)
        layout.addLayout(right, 4)
        self.explain_button = explain(self, "animator.pool", beside=self.input_title)
        model.traceChanged.connect(self._on_trace)
        model.stepChanged.connect(self.refresh)
        self._on_trace()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        """Share the width out between the grids and the arithmetic."""
        self._split()
        super().resizeEvent(event)

    def _split(self) -> None:
        layout = self.layout()
        assert isinstance(layout, QHBoxLayout)
        split_columns(layout, self.width(), self.arithmetic.wanted_width(), self.input_grid,
                      self.output_grid, POOL_MIDDLE_SHARE)

    def _on_trace(self) -> None:
        m = self.model
        steps = m.pool
        if steps is None:
            return
        from_conv = m.pool_input == "conv"
        kind = "diverging" if from_conv else "grey"
        levels = None if from_conv else (0.0, 255.0)
        self.input_grid.show_array(steps.padded, kind=kind, levels=levels)
        self.output_grid.show_array(steps.output, kind=kind, levels=levels)
        h, w = steps.padded.shape
        filters = m.conv.filters if m.conv is not None else 1
        conv = f"conv map 0 of {filters}" if filters > 1 else (
            "transposed output" if m.transpose is not None else "conv output")
        if m.family == "separable" and filters > 1:
            conv = f"pointwise sum of the {filters} maps + bias"
        what = conv + (" after ReLU" if m.relu else "") if from_conv else "image"
        self.input_title.setText(f"<b>Pool input: {what} {h}×{w}</b>")
        oh, ow = steps.output.shape
        ph, pw = steps.pool
        self.output_title.setText(f"<b>{'Max' if m.pool_op == 'max' else 'Average'}-pooled "
                                  f"{ph}×{pw} → {oh}×{ow}</b>")
        self.arithmetic.set_template(pool_panels(steps[0], m.pool_op))
        self._split()
        self.refresh()

    def refresh(self) -> None:
        """Show the current block, its winner and the pooled cell."""
        m = self.model
        step = m.pool_step()
        steps = m.pool
        if steps is None or m.learning:
            return
        if step is None:  # still in the conv phase: show the empty pooled grid
            self.input_grid.set_overlay(Overlay())
            self.output_grid.set_overlay(Overlay(filled=0))
            self.arithmetic.show_panels(())
            return
        ph, pw = steps.pool
        blocks = (ph, pw) if steps.stride == steps.pool else None
        winner = step.winner if m.pool_op == "max" else None
        self.input_grid.set_overlay(Overlay(window=(*step.window, ph, pw), winner=winner,
                                            blocks=blocks))
        self.output_grid.set_overlay(Overlay(current=step.out_pos, filled=step.index + 1))
        self.arithmetic.show_panels(pool_panels(step, m.pool_op))
        prepare_ahead(self.input_grid, self.output_grid, steps, step.index, (ph, pw))
