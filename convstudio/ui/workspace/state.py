"""The workspace's undoable state, and the one undo command every change is made of.

Every change to the workspace (kernel, parameters, display, image, channel, a lesson) is a
:class:`StateChange` on the model's one ``QUndoStack``: the state before and after, of which
only the parts that differ are applied, so undoing a stride change leaves a later selection
alone, and undoing an image change brings back the image with its selection.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from PySide6.QtGui import QUndoCommand

from ...core import normalisation_weight
from ...core.pipeline import PipelineParams

# What a parameter is called in "Undo stride change".
PARAM_NAMES = {
    "stride": "stride", "padding": "padding", "dilation": "dilation", "bias": "bias",
    "activation": "activation", "pool": "pooling", "pool_size": "pool size",
    "pool_stride": "pool stride", "family": "conv family", "output_padding": "output padding",
    "depth_multiplier": "depth multiplier",
}


@dataclass(frozen=True)
class KernelState:
    """What the kernel editor edits: the entries and whether their weight is applied."""

    entries: np.ndarray
    use_weight: bool = True

    @property
    def weight(self) -> float:
        """1/sum of the entries, or 1 when they sum to 0 or 1."""
        return normalisation_weight(self.entries)

    @property
    def effective(self) -> np.ndarray:
        """The kernel actually applied."""
        w = np.float32(self.weight if self.use_weight else 1.0)
        return (self.entries * w).astype(np.float32)

    def same_as(self, other: KernelState) -> bool:
        """Return whether both states hold the same entries and weight switch."""
        return (self.use_weight == other.use_weight
                and self.entries.shape == other.entries.shape
                and bool(np.array_equal(self.entries, other.entries)))


@dataclass(frozen=True, eq=False)
class WorkspaceState:
    """Everything an undo step can restore. Images are shared, never changed in place."""

    rgb: np.ndarray                       # the source, RGB in 0..255
    name: str
    original: tuple[np.ndarray, str]      # the image as opened (Restore), and its name
    channel: str
    kernel: KernelState
    params: PipelineParams
    display: str
    selection: tuple[int, int, int, int] | None

    def differs(self, other: WorkspaceState) -> frozenset[str]:
        """Return the names of the parts that differ (images by identity)."""
        changed = set()
        if self.rgb is not other.rgb or self.name != other.name:
            changed.add("image")
        if self.original[0] is not other.original[0] or self.original[1] != other.original[1]:
            changed.add("original")
        if not self.kernel.same_as(other.kernel):
            changed.add("kernel")
        for part in ("channel", "params", "display", "selection"):
            if getattr(self, part) != getattr(other, part):
                changed.add(part)
        return frozenset(changed)

    def replace(self, **changes: object) -> WorkspaceState:
        """Return a copy with ``changes``."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


def params_change_text(old: PipelineParams, new: PipelineParams) -> str:
    """Name a parameter change: "stride change", "stride and padding change"."""
    names = [PARAM_NAMES[f.name] for f in dataclasses.fields(PipelineParams)
             if getattr(old, f.name) != getattr(new, f.name)]
    if not names or len(names) > 2:
        return "parameter change"
    return " and ".join(names) + " change"


class Restores(Protocol):
    """What a step changes: the workspace model (a protocol, so state.py need not import it)."""

    def _apply_state(self, state: WorkspaceState, parts: frozenset[str]) -> None: ...


class StateChange(QUndoCommand):
    """One undoable step: applies ``after`` (redo) or ``before`` (undo), only where they differ."""

    def __init__(self, model: Restores, before: WorkspaceState, after: WorkspaceState,
                 text: str) -> None:
        # "Undo set cell (1,1) to 5": the menu puts the verb in front of the text.
        super().__init__(text[:1].lower() + text[1:])
        self._model, self._before, self._after = model, before, after
        parts = before.differs(after)
        # A selection belongs to its image: an image change brings back its own.
        self.parts = parts | {"selection"} if "image" in parts else parts

    def redo(self) -> None:
        """Apply the state after the change."""
        self._model._apply_state(self._after, self.parts)

    def undo(self) -> None:
        """Apply the state before the change."""
        self._model._apply_state(self._before, self.parts)
