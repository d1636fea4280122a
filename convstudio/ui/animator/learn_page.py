"""The Learn page: the backward pass stage by stage, then the SGD update on the kernel grid."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ...core import InputGradStep, KernelGradStep, PoolGradStep
from ...core.learn import GateStep, LearnTrace, LossStep
from .arithmetic import ArithmeticView
from .cells import widest_template
from .flow import FlowLayout
from .grid import GridView, Overlay
from .labels import Title
from .learn_model import TRAIN_MANY
from .learn_text import STAGE_LABELS, learn_panels, loss_text, rate_text
from .model import AnimatorModel
from .pages import ARITHMETIC_SHARE, split_columns
from .panel import Panel

# Per stage: (left title, right title, middle B title); middle A is always the kernel w
# (turned 180° for ∂L/∂x).
TITLES = {
    "loss": ("Pooled output p", "∂L/∂p", "Target t"),
    "route": ("Pool input a", "∂L/∂a", "∂L/∂p"),
    "gate": ("Conv output y", "∂L/∂y", "∂L/∂a"),
    "taps": ("Input x", "∂L/∂y", "∂L/∂w"),
    "dx": ("∂L/∂y", "∂L/∂x", "w · ∂L/∂y"),
    "update": ("Kernel before", "Kernel after", "∂L/∂w"),
}


class LearnPage(QWidget):
    """The stages of the backward pass and the training buttons, over three columns.

    Left: what the stage reads; middle: the kernel and a gradient with the arithmetic;
    right: what the stage writes.
    """

    def __init__(self, model: AnimatorModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("figure", True)  # File ▸ Export view, Ctrl+C
        self.model = model
        self.stage_buttons: dict[str, QPushButton] = {}
        self.stage_group = QButtonGroup(self)
        # One row where it fits; in a narrow projection the buttons wrap onto another.
        bar = FlowLayout()
        for n, (stage, label) in enumerate(STAGE_LABELS.items()):
            button = QPushButton(label)
            button.setCheckable(True)
            button.clicked.connect(lambda _=False, s=stage: self.model.learn_stage_go(s))
            self.stage_group.addButton(button, n)
            self.stage_buttons[stage] = button
            bar.add(button)
        self.train_one = QPushButton("Train one step")
        self.train_one.setToolTip("Apply w ← w − η·∂L/∂w to the kernel (T); Ctrl+Z undoes it")
        self.train_one.clicked.connect(lambda: self.model.train_steps(1))
        self.train_many = QPushButton(f"Train {TRAIN_MANY} steps")
        self.train_many.setToolTip(f"Take {TRAIN_MANY} SGD steps (F)")
        self.train_many.clicked.connect(lambda: self.model.train_steps(TRAIN_MANY))
        self.random = QPushButton("Random start")
        self.random.setToolTip("Random weights, as Keras starts a Conv2D (R)")
        self.random.clicked.connect(self.model.random_start)
        for b in (self.random, self.train_one, self.train_many):
            bar.add(b)
        self.loss_label = QLabel("")
        self.loss_label.setObjectName("loss")
        self.loss_label.setWordWrap(True)

        self.left_title, self.right_title = Title("Input"), Title("Output")
        self.a_title, self.b_title = Title("Kernel w"), Title("∂L/∂w")
        self.left_grid = GridView(indices=True)
        self.right_grid = GridView(indices=True)
        self.a_grid = GridView(whole=True)
        # The second middle grid is kernel-sized (∂L/∂w) or as large as the pooled output
        # (the target): it shows a part of a large one, with its row and column numbers.
        self.b_grid = GridView(indices=True)
        for g in (self.a_grid, self.b_grid):
            g.max_cell = 72
            g.hint_template = "88"  # wider weights (−0.84) shrink a little, still whole
        self.arithmetic = ArithmeticView()
        left = QVBoxLayout()
        left.addWidget(self.left_title)
        left.addWidget(self.left_grid, 1)
        middle = QGridLayout()
        middle.addWidget(self.a_title, 0, 0)
        middle.addWidget(self.b_title, 0, 1)
        middle.addWidget(self.a_grid, 1, 0)
        middle.addWidget(self.b_grid, 1, 1)
        middle.setHorizontalSpacing(12)
        middle.addWidget(self.arithmetic, 2, 0, 1, 2)
        middle.setRowStretch(1, 2)
        middle.setRowStretch(2, 3)
        self._middle = middle
        right = QVBoxLayout()
        right.addWidget(self.right_title)
        right.addWidget(self.right_grid, 1)
        self._columns = QHBoxLayout()
        self._columns.addLayout(left, 4)
        self._columns.addLayout(middle, 5)
        self._columns.addLayout(right, 3)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addLayout(bar)
        outer.addWidget(self.loss_label)
        outer.addLayout(self._columns, 1)
        self._shown: tuple[object, str] | None = None
        # Colour levels and widest number of the trace's arrays, worked out once a trace:
        # a pass over a 512² array each time a stage is shown again cost more than the rest.
        self._looks: dict[tuple[str, str], tuple[tuple[float, float], str]] = {}
        self._looks_for: object = None
        self._buttons_for: object = None
        self._shown_stage = ""
        self._wants: dict[tuple[object, ...], tuple[int, dict[int, int]]] = {}
        model.traceChanged.connect(self._on_trace)
        model.stepChanged.connect(self.refresh)
        model.learnChanged.connect(self._on_trace)
        model.trainingChanged.connect(self._on_training)
        self._on_trace()  # the tab is built lazily: the model may be in Learn already

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        """Share the width out between the grids and the arithmetic."""
        self._split()
        super().resizeEvent(event)

    def _split(self) -> None:
        # A kernel-sized second grid asks for its whole; a large one (the target) for a part,
        # so that the right column keeps its room.
        rows, cols = self.b_grid.shape
        b_hint = (self.b_grid.sizeHint() if max(rows, cols) <= 7
                  else self.b_grid.minimumSizeHint())
        kernel = self.a_grid.minimumSizeHint().width() + b_hint.width()
        # What the sums want is measured once per stage, trace and page size: laying the
        # panel out twice more cost as much as the rest of a jump to another stage.
        key = (self._looks_for, self._shown_stage, self.size().toTuple())
        want = self._wants.get(key)
        if want is None:
            if len(self._wants) > 32:
                self._wants.clear()
            want = self._wants[key] = (self.arithmetic.wanted_width(), {})
        middle = split_columns(self._columns, self.width(), max(want[0], kernel),
                               self.left_grid, self.right_grid, whole_left=False)
        heights = want[1]
        if round(middle) not in heights:
            heights[round(middle)] = self.arithmetic.wanted_height(round(middle))
        room = max(1, self.height() - 2 * self.left_title.sizeHint().height())
        text = min(heights[round(middle)], room * ARITHMETIC_SHARE)
        for row, share in ((1, room - text), (2, text)):
            stretch = max(1, round(share))
            if self._middle.rowStretch(row) != stretch:
                self._middle.setRowStretch(row, stretch)

    def _on_training(self, busy: bool) -> None:
        for b in (self.train_one, self.train_many, self.random):
            b.setEnabled(not busy)
        if busy:
            self.loss_label.setText("Training on a worker thread…")

    def _on_trace(self) -> None:
        self._shown = None
        if self.isVisible() or self.model.learning:
            self.refresh()

    def _trace(self) -> LearnTrace | None:
        m = self.model
        if not m.learning:
            return None
        try:
            return m.learn_trace()
        except ValueError:
            return None

    def _show(self, grid: GridView, key: tuple[str, str], values: np.ndarray,
              trace: LearnTrace, *, grey: bool = False,
              pad: tuple[int, int, int, int] = (0, 0, 0, 0)) -> None:
        """Show ``values`` with the levels and widest number kept for ``key`` of this trace."""
        if self._looks_for is not trace:
            self._looks, self._looks_for = {}, trace
        look = self._looks.get(key)
        if look is None:
            finite = values[np.isfinite(values)]
            peak = float(np.abs(finite).max()) if finite.size else 1.0
            levels = (0.0, 255.0) if grey else (-peak, peak)
            look = self._looks[key] = (levels, widest_template(values))
        grid.show_array(values, kind="grey" if grey else "diverging", levels=look[0],
                        pad=pad, template=look[1])

    def _show_stage(self, trace: LearnTrace, stage: str, panels: tuple[Panel, ...]) -> None:
        """Put the stage's arrays on the grids (once per stage and trace)."""
        self._shown_stage = stage
        lt, rt, bt = TITLES[stage]
        f = trace.fwd
        a_title, a = {"dx": ("Kernel turned 180°", trace.kernel[::-1, ::-1]),
                      "update": ("− η·∂L/∂w", trace.kernel_after - trace.kernel)}.get(
                          stage, ("Kernel w", trace.kernel))
        self.a_title.setText(f"<b>{a_title}</b>")
        self.a_grid.show_array(a, kind="diverging")
        left, right, b = {
            "loss": (f.p, trace.dp, trace.target),
            "route": (f.a, trace.da, trace.dp),
            "gate": (f.y, trace.dy, trace.da),
            "taps": (trace.taps.padded[:, :, 0], trace.dy, trace.dkernel),
            "dx": (trace.dy, trace.dx, np.zeros_like(trace.kernel)),
            "update": (trace.kernel, trace.kernel_after, trace.dkernel),
        }[stage]
        pads = trace.taps.pads
        if stage == "taps":
            self._show(self.left_grid, (stage, "left"), left, trace, grey=True,
                       pad=(pads.top, pads.left, pads.bottom, pads.right))
        else:
            self._show(self.left_grid, (stage, "left"), left, trace)
        self._show(self.right_grid, (stage, "right"), right, trace)
        self._show(self.b_grid, (stage, "b"), b, trace)
        h, w = left.shape
        oh, ow = right.shape
        self.left_title.setText(f"<b>{lt} {h}×{w}</b>")
        self.right_title.setText(f"<b>{rt} {oh}×{ow}</b>")
        self.b_title.setText(f"<b>{bt}</b>")
        self.arithmetic.set_template(panels)
        self.stage_buttons[stage].setChecked(True)
        if self._looks_for is not self._buttons_for:
            self._buttons_for = self._looks_for
            for s, button in self.stage_buttons.items():
                button.setVisible(s in dict(trace.stages))
        self._split()

    def _loss_text(self, trace: LearnTrace) -> str:
        m = self.model
        text = (f"Loss <b>{loss_text(trace.loss)}</b> → {loss_text(trace.loss_after)} after "
                f"one more step (η = {rate_text(trace.lr)}); the target is the vertical-edge "
                "kernel's output.")
        if np.array_equal(trace.kernel, trace.target_kernel):
            text += " The kernel is the target's own: Random start (R) starts from random weights."
        return text + (f" {m.train_note}" if m.train_note else "")

    def refresh(self) -> None:
        """Show the Learn cursor's stage and sub-step."""
        trace = self._trace()
        if trace is None:
            return
        m = self.model
        stage, j = trace.locate(m.learn_cursor)
        panels = learn_panels(trace, m.learn_cursor, m.train_note)
        if self._shown != (trace, stage):
            self._show_stage(trace, stage, panels)
            self._shown = (trace, stage)
            self.loss_label.setText(self._loss_text(trace))
        _, step = trace.step(m.learn_cursor)
        left, right, b = Overlay(), Overlay(), Overlay()
        if isinstance(step, LossStep):
            left = Overlay(current=step.out_pos)
            right = Overlay(current=step.out_pos, filled=j + 1)
            b = Overlay(current=step.out_pos)
        elif isinstance(step, PoolGradStep):
            ph, pw = trace.route.pool
            blocks = (ph, pw) if trace.route.stride == trace.route.pool else None
            win = (int(step.targets[0][0]), int(step.targets[0][1]))
            window = (*step.window, ph, pw)
            left = Overlay(window=window, winner=win if trace.setup.pool_op == "max" else None,
                           blocks=blocks)
            right = Overlay(window=window, blocks=blocks)
            b = Overlay(current=step.out_pos)
        elif isinstance(step, GateStep):
            left = Overlay(current=step.out_pos)
            right = Overlay(current=step.out_pos, filled=j + 1)
            b = Overlay(current=step.out_pos)
        elif isinstance(step, KernelGradStep):
            (sh, sw), (dh, dw) = trace.taps.stride, trace.taps.dilation
            ho, wo = trace.dy.shape
            i, jj = step.tap
            left = Overlay(window=(i * dh, jj * dw, (ho - 1) * sh + 1, (wo - 1) * sw + 1))
            b = Overlay(current=step.tap, filled=j + 1)
        elif isinstance(step, InputGradStep):
            cells = tuple((int(r), int(c)) for r, c in step.windows[step.covered].tolist())
            box = None
            if cells:  # the windows that covered the pixel: the view keeps them all in sight
                rows, cols = [r for r, _ in cells], [c for _, c in cells]
                box = (min(rows), min(cols), max(rows) - min(rows) + 1,
                       max(cols) - min(cols) + 1)
            left = Overlay(window=box, taps=cells)
            right = Overlay(current=step.in_pos, filled=j + 1)
            # Lined up with the turned kernel beside it: products turned as well.
            self.b_grid.show_array(step.products[::-1, ::-1], kind="diverging")
        self.left_grid.set_overlay(left)
        self.right_grid.set_overlay(right)
        self.b_grid.set_overlay(b)
        self.arithmetic.show_panels(panels)
