"""The animator's state: which source it steps through, the two step sequences, the cursor.

The kernel and parameters are the workspace's (one shared :class:`WorkspaceModel`), so an edit
on either tab shows on both. Steps come from :func:`core.conv_steps` / :func:`core.pool_steps`,
which make each step on demand, so a 2048² source costs no more than a 28² one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from ...core import ConvStep, ConvSteps, PoolStep, PoolSteps, conv_steps, pool_steps, sample_image
from ...core.animator_sources import (
    ANIMATOR_REGION,
    ANIMATOR_SOURCES,
    CHANNEL_FILTERS,
    POOL_EXAMPLE,
    TRAINED_SOURCE,
)
from ...core.channels import channel_toy, filter_bank
from ..workspace.model import PIXEL_SCALE, WorkspaceModel
from .family_model import FamilyMixin
from .learn_model import LearnMixin
from .trained import TrainedMixin

SOURCE_LABELS = {
    "glyph": "28×28 glyph",
    "region": "Workspace region",
    "image": "Whole workspace image",
    "pool-example": "Pooling example 4×4",
    "rgb": "Colour image, 3 channels",
    "toy-rgb": "Toy 6×6×3",
    "cnn-maps": "Trained CNN's maps",
}
POOL_INPUTS = ("conv", "image")
PHASES = ("conv", "pool", "learn")
SUB_PHASES = ("multiply", "add", "write")


@dataclass(frozen=True)
class Cursor:
    """Where the animation is: a global step (conv steps, then pool steps) and a sub-phase.

    ``sub`` indexes :data:`SUB_PHASES`; without sub-phases it is always 2 (written).
    """

    step: int = 0
    sub: int = 2


class AnimatorModel(QObject, LearnMixin, TrainedMixin, FamilyMixin):
    """Conv and pool step sequences over the chosen source, the current step, and Learn.

    The Learn phase (:mod:`.learn_model`) has a cursor of its own; while it is shown, the
    moves (next, previous, row, start, end) move that cursor. In the workspace's transposed
    mode the conv phase steps through the transposed conv (:mod:`.family_model`) instead.
    The trained CNN's source steps its second conv layer (:mod:`.trained`).
    """

    traceChanged = Signal()
    stepChanged = Signal()
    errorChanged = Signal(str)
    sourceChanged = Signal(str)     # the new source kind
    optionsChanged = Signal()       # pool input or sub-phases
    learnChanged = Signal()         # a training step taken, a random start (its note)
    trainingChanged = Signal(bool)  # training on a worker thread started / ended
    trainedChanged = Signal()       # the trained CNN's layer came, changed or went

    def __init__(self, workspace: WorkspaceModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self._source_kind = "glyph"
        self.pool_input = "conv"
        self._pool_input_before_example = "conv"
        self.sub_phases = False
        self.error = ""
        self.source: np.ndarray = np.zeros((1, 1), np.float32)
        self.conv: ConvSteps | None = None
        self.pool: PoolSteps | None = None
        self.pool_op = "max"
        self.cursor = Cursor()
        self._step_made: tuple[ConvSteps, int, ConvStep] | None = None
        self._init_learn()
        self._init_family()
        self._init_trained()
        self._glyph_rgb = np.repeat(sample_image("glyph")[:, :, None], 3, axis=2) * np.float32(
            PIXEL_SCALE)
        # Workspace edits arrive in bursts (typing, dragging); rebuild once per burst.
        self._rebuild_timer = QTimer(self)
        self._rebuild_timer.setSingleShot(True)
        self._rebuild_timer.setInterval(0)
        self._rebuild_timer.timeout.connect(self.rebuild)
        for signal in (workspace.kernelChanged, workspace.paramsChanged, workspace.sourceChanged,
                       workspace.selectionChanged):
            signal.connect(self._rebuild_timer.start)
        self.rebuild()

    # --- source and trace -----------------------------------------------------------------
    def _source(self) -> np.ndarray:
        """Return the glyph, or the workspace's own source array (whole or sliced).

        The workspace converted its image to the chosen channel once; slicing that array keeps
        every number here the very number the workspace, Show code and Keras see.
        """
        ws = self.workspace
        if self._source_kind == "glyph":
            return ws.select_channel(self._glyph_rgb, ws.channel)
        if self._source_kind == "pool-example":
            return np.array(POOL_EXAMPLE, np.float32)
        if self._source_kind == "toy-rgb":
            return channel_toy()
        if self._source_kind == "rgb":
            return ws.rgb
        if self._source_kind == TRAINED_SOURCE and self.trained is not None:
            return self.trained.maps
        source = ws.source
        if self._source_kind == "image":
            return source
        if ws.selection is not None:
            top, left, height, width = ws.selection
        else:
            h, w = source.shape[:2]
            height, width = min(h, ANIMATOR_REGION), min(w, ANIMATOR_REGION)
            top, left = (h - height) // 2, (w - width) // 2
        return np.ascontiguousarray(source[top:top + height, left:left + width])

    @property
    def region_text(self) -> str:
        """Where the region source comes from, in words."""
        sel = self.workspace.selection
        if sel is None:
            return (f"centre {ANIMATOR_REGION}×{ANIMATOR_REGION} of the workspace image "
                    "(select a region there to choose another)")
        top, left, height, width = sel
        return f"{width}×{height} region at x {left}, y {top} of the workspace image"

    @property
    def source_kind(self) -> str:
        """What is stepped through: one of :data:`ANIMATOR_SOURCES`."""
        return self._source_kind

    def set_source_kind(self, kind: str) -> None:
        """Step through the glyph, the workspace's region or whole image, or the pooling example.

        The pooling example (the course's 4×4 block) pools the block itself and opens on its
        first pooling step. Emits ``sourceChanged`` once the trace is rebuilt; setting the
        current kind does nothing.

        Raises
        ------
        ValueError
            If ``kind`` is not one of :data:`ANIMATOR_SOURCES` (the message lists them).
        """
        if kind not in ANIMATOR_SOURCES:
            raise ValueError(f"animator source must be one of {', '.join(ANIMATOR_SOURCES)}, "
                             f"got {kind!r}")
        if kind == self._source_kind:
            return
        if kind == TRAINED_SOURCE and self.trained_refused():
            self.sourceChanged.emit(self._source_kind)  # a combo that changed goes back
            return
        leaving = self._source_kind
        self._source_kind = kind
        # The pooling example is about pooling the block itself; leaving it gives back the
        # pool input chosen before.
        options = False
        if kind == "pool-example":
            self._pool_input_before_example = self.pool_input
            options = self.pool_input != "image"
            self.pool_input = "image"
        elif leaving == "pool-example" and self.pool_input != self._pool_input_before_example:
            self.pool_input = self._pool_input_before_example
            options = True
        self._set_error("")  # a refusal or a failure of the source before no longer holds
        self.rebuild()  # (which says so if this one fails)
        if options:
            self.optionsChanged.emit()
        self.sourceChanged.emit(kind)
        if kind == "pool-example" and self.n_pool:
            self.go_to(self.n_conv)  # it opens on its first pooling step
        else:
            self.start()  # another source: its first step (the old step number means nothing)

    def set_pool_input(self, which: str) -> None:
        """Pool the conv output (as a CNN does) or the source image itself."""
        if which not in POOL_INPUTS:
            raise ValueError(f"pool input must be one of {', '.join(POOL_INPUTS)}, got {which!r}")
        if which == self.pool_input:
            return
        self.pool_input = which
        self.rebuild()
        self.optionsChanged.emit()

    def set_sub_phases(self, on: bool) -> None:
        """Split each conv step into multiply → add → write."""
        if bool(on) == self.sub_phases:
            return
        self.sub_phases = bool(on)
        self.optionsChanged.emit()
        self._move(Cursor(self.cursor.step, 0 if on and self.in_conv else 2))

    def rebuild(self) -> None:
        """Recompute both step sequences; on failure keep the last ones and say why."""
        self._rebuild_timer.stop()
        ws = self.workspace
        params = ws.params
        source = self._source()
        kernel = ws.kernel.effective
        filters = CHANNEL_FILTERS.get(self._source_kind, 1)
        layer = self.trained if self.stepping_trained else None
        geometry = (params.stride, params.padding, params.dilation)
        if layer is not None:  # its own weights, bias and geometry, not the workspace's
            kernel, geometry = layer.kernel, (layer.stride, layer.padding, layer.dilation)
        elif self.depthwise_stage(source):
            kernel = self._depthwise_kernel(kernel, source.shape[2])
        elif filters > 1:  # a layer of several filters: kh×kw×C weights each
            kernel = filter_bank(kernel, source.shape[2], filters)
        elif source.ndim == 3:
            kernel = np.repeat(kernel[:, :, None], source.shape[2], axis=2)
        try:
            transpose = self._build_transpose(source, ws.kernel.effective, params)
            conv: ConvSteps | None = None
            if transpose is not None:  # phase 1 steps through the transposed conv
                out = transpose.output
            else:
                conv = conv_steps(source, kernel, stride=geometry[0], padding=geometry[1],
                                  dilation=geometry[2], bias=self._stage_bias(source)
                                  if layer is None else layer.bias)
                out = conv.output
            op = "avg" if params.pool == "avg" else "max"
            maps = self._pooled_map(out, source)
            pool_in = maps if self.pool_input == "conv" else (
                source if source.ndim == 2 else source.mean(axis=2))
            if self.pool_input == "conv" and params.activation == "relu":
                pool_in = np.maximum(pool_in, np.float32(0))
            pool: PoolSteps | None
            try:
                pool = pool_steps(pool_in, params.pool_size, stride=params.pool_stride, op=op)
            except ValueError:
                pool = None  # the conv output is smaller than one pool window
        except ValueError as exc:
            self._set_error(f"Cannot animate this: {exc}. Still showing the last valid trace.")
            return
        self.source, self.conv, self.pool, self.pool_op = source, conv, pool, op
        self.transpose = transpose
        self.family_note = self._family_note(source)
        self._set_error("")
        old = self.cursor
        self.cursor = Cursor(min(old.step, self.total - 1),
                             old.sub if transpose is None else 2)
        why = self.learn_unavailable() if self.learning else ""
        if why:  # back to the conv steps, saying why Learn left
            self.learning = False
            self._set_error(why)
        self.learn_cursor = max(0, min(self.learn_cursor, self.n_learn - 1))
        self.traceChanged.emit()
        self.stepChanged.emit()

    def _set_error(self, text: str) -> None:
        if text != self.error:
            self.error = text
            self.errorChanged.emit(text)

    @property
    def relu(self) -> bool:
        """Whether ReLU follows the conv (the workspace's activation)."""
        return self.workspace.params.activation == "relu"

    # --- steps ------------------------------------------------------------------------------
    @property
    def n_conv(self) -> int:
        """Number of conv steps (output pixels; input pixels of a transposed conv)."""
        if self.transpose is not None:
            return len(self.transpose)
        return len(self.conv) if self.conv is not None else 0

    @property
    def n_pool(self) -> int:
        """Number of pool steps (0 when the conv output is smaller than a pool window)."""
        return len(self.pool) if self.pool is not None else 0

    @property
    def total(self) -> int:
        """Conv steps followed by pool steps."""
        return max(1, self.n_conv + self.n_pool)

    @property
    def in_conv(self) -> bool:
        """Whether the conv phase is shown."""
        return not self.learning and self.cursor.step < self.n_conv

    @property
    def phase(self) -> str:
        """The phase shown: one of :data:`PHASES`."""
        return "learn" if self.learning else "conv" if self.in_conv else "pool"

    @property
    def at_end(self) -> bool:
        """Whether the cursor of the phase shown is on its last step, complete."""
        if self.learning:
            return self.learn_cursor >= self.n_learn - 1
        return self.cursor.step >= self.total - 1 and self.written

    def conv_step(self) -> ConvStep:
        """Return the conv step under the cursor (the last one in the pool phase)."""
        assert self.conv is not None
        i = min(self.cursor.step, self.n_conv - 1)
        # The page, the tensors and the position all ask for it: made once a step.
        if self._step_made is None or self._step_made[0] is not self.conv \
                or self._step_made[1] != i:
            self._step_made = (self.conv, i, self.conv[i])
        return self._step_made[2]

    def pool_step(self) -> PoolStep | None:
        """Return the pool step under the cursor, or None outside the pool phase."""
        if self.cursor.step < self.n_conv or self.pool is None:
            return None
        return self.pool[self.cursor.step - self.n_conv]

    @property
    def written(self) -> bool:
        """Whether the current step's output cell has been written yet."""
        return self.cursor.step >= self.n_conv or self.cursor.sub >= 2

    # --- moving -----------------------------------------------------------------------------
    def _move(self, cursor: Cursor) -> None:
        step = max(0, min(cursor.step, self.total - 1))
        sub = cursor.sub if (self.sub_phases and step < self.n_conv
                             and self.transpose is None) else 2
        if self.learning:  # a conv or pool step asked for: that phase is shown again
            self.learning = False
            self.cursor = Cursor(step, sub)
            self.stepChanged.emit()
            return
        new = Cursor(step, sub)
        if new != self.cursor:
            self.cursor = new
            self.stepChanged.emit()

    def set_cursor(self, cursor: Cursor) -> None:
        """Put the cursor back where it was (clamped to the current trace)."""
        self._move(cursor)

    def go_to(self, step: int) -> None:
        """Jump to a global conv/pool step, showing it complete."""
        self._move(Cursor(step, 2))

    def go_to_shown(self, step: int) -> None:
        """Jump to step ``step`` of what is shown: a conv/pool step, or a Learn sub-step."""
        if self.learning:
            self.learn_go_to(step)
        else:
            self.go_to(step)

    def advance(self, count: int) -> bool:
        """Take ``count`` steps forward with one repaint; return False once at the end."""
        start = (self.cursor, self.learning, self.learn_cursor)
        moved = True
        self.blockSignals(True)
        try:
            for _ in range(count):
                moved = self.next()
                if not moved:
                    break
        finally:
            self.blockSignals(False)
        if (self.cursor, self.learning, self.learn_cursor) != start:
            self.stepChanged.emit()
        return moved

    def next(self) -> bool:
        """Advance one sub-phase or step; return False at the very end."""
        if self.learning:
            if self.learn_cursor >= self.n_learn - 1:
                return False
            self.learn_go_to(self.learn_cursor + 1)
            return True
        c = self.cursor
        if self.sub_phases and self.in_conv and c.sub < 2:
            self._move(Cursor(c.step, c.sub + 1))
            return True
        if c.step >= self.total - 1:
            return False
        self._move(Cursor(c.step + 1, 0))
        return True

    def previous(self) -> bool:
        """Go back one sub-phase or step; return False at the very start."""
        if self.learning:
            if self.learn_cursor == 0:
                return False
            self.learn_go_to(self.learn_cursor - 1)
            return True
        c = self.cursor
        if self.sub_phases and self.in_conv and c.sub > 0:
            self._move(Cursor(c.step, c.sub - 1))
            return True
        if c.step == 0:
            return False
        self._move(Cursor(c.step - 1, 2))
        return True

    def _phase_bounds(self) -> tuple[int, int, int]:
        """(first global step, number of steps, output width) of the cursor's phase."""
        if self.in_conv and self.transpose is not None:
            return 0, self.n_conv, int(self.transpose.x.shape[1])  # a row of input pixels
        if self.in_conv:
            assert self.conv is not None
            return 0, self.n_conv, int(self.conv.output.shape[1])
        assert self.pool is not None
        return self.n_conv, self.n_pool, int(self.pool.output.shape[1])

    def row(self, direction: int) -> None:
        """Move one output row down (+1) or up (-1) within the current phase."""
        if self.learning:
            self.learn_row(direction)
            return
        first, n, width = self._phase_bounds()
        local = self.cursor.step - first + direction * width
        self.go_to(first + max(0, min(local, n - 1)))

    def start(self) -> None:
        """Go to the first step (of the Learn phase while it is shown)."""
        if self.learning:
            self.learn_go_to(0)
            return
        self._move(Cursor(0, 0))

    def end(self) -> None:
        """Go to the last step (of the Learn phase while it is shown)."""
        if self.learning:
            self.learn_go_to(self.n_learn - 1)
            return
        self.go_to(self.total - 1)

    def set_phase(self, phase: str) -> None:
        """Jump to the start of ``"conv"``, ``"pool"`` or ``"learn"``."""
        if phase == "learn":
            self.enter_learn(0)
        elif phase == "conv":
            self.leave_learn()
            self.start()
            self._set_error("")  # a refusal (of Learn, of the pool) is answered
        elif phase == "pool":
            if self.n_pool == 0:
                self._set_error("No pool step: the conv output is smaller than one pool window.")
                return
            self.go_to(self.n_conv)
            self._set_error("")
        else:
            raise ValueError("phase must be 'conv', 'pool' or 'learn'")
