"""The animator model's Learn phase: the backward pass of its own trace, and SGD on the kernel.

The network is the animator's own conv → (ReLU) → pool on the source shown; its kernel is the
workspace's, so a training step is a kernel edit there (undoable with Ctrl+Z) and phases 1
and 2 show the new kernel at once. The phase has a cursor of its own over the stages of
:class:`core.learn.LearnTrace`, so the conv and pool steps a lesson or an export count stay
as they were.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...core import ConvSteps, PoolSteps
from ...core.animator_sources import CHANNEL_FILTERS, TRAINED_SOURCE
from ...core.learn import (
    LearnSetup,
    LearnTrace,
    edge_kernel,
    glorot_kernel,
    learning_rate_for,
    train,
)
from ..tasks import Task, run_task
from .learn_text import loss_text

# Steps × pixels above which training runs on a worker thread (≈ 1e-7 s each: 50 ms).
SYNC_WORK = 500_000
TRAIN_MANY = 50


class LearnMixin:
    """Learn-phase state and actions, mixed into :class:`AnimatorModel` (which owns the signals)."""

    # What the model provides (its signals are declared on the QObject itself); the
    # workspace's model is the animator model's to import.
    workspace: Any
    source: np.ndarray
    conv: ConvSteps | None
    pool: PoolSteps | None
    pool_input: str
    pool_op: str
    stepChanged: Any
    learnChanged: Any
    trainingChanged: Any

    def _set_error(self, text: str) -> None:
        raise NotImplementedError

    @property
    def source_kind(self) -> str:
        """The source stepped through (the model's)."""
        raise NotImplementedError

    def report_error(self, text: str) -> None:
        """Show ``text`` as the animator's message (a refused action; nothing changed)."""
        self._set_error(text)

    def _kernel_hw(self) -> tuple[int, int]:
        assert self.conv is not None
        kh, kw = self.conv.kernel.shape[:2]
        return int(kh), int(kw)

    def _init_learn(self) -> None:
        self.learning = False
        self.learn_cursor = 0
        self.train_note = ""
        self.loss_history: list[float] = []
        self.training = False
        self._learn: LearnTrace | None = None
        self._learn_for: object = None
        self._rates: dict[tuple[object, ...], float] = {}
        self._seed = 0
        self._task: Task | None = None

    # --- availability and the trace ------------------------------------------------------
    def learn_unavailable(self) -> str:
        """Return why the Learn phase cannot run on this trace, or "" when it can."""
        family = self.workspace.params.family
        if family != "standard":
            return (f"Learn trains a standard conv; the Workspace is in {family} mode: choose "
                    "'standard' there to learn the kernel.")
        if self.source.ndim != 2:
            if self.source_kind in (*CHANNEL_FILTERS, TRAINED_SOURCE):  # a layer of filters
                return ("Learn trains one kernel on one channel; this source is a layer of "
                        "several filters: choose the glyph, a region or the image as the "
                        "source.")
            return ("Learn steps through a one-channel source: choose luminance or one colour "
                    "channel on the Workspace.")
        if self.pool_input != "conv":
            return "Learn trains the conv that the pool follows: choose 'Pool: conv output'."
        if self.pool is None:
            return "No Learn phase: the conv output is smaller than one pool window."
        return ""

    def learn_setup(self) -> LearnSetup:
        """Return the network around the kernel: the workspace's geometry, bias, ReLU, pool."""
        p = self.workspace.params
        return LearnSetup(stride=p.stride, padding=p.padding, dilation=p.dilation, bias=p.bias,
                          relu=p.activation == "relu", pool_size=p.pool_size,
                          pool_stride=p.pool_stride, pool_op=self.pool_op)

    @property
    def n_learn(self) -> int:
        """Sub-steps of the Learn phase (0 when it cannot run), counted without computing them."""
        if self.learn_unavailable():
            return 0
        pool, conv = self.pool, self.conv
        assert pool is not None and conv is not None
        relu = self.workspace.params.activation == "relu"
        return (2 * len(pool) + (len(conv) if relu else 0) + int(conv.kernel.size)
                + int(self.source.size) + 1)

    @property
    def learning_rate(self) -> float:
        """η for this source and geometry (see :func:`core.learn.learning_rate_for`)."""
        src = self.source
        kernel_hw = self._kernel_hw()
        setup = self.learn_setup()
        key = (src.shape, float(src.sum(dtype=np.float64)), kernel_hw, setup.stride,
               setup.padding, setup.dilation)
        rate = self._rates.get(key)
        if rate is None:
            if len(self._rates) > 16:
                self._rates.clear()
            rate = self._rates[key] = learning_rate_for(src, kernel_hw, setup)
        return rate

    def learn_trace(self) -> LearnTrace:
        """Return the backward pass of the current trace (made on first use after a change)."""
        if self._learn is None or self._learn_for is not self.conv:
            assert self.conv is not None
            self._learn = LearnTrace(self.source, self.conv.kernel, self.learn_setup(),
                                     self.learning_rate)
            self._learn_for = self.conv
        return self._learn

    @property
    def target_kernel(self) -> np.ndarray:
        """The vertical-edge kernel the target comes from, shaped as the kernel."""
        return edge_kernel(*self._kernel_hw())

    # --- the phase and its cursor --------------------------------------------------------------
    def enter_learn(self, step: int = 0) -> bool:
        """Show the Learn phase at ``step``; False (and a message) where it cannot run."""
        why = self.learn_unavailable()
        if why:
            self._set_error(why)
            return False
        try:
            self.learn_trace()
        except ValueError as exc:
            self._set_error(f"Cannot learn here: {exc}.")
            return False
        self._set_error("")
        self.learning = True
        self._learn_move(step)
        self.stepChanged.emit()
        return True

    def leave_learn(self) -> None:
        """Back to the conv and pool steps (the conv/pool cursor is where it was)."""
        if self.learning:
            self.learning = False
            self.stepChanged.emit()

    def _learn_move(self, step: int) -> bool:
        n = self.n_learn
        new = max(0, min(step, n - 1))
        if new == self.learn_cursor:
            return False
        self.learn_cursor = new
        return True

    def learn_go_to(self, step: int) -> None:
        """Jump to Learn sub-step ``step`` (clamped)."""
        if self._learn_move(step):
            self.stepChanged.emit()

    def learn_stage(self) -> tuple[str, int]:
        """Return (stage, index within it) under the Learn cursor."""
        return self.learn_trace().locate(self.learn_cursor)

    def learn_row(self, direction: int) -> None:
        """Move one row of the stage's grid down (+1) or up (-1), within the stage."""
        trace = self.learn_trace()
        stage, local = trace.locate(self.learn_cursor)
        count = dict(trace.stages)[stage]
        local = max(0, min(local + direction * trace.width_of(stage), count - 1))
        self.learn_go_to(trace.start_of(stage) + local)

    def learn_stage_go(self, stage: str) -> None:
        """Jump to the first sub-step of ``stage``."""
        self.learn_go_to(self.learn_trace().start_of(stage))

    # --- training ---------------------------------------------------------------------------
    def random_start(self) -> None:
        """Give the kernel random weights as Keras starts a Conv2D (glorot uniform), undoable."""
        kh, kw = self._kernel_hw()
        self._seed += 1
        self.loss_history = []
        self.train_note = f"Random start (seed {self._seed}): glorot-uniform weights."
        self.workspace.set_kernel(glorot_kernel(kh, kw, self._seed),
                                  use_weight=False, text="Random start")
        self.learnChanged.emit()

    def train_steps(self, steps: int) -> None:
        """Take ``steps`` SGD steps on the kernel; a large source trains on a worker thread."""
        if self.training:
            self._set_error("Still training: wait for the steps under way.")
            return
        why = self.learn_unavailable()
        if why:
            self._set_error(why)
            return
        try:
            trace = self.learn_trace()
        except ValueError as exc:
            self._set_error(f"Cannot learn here: {exc}.")
            return
        args = (trace.x, trace.kernel, trace.target, trace.setup, trace.lr, steps)
        started_from = self.conv
        if trace.x.size * steps <= SYNC_WORK:
            self._on_trained(train(*args), steps, started_from)
            return
        self.training = True
        self.trainingChanged.emit(True)
        task = self._task = run_task(train, *args, name="animator training")
        task.succeeded.connect(lambda result: self._on_trained(result, steps, started_from))
        task.failed.connect(lambda exc: self._set_error(
            f"Training failed: {exc}. The kernel is unchanged."))
        task.ended.connect(self._on_train_ended)

    def _on_train_ended(self) -> None:
        self.training = False
        self._task = None
        self.trainingChanged.emit(False)

    def _on_trained(self, result: tuple[np.ndarray, list[float]], steps: int,
                    started_from: object) -> None:
        kernel, losses = result
        if started_from is not self.conv:
            self._set_error("Training result dropped: the image, kernel or settings changed "
                            "meanwhile. Train again.")
            return
        if not np.all(np.isfinite(kernel)) or not np.isfinite(losses[-1]):
            self._set_error("Training diverged (the weights overflowed): the kernel is "
                            "unchanged. Start again from a random kernel.")
            return
        try:
            self.workspace.set_kernel(kernel, use_weight=False,
                                      text=f"Train {steps} step{'s' if steps > 1 else ''}")
        except ValueError as exc:
            self._set_error(f"Training gave a kernel the workspace cannot hold ({exc}); "
                            "the kernel is unchanged.")
            return
        if not self.loss_history:
            self.loss_history = [losses[0]]
        self.loss_history.extend(losses[1:])
        taken = len(self.loss_history) - 1
        self.train_note = (f"{steps} step{'s' if steps > 1 else ''} taken: loss "
                           f"{loss_text(losses[0])} → {loss_text(losses[-1])}"
                           + (f" ({taken} in all)." if taken > steps else "."))
        self._set_error("")
        self.learnChanged.emit()

    def cancel_training(self) -> None:
        """Drop a training run's outcome (the window closes)."""
        if self._task is not None:
            self._task.cancel()
