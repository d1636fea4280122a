"""Model files of the Training tab: the Save, Load and Export dialogs.

Saving and loading are the model's (:meth:`TrainingModel.save_to`, :meth:`TrainingModel.load_from`:
the file and the network are checked first, and a refused file leaves everything as it was);
exporting writes the filters the replay slider shows. Every write is atomic
(``convstudio.files.atomic_write``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, cast

import numpy as np
from PySide6.QtWidgets import QFileDialog, QWidget

from ...files import atomic_write

if TYPE_CHECKING:
    from collections.abc import Callable

    from PySide6.QtCore import SignalInstance

    from .model import TrainingModel
    from .results import ResultsPanel


class ModelFiles:
    """The file half of :class:`~convstudio.ui.training.tab.TrainingTab` (a mixin)."""

    if TYPE_CHECKING:
        model: TrainingModel
        results: ResultsPanel
        messageRaised: SignalInstance
        show_message: Callable[[str], None]

    def _save_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(cast(QWidget, self), "Save model",
                                              "model.keras", "Keras model (*.keras)")
        if path:
            self.save_to(path)

    def save_to(self, path: str) -> Path | None:
        """Save the network (.keras) with its history (JSON) beside it."""
        return self.model.save_to(path)

    def _load_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(cast(QWidget, self), "Load model", "",
                                              "Keras model (*.keras)")
        if path:
            self.load_from(path)

    def load_from(self, path: str) -> bool:
        """Load a saved model; a bad or unsuitable file leaves the current one in place."""
        return self.model.load_from(path)

    def _export_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(cast(QWidget, self), "Export filters",
                                              "filters.npy", "NumPy array (*.npy)")
        if path:
            self.export_filters(path)

    def export_filters(self, path: str) -> Path | None:
        """Write the shown layer-1 filters (kh, kw, 1, F) as .npy, atomically."""
        snapshots = self.model.snapshots
        if not snapshots:
            return None
        target = Path(path).with_suffix(".npy")
        filters = snapshots[min(self.results.replay.value(), len(snapshots) - 1)][1]
        try:
            atomic_write(target, lambda tmp: np.save(tmp, filters, allow_pickle=False))
        except OSError as exc:
            self.show_message(f"Could not save {target}: {exc.strerror or exc}")
            return None
        self.messageRaised.emit(f"Saved {target}")
        return target
