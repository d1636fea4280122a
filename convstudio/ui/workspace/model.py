"""The workspace's shared state: source image, kernel, parameters and the latest result.

Views listen to the signals and never own data. Recomputation runs on one worker thread; while a
run is in flight newer edits replace each other, so the newest edit always wins and a stale
result is never shown.
"""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QUndoStack

from ...core import get_preset, limits, luminance, sample_image
from ...core.kernels import validate_kernel
from ...core.limits import CHANNELS, DISPLAY_MODES
from ...core.pipeline import (
    PipelineParams,
    PipelineResult,
    check_workspace_limits,
    run_pipeline,
)
from ..tasks import Task, run_task
from .state import KernelState, StateChange, WorkspaceState, params_change_text

# The lessons count pixel values from 0 to 255; the workspace does too.
PIXEL_SCALE = 255.0
UNDO_LIMIT = 1000
MAX_RESIZE = limits.MAX_IMAGE_SIDE

__all__ = ["MAX_RESIZE", "PIXEL_SCALE", "KernelState", "WorkspaceModel"]


class WorkspaceModel(QObject):
    """Source image, kernel and parameters; emits a result after every change."""

    sourceChanged = Signal()
    selectionChanged = Signal()
    kernelChanged = Signal()
    paramsChanged = Signal()
    displayChanged = Signal()
    resultChanged = Signal(object)
    errorChanged = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.undo_stack = QUndoStack(self)
        self.undo_stack.setUndoLimit(UNDO_LIMIT)  # a long lesson must not grow without end
        self.source_name = "camera"
        self._rgb = sample_image("camera", mode="rgb") * np.float32(PIXEL_SCALE)
        self._original: tuple[np.ndarray, str] = (self._rgb, self.source_name)
        # A rectangle (top, left, height, width) the user dragged on the input, or None.
        self.selection: tuple[int, int, int, int] | None = None
        self.channel = "luminance"
        self.source = self.select_channel(self._rgb, self.channel)
        self.kernel = KernelState(get_preset("sobel_x").array)
        self.params = PipelineParams()
        self.display_mode = "signed"
        self.output_map = 0  # the depthwise output's map on show
        self.result: PipelineResult | None = None
        self.error = ""
        self._generation = 0
        self._published = 0
        self._lock = threading.Lock()
        self._running = False
        self._pending = False
        self._closed = False
        self._task: Task | None = None

    # --- undoable state -------------------------------------------------------------------
    def _state(self) -> WorkspaceState:
        return WorkspaceState(self._rgb, self.source_name, self._original, self.channel,
                              self.kernel, self.params, self.display_mode, self.selection)

    def _change(self, after: WorkspaceState, text: str) -> None:
        """Make the change from the current state to ``after`` one step of the undo stack."""
        if self._state().differs(after):
            self.undo_stack.push(StateChange(self, self._state(), after, text))

    def _apply_state(self, state: WorkspaceState, parts: frozenset[str]) -> None:
        """Set the ``parts`` of ``state`` (undo and redo), then recompute once if needed."""
        if "original" in parts:
            self._original = state.original
        if "selection" in parts:  # before sourceChanged: the views read it for the new image
            self.selection = state.selection
        if parts & {"image", "channel"}:
            self._rgb, self.source_name, self.channel = state.rgb, state.name, state.channel
            self.source = self.select_channel(self._rgb, self.channel)
            self.sourceChanged.emit()
        if "kernel" in parts:
            self.kernel = state.kernel
            self.kernelChanged.emit()
        if "params" in parts:
            self.params = state.params
            self.paramsChanged.emit()
        self._fit_output_map()
        if "selection" in parts:
            self.selectionChanged.emit()
        if "display" in parts:
            self.display_mode = state.display
            self.displayChanged.emit()
        if parts & {"image", "channel", "kernel", "params"}:
            self.request()

    # --- source -------------------------------------------------------------------------
    @staticmethod
    def select_channel(rgb: np.ndarray, channel: str) -> np.ndarray:
        """Return luminance (BT.601), one colour plane, or all three planes of ``rgb``."""
        if channel == "luminance":
            return luminance(rgb)
        if channel == "all":
            return rgb
        return np.ascontiguousarray(rgb[:, :, "RGB".index(channel)])

    @staticmethod
    def _as_rgb(image01: np.ndarray) -> np.ndarray:
        img = np.asarray(image01, dtype=np.float32)
        rgb = np.repeat(img[:, :, None], 3, axis=2) if img.ndim == 2 else img[:, :, :3]
        return np.ascontiguousarray(rgb * np.float32(PIXEL_SCALE))

    def set_source(self, image01: np.ndarray, name: str) -> None:
        """Replace the source with a float image in [0, 1], (H, W) or (H, W, 3) (undoable)."""
        rgb = self._as_rgb(image01)
        self._change(self._state().replace(rgb=rgb, name=name, original=(rgb, name),
                                           selection=None),
                     f"open image {Path(name).name or name}")

    def set_selection(self, rect: tuple[int, int, int, int] | None) -> None:
        """Record the rectangle (top, left, height, width) dragged on the input, or None.

        Not an undo step of its own (a drag would make hundreds); image changes and lessons
        restore it with the image.
        """
        if rect is not None:
            rect = self._checked_rect(rect)
        if rect != self.selection:
            self.selection = rect
            self.selectionChanged.emit()

    def _checked_rect(self, rect: tuple[int, int, int, int],
                      hw: tuple[int, int] | None = None) -> tuple[int, int, int, int]:
        top, left, height, width = (int(v) for v in rect)
        h, w = hw or self._rgb.shape[:2]
        top, left = max(0, top), max(0, left)
        height, width = min(height, h - top), min(width, w - left)
        if height < 1 or width < 1:
            raise ValueError("the rectangle is empty: drag one that covers at least one pixel")
        return top, left, height, width

    def crop(self, rect: tuple[int, int, int, int]) -> None:
        """Keep only the rectangle (top, left, height, width) of the current source (undoable)."""
        top, left, height, width = self._checked_rect(rect)
        rgb = np.ascontiguousarray(self._rgb[top:top + height, left:left + width])
        base = self.source_name.split(" [")[0]
        self._change(self._state().replace(
            rgb=rgb, name=f"{base} [crop {width}×{height} at x {left}, y {top}]",
            selection=None), "crop")

    def resize(self, height: int, width: int) -> None:
        """Resample the current source to ``height`` × ``width`` pixels (area or bilinear)."""
        if not (1 <= height <= MAX_RESIZE and 1 <= width <= MAX_RESIZE):
            raise ValueError(f"size must be 1…{MAX_RESIZE} pixels per side, got {width}×{height}")
        import cv2

        h, w = self._rgb.shape[:2]
        shrinking = height * width < h * w
        rgb = cv2.resize(self._rgb, (width, height),
                         interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)
        base = self.source_name.split(" [")[0]
        self._change(self._state().replace(rgb=np.ascontiguousarray(rgb),
                                           name=f"{base} [{width}×{height}]", selection=None),
                     f"resize to {width}×{height}")

    def restore_original(self) -> None:
        """Undo crops and resizes: back to the image as it was opened (undoable)."""
        rgb, name = self._original
        if rgb is not self._rgb:
            self._change(self._state().replace(rgb=rgb, name=name, selection=None),
                         "restore image")

    @property
    def modified(self) -> bool:
        """Whether the source was cropped or resized since it was opened."""
        return self._rgb is not self._original[0]

    def set_channel(self, channel: str) -> None:
        """Choose luminance, one colour channel, or all channels (undoable)."""
        if channel not in CHANNELS:
            raise ValueError(f"channel must be one of {', '.join(CHANNELS)}")
        self._change(self._state().replace(channel=channel), "channel change")

    @property
    def rgb(self) -> np.ndarray:
        """The full-colour source in 0..255."""
        return self._rgb

    def set_state(self, *, image01: np.ndarray | None = None, name: str = "",
                  channel: str, kernel: Any, use_weight: bool, params: PipelineParams,
                  selection: tuple[int, int, int, int] | None, display: str,
                  text: str = "Apply state") -> None:
        """Apply a whole workspace state (a lesson's) as one undo step, with one recomputation.

        Everything is checked before the first change: a ValueError (naming what is wrong)
        leaves the model exactly as it was. ``image01`` None keeps the current image; undo
        brings back the whole previous state.
        """
        if channel not in CHANNELS:
            raise ValueError(f"channel must be one of {', '.join(CHANNELS)}")
        if display not in DISPLAY_MODES:
            raise ValueError(f"display must be one of {', '.join(DISPLAY_MODES)}")
        entries = validate_kernel(kernel)
        check_workspace_limits(params)
        if image01 is not None:
            img = np.asarray(image01, dtype=np.float32)
            sides_ok = img.ndim in (2, 3) and all(limits.IMAGE_SIDE.allows(int(n))
                                                  for n in img.shape[:2])
            if not sides_ok or (img.ndim == 3 and img.shape[2] not in (1, 3)):
                raise ValueError(f"the image must be H×W or H×W×3 with sides "
                                 f"{limits.IMAGE_SIDE.text()}, got shape {img.shape}")
            if not np.isfinite(img).all() or img.min() < 0.0 or img.max() > 1.0:
                raise ValueError("the image's values must be finite and within 0…1")
            image01 = img if img.ndim == 2 else img[:, :, [0, 0, 0]] if img.shape[2] == 1 else img
        hw = image01.shape[:2] if image01 is not None else self._rgb.shape[:2]
        if selection is not None:
            top, left, height, width = selection
            if not (0 <= top < hw[0] and 0 <= left < hw[1] and height >= 1 and width >= 1):
                raise ValueError(f"the selection {selection} lies outside the "
                                 f"{hw[1]}×{hw[0]} image")
            selection = self._checked_rect(selection, (int(hw[0]), int(hw[1])))
        after = self._state()
        if image01 is not None:
            rgb = self._as_rgb(image01)
            after = after.replace(rgb=rgb, name=name, original=(rgb, name))
        after = after.replace(channel=channel, params=params, selection=selection,
                              display=display, kernel=self._kernel_state(entries, use_weight))
        self._change(after, text)

    # --- kernel -------------------------------------------------------------------------
    def _kernel_state(self, entries: np.ndarray, use_weight: bool | None) -> KernelState:
        new = KernelState(entries.copy(), self.kernel.use_weight if use_weight is None
                          else use_weight)
        return self.kernel if new.same_as(self.kernel) else new

    def set_kernel(self, entries: Any, *, use_weight: bool | None = None,
                   text: str = "Edit kernel") -> None:
        """Change the kernel as one undoable step; raises ValueError for an invalid kernel."""
        arr = validate_kernel(entries)
        self._change(self._state().replace(kernel=self._kernel_state(arr, use_weight)), text)

    def set_entry(self, row: int, col: int, value: float) -> None:
        """Change one kernel entry (undoable)."""
        entries = self.kernel.entries.copy()
        entries[row, col] = value
        self.set_kernel(entries, text=f"Set cell ({row + 1},{col + 1}) to {value:g}")

    def apply_preset(self, name: str) -> None:
        """Load a named preset with its weight applied (one undoable step)."""
        preset = get_preset(name)
        # The display follows the kind of kernel: no negative weight (a blur), no negative
        # output, so grey clipped as the lessons show it; a signed kernel, the diverging map.
        display = "clipped" if float(preset.array.min()) >= 0 else "signed"
        self._change(self._state().replace(
            kernel=self._kernel_state(validate_kernel(preset.array), True), display=display),
            f"Preset {preset.label}")

    @property
    def effective_kernel(self) -> np.ndarray:
        """The (kh, kw[, C]) kernel the convolution uses."""
        k = self.kernel.effective
        if self.source.ndim == 3:
            return np.repeat(k[:, :, None], self.source.shape[2], axis=2)
        return k

    # --- parameters and display -----------------------------------------------------------
    def set_params(self, **changes: Any) -> None:
        """Change parameters (one undoable step, "stride change").

        Raises ValueError (naming the field) if a value is not allowed; a refused change
        leaves the parameters as they were.
        """
        params = dataclasses.replace(self.params, **changes)
        check_workspace_limits(params)
        self._change(self._state().replace(params=params),
                     params_change_text(self.params, params))

    def set_display_mode(self, mode: str) -> None:
        """Show outputs signed, absolute, or clipped to 0..255 like the lessons (undoable)."""
        if mode not in DISPLAY_MODES:
            raise ValueError(f"display must be one of {', '.join(DISPLAY_MODES)}")
        self._change(self._state().replace(display=mode), "display change")

    @property
    def output_maps(self) -> int:
        """How many maps the conv output has: C·M in depthwise mode, else one."""
        if self.params.family != "depthwise":
            return 1
        channels = self.source.shape[2] if self.source.ndim == 3 else 1
        return channels * self.params.depth_multiplier

    def set_output_map(self, index: int) -> None:
        """Show map ``index`` (from 0) of a depthwise output (a view choice, not undoable)."""
        if not 0 <= index < self.output_maps:
            raise ValueError(f"map must be 1…{self.output_maps}, got {index + 1}")
        if index != self.output_map:
            self.output_map = index
            self.displayChanged.emit()

    def _fit_output_map(self) -> None:
        if self.output_map >= self.output_maps:
            self.output_map = 0

    # --- computation --------------------------------------------------------------------
    def _snapshot(self) -> tuple[int, np.ndarray, np.ndarray, PipelineParams]:
        return self._generation, self.source, self.effective_kernel, self.params

    def request(self) -> None:
        """Recompute in the background; edits made while a run is in flight coalesce."""
        with self._lock:
            if self._closed:
                return  # widgets being torn down after the window closed
            self._generation += 1
            if self._running:
                self._pending = True
                return
            self._running = True
        self._submit()

    def _submit(self) -> None:
        # One run at a time: edits made meanwhile coalesce into the next (see request).
        snap = self._snapshot()
        self._task = run_task(_work, snap, name="workspace")
        self._task.succeeded.connect(self._on_finished)
        # A bug in the pipeline must not leave the model waiting for ever: show it as an error.
        self._task.failed.connect(
            lambda exc, gen=snap[0]: self._on_finished((gen, ValueError(f"unexpected {exc!r}"))))

    @Slot(object)
    def _on_finished(self, payload: tuple[int, PipelineResult | ValueError]) -> None:
        gen, outcome = payload
        with self._lock:
            rerun = self._pending and not self._closed
            self._pending = False
            self._running = rerun
        if rerun:
            self._submit()
        if gen == self._generation:  # otherwise stale: a newer edit is on its way
            self._publish(gen, outcome)

    def _publish(self, gen: int, outcome: PipelineResult | ValueError) -> None:
        self._published = gen
        if isinstance(outcome, ValueError):
            self.error = str(outcome)
            self.errorChanged.emit(self.error)
            return
        self.result = outcome
        if self.error:
            self.error = ""
            self.errorChanged.emit("")
        self.resultChanged.emit(outcome)

    def compute_now(self) -> None:
        """Recompute on the calling thread (start-up and screenshots); drops in-flight runs."""
        with self._lock:
            self._generation += 1
        gen, source, kernel, params = self._snapshot()
        try:
            self._publish(gen, run_pipeline(source, kernel, params, check_finite=False))
        except ValueError as exc:
            self._publish(gen, exc)

    @property
    def busy(self) -> bool:
        """Whether a computation is in flight."""
        with self._lock:
            return self._running

    @property
    def idle(self) -> bool:
        """Whether the views show the outcome of the latest edit."""
        with self._lock:
            return not self._running and self._published == self._generation

    def shutdown(self) -> None:
        """Drop the run in flight (window close); later edits are ignored."""
        with self._lock:
            self._closed = True
        if self._task is not None:
            self._task.cancel()


def _work(snap: tuple[int, np.ndarray, np.ndarray, PipelineParams]
          ) -> tuple[int, PipelineResult | ValueError]:
    gen, source, kernel, params = snap
    try:
        # Sources are checked when loaded, so skip the per-edit finiteness scan.
        return gen, run_pipeline(source, kernel, params, check_finite=False)
    except ValueError as exc:  # an invalid combination: shown as the model's error
        return gen, exc
