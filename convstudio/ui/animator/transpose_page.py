"""The transposed conv step: an input pixel scattering kernel × value into an output block.

The same step can be shown as a correlation ("insert zeros, pad, correlate with the kernel
turned 180°"): the zero-inserted, padded input with the window on it, giving the same output
value at the first cell the pixel adds to.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from ...core import TransposeStep, TransposeSteps
from ...core.family import scatter_transpose
from ..theme import scale_font
from .arithmetic import ArithmeticView
from .cells import widest_template
from .grid import GridView, Overlay
from .labels import Title
from .model import AnimatorModel
from .pages import CHANNEL_NAMES, split_columns
from .panel import Panel
from .transpose_text import correlation_panels, plane, scatter_panels

RUNNING_CELLS = 1024  # outputs up to this many cells show their running values, larger final


class WrappedText(QLabel):
    """A word-wrapped label that asks for the height its text needs at the width it has.

    A grid layout gives a wrapped label the height of its first line's width otherwise, and
    the whole grids beside it would keep the rest (the sums were cut on a 1024×768 projector).
    """

    def __init__(self) -> None:
        super().__init__("")
        self.setWordWrap(True)

    def setText(self, text: str) -> None:  # noqa: N802 (Qt override)
        """Show ``text`` and ask for its height."""
        if text != self.text():
            super().setText(text)
            self._fit()

    def _fit(self) -> None:
        old = self.minimumHeight()
        self.setMinimumHeight(0)  # QLabel's height for a width is never below its minimum
        need = max(0, self.heightForWidth(max(1, self.width())))  # -1: no text, no need
        self.setMinimumHeight(old)
        if need != old:
            self.setMinimumHeight(need)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        """Ask again for the height at the new width."""
        super().resizeEvent(event)
        self._fit()


class TransposePage(QWidget):
    """Input pixel, kernel, its products, the output block they add to, and the output."""

    def __init__(self, model: AnimatorModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("figure", True)  # File ▸ Export view, Ctrl+C
        self.model = model
        self.input_title = Title("Input")
        self.input_grid = GridView(indices=True)
        self.as_correlation = QCheckBox("As a correlation")
        self.as_correlation.setToolTip("Show the same output as an ordinary correlation: zeros "
                                       "inserted between the input pixels, padding, and the "
                                       "kernel turned 180°")
        self.as_correlation.toggled.connect(model.set_correlation)
        self.channel = QComboBox()
        self.channel.addItems([f"channel {n}" for n in CHANNEL_NAMES])
        self.channel.setToolTip("Which channel's numbers the input shows; the kernel is the "
                                "same on every channel, so their sum is scattered")
        self.channel.currentIndexChanged.connect(self._on_trace)
        self.kernel_title = Title("Kernel w")
        self.kernel_grid = GridView(whole=True)
        self.products_title = Title("w × x")
        self.products_grid = GridView(whole=True)
        self.block_title = Title("Block now")
        self.block_grid = GridView(whole=True)
        for grid in (self.kernel_grid, self.products_grid, self.block_grid):
            grid.max_cell = 72
            grid.hint_template = "88"
        self.sums = ArithmeticView()  # repaints only itself each step, as the conv page's
        self.shapes = WrappedText()
        scale_font(self.shapes, 0.9)
        self.output_title = Title("Output")
        self.output_grid = GridView(indices=True)
        self._output_for: object = None
        self._running = False

        left = QVBoxLayout()
        left.addWidget(self.input_title)
        left.addWidget(self.input_grid, 1)
        below = QHBoxLayout()  # under the grid: the title keeps the width
        below.addWidget(self.as_correlation)
        below.addWidget(self.channel)
        below.addStretch(1)
        left.addLayout(below)
        middle = QGridLayout()
        for col, (title, grid) in enumerate(((self.kernel_title, self.kernel_grid),
                                             (self.products_title, self.products_grid),
                                             (self.block_title, self.block_grid))):
            middle.addWidget(title, 0, col)
            middle.addWidget(grid, 1, col)
        middle.addWidget(self.sums, 2, 0, 1, 3)
        # The sums and shapes sit right under the little grids, the room left below them.
        middle.setRowStretch(1, 1)
        middle.setRowStretch(2, 1)
        right = QVBoxLayout()
        right.addWidget(self.output_title)
        right.addWidget(self.output_grid, 1)
        layout = QHBoxLayout()
        layout.addLayout(left, 4)
        layout.addLayout(middle, 5)
        layout.addLayout(right, 4)
        self._columns = layout
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addLayout(layout, 1)
        outer.addWidget(self.shapes)  # across the page: a line or two, not a column's five
        model.traceChanged.connect(self._on_trace)
        model.optionsChanged.connect(self._on_trace)
        model.stepChanged.connect(self.refresh)
        self._on_trace()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        """Share the width out between the grids and the middle column."""
        self._split()
        super().resizeEvent(event)

    def _split(self) -> None:
        # Each little grid's column as wide as its one-line title or its smallest cells.
        # The sums wrap under them: the input and output grids get the rest.
        want = sum(max(t.sizeHint().width(), g.minimumSizeHint().width()) for t, g in
                   ((self.kernel_title, self.kernel_grid),
                    (self.products_title, self.products_grid),
                    (self.block_title, self.block_grid)) if g.isVisibleTo(self)) + 24
        split_columns(self._columns, self.width(), want, self.input_grid, self.output_grid)

    def _on_trace(self) -> None:
        m = self.model
        steps = m.transpose
        if steps is None:
            return
        corr = m.correlation
        self.as_correlation.blockSignals(True)
        self.as_correlation.setChecked(corr)
        self.as_correlation.blockSignals(False)
        h, w, c = steps.x.shape
        self.channel.setVisible(c > 1)
        ch = min(self.channel.currentIndex(), c - 1)
        if corr:
            up = m.correlation_steps().padded
            sh, sw = steps.stride
            self.input_grid.show_array(up if up.ndim == 2 else up[:, :, ch], levels=(0.0, 255.0),
                                       kind="grey")
            self.input_title.setText(f"<b>Zero-inserted {up.shape[0]}×{up.shape[1]}</b>")
            self.input_title.setToolTip(f"The input with {sh - 1} zero row(s) and {sw - 1} "
                                        "zero column(s) between its pixels, padded around")
            self.kernel_title.setText("<b>Kernel turned 180°</b>")
            self.products_title.setText("<b>Products</b>" if c == 1 else
                                        "<b>Products, Σ channels</b>")
            flipped = m.correlation_steps().kernel
            # The same kernel on every channel: channel 0's weights are all of them.
            self.kernel_grid.show_array(flipped.reshape(*flipped.shape[:2], -1)[:, :, 0],
                                        kind="diverging")
        else:
            self.input_grid.show_array(steps.x[:, :, ch], levels=(0.0, 255.0), kind="grey")
            self.input_title.setText(f"<b>Input {h}×{w}</b>")
            self.input_title.setToolTip("")
            self.kernel_title.setText("<b>Kernel w</b>")
            self.products_title.setText("<b>w × x</b>" if c == 1 else "<b>w × Σx</b>")
            self.kernel_grid.show_array(steps.kernel[:, :, 0, 0], kind="diverging")
        self.block_title.setVisible(not corr)
        self.block_grid.setVisible(not corr)
        out = steps.output
        oh, ow = out.shape[:2]
        self._running = out.size <= RUNNING_CELLS and not corr
        formula, counts = m.transpose_caption()
        what = ("The output fills in as the pixels add up." if self._running
                else "The output shows its final values.")
        self.shapes.setText(f"Transposed: {formula} · {counts}. {what}")
        relu = " after ReLU" if m.relu else ""
        self.output_title.setText(f"<b>Output {oh}×{ow}</b>{relu}")
        self._output_for = None
        self.sums.set_template(self._panels(m.transpose_step()))
        self._split()
        self.refresh()

    def _show_output(self, values: np.ndarray) -> None:
        m = self.model
        steps = m.transpose
        assert steps is not None
        out = plane(steps.output)
        final = np.maximum(out, 0) if m.relu else out
        peak = float(np.abs(final).max()) if final.size else 1.0
        shown = np.maximum(values, 0) if m.relu else values
        self.output_grid.show_array(shown, kind="diverging", levels=(-max(peak, 1e-9),
                                    max(peak, 1e-9)), template=widest_template(final))

    def refresh(self) -> None:
        """Show the current input pixel, its products, the block they add to, the output."""
        m = self.model
        steps = m.transpose
        if steps is None or m.learning:
            return
        step = m.transpose_step()
        if self._running:
            i = step.index if m.in_conv else len(steps) - 1
            self._show_output(running_output(steps, i))
        elif self._output_for is not steps:
            self._show_output(plane(steps.output))
            self._output_for = steps
        if m.correlation:
            self._refresh_correlation(step)
            return
        r, c = step.in_pos
        self.input_grid.set_overlay(Overlay(current=(r, c)))
        self.products_grid.show_array(plane(step.contributions), kind="diverging")
        self.block_grid.show_array(plane(step.running), kind="diverging")
        cells = [(int(step.targets[i, j, 0]), int(step.targets[i, j, 1])) for i, j in
                 zip(*np.nonzero(step.inside), strict=True)]
        if not cells:
            self.output_grid.set_overlay(Overlay())
            self.sums.show_panels(scatter_panels(step, None, None))
            return
        top, left = min(t for t, _ in cells), min(lf for _, lf in cells)
        bottom, right = max(t for t, _ in cells), max(lf for _, lf in cells)
        self.output_grid.set_overlay(Overlay(window=(top, left, bottom - top + 1,
                                                     right - left + 1), taps=tuple(cells)))
        self.sums.show_panels(scatter_panels(step, (top, left, bottom, right), cells[0]))

    def _panels(self, step: TransposeStep) -> tuple[Panel, ...]:
        """Return the sums of ``step`` in the view shown (a new trace sizes for them)."""
        m = self.model
        if not step.inside.any():
            return scatter_panels(step, None, None)
        if m.correlation:
            i, j = np.argwhere(step.inside)[0]
            return correlation_panels(m.correlation_step(step), float(plane(step.final)[i, j]),
                                      float(m.workspace.params.bias))
        cells = [(int(t[0]), int(t[1])) for t in step.targets[step.inside]]
        rows, cols = [t for t, _ in cells], [lf for _, lf in cells]
        return scatter_panels(step, (min(rows), min(cols), max(rows), max(cols)), cells[0])

    def _refresh_correlation(self, step: TransposeStep) -> None:
        m = self.model
        if not step.inside.any():
            self.input_grid.set_overlay(Overlay())
            self.output_grid.set_overlay(Overlay())
            self.sums.show_panels(scatter_panels(step, None, None))
            return
        corr = m.correlation_steps()
        cstep = m.correlation_step(step)
        kh, kw = corr.kernel.shape[:2]
        dh, dw = corr.dilation
        top, left = cstep.window
        taps = tuple((top + i * dh, left + j * dw) for i in range(kh) for j in range(kw))
        self.input_grid.set_overlay(Overlay(window=(top, left, (kh - 1) * dh + 1,
                                                    (kw - 1) * dw + 1), taps=taps))
        products = cstep.products
        self.products_grid.show_array(products if products.ndim == 2 else products.sum(axis=2),
                                      kind="diverging")
        self.output_grid.set_overlay(Overlay(current=cstep.out_pos))
        self.sums.show_panels(self._panels(step))


def running_output(steps: TransposeSteps, index: int) -> np.ndarray:
    """Return the transposed output once input pixels 0…``index`` have added their shares."""
    h, w = steps.x.shape[:2]
    shown = (np.arange(h * w) <= index).reshape(h, w, 1)
    x = np.where(shown, steps.x, np.float32(0))
    out = scatter_transpose(x, steps.kernel, steps.stride, steps.dilation, steps.pads,
                            steps.output.shape[:2]) + steps.biases
    return np.asarray(out[:, :, 0], np.float32)
