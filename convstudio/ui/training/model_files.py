"""Model files of the Training tab: save and load ``.keras`` models, export the filters.

Loading checks the file and the model first (see ``training.persist``), then asks before it
replaces a trained model that is not saved; a refused file leaves everything as it was. Every
write is atomic (``convstudio.files.atomic_write``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from PySide6.QtWidgets import QFileDialog, QWidget

from ...files import atomic_write
from ...training.datasets import IDX_DATASETS, SHAPE_CLASSES
from ...training.models import first_conv, output_classes

if TYPE_CHECKING:
    from collections.abc import Callable

    from PySide6.QtCore import SignalInstance
    from PySide6.QtWidgets import QLabel

    from ...training.datasets import Dataset
    from .results import ResultsPanel
    from .worker import TrainingRunner


def _sentence(text: str) -> str:
    return text.rstrip().rstrip(".") + "."


class ModelFiles:
    """The file half of :class:`~convstudio.ui.training.tab.TrainingTab` (a mixin)."""

    if TYPE_CHECKING:
        runner: TrainingRunner
        results: ResultsPanel
        status: QLabel
        dataset: Dataset | None
        model: Any
        history: dict[str, list[float]]
        epochs_done: int
        _unsaved: bool
        _plan_end: int | None
        messageRaised: SignalInstance

        @property
        def dataset_name(self) -> str:
            """The chosen dataset's key (the tab's)."""
        show_message: Callable[[str], None]
        has_unsaved_model: Callable[[], bool]
        confirm_discard: Callable[[str], bool]
        evaluate_model: Callable[..., bool]
        refresh_probe: Callable[[], None]
        _update_buttons: Callable[[], None]
        _let_go_of_model: Callable[[], None]

    def _save_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(cast(QWidget, self), "Save model",
                                              "model.keras", "Keras model (*.keras)")
        if path:
            self.save_to(path)

    def save_to(self, path: str) -> Path | None:
        """Save the model (.keras) with its history (JSON) beside it."""
        from ...training.persist import ModelFileError, save_model

        if self.model is None:
            return None
        try:
            written = save_model(self.model, self.history, path)
        except ModelFileError as exc:
            self.show_message(str(exc))
            return None
        self._unsaved = False
        self.messageRaised.emit(f"Saved {written}")
        return written

    def _load_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(cast(QWidget, self), "Load model", "",
                                              "Keras model (*.keras)")
        if path:
            self.load_from(path)

    def classes_wanted(self) -> int | None:
        """How many classes a loaded model must output: the chosen dataset's (None: unknown)."""
        name = self.dataset_name
        if name in IDX_DATASETS:
            return len(IDX_DATASETS[name])
        if name == "shapes":
            return len(SHAPE_CLASSES)
        if self.dataset is not None and self.dataset.name == name:
            return self.dataset.n_classes
        return None

    def load_from(self, path: str) -> bool:
        """Load a saved model; a bad or unsuitable file leaves the current one in place."""
        from ...training.persist import ModelFileError, load_model

        name = Path(path).name
        if self.runner.running and not self.runner.evaluating:
            self.show_message(f"Cannot load {name} while the model trains; stop it first.")
            return False
        try:
            model, history = load_model(path, n_classes=self.classes_wanted())
        except ModelFileError as exc:
            self.show_message(f"{_sentence(str(exc))} The current model is unchanged.")
            return False
        if self.has_unsaved_model() and not self.confirm_discard(f"Loading {name}"):
            self.messageRaised.emit(f"Kept the trained model; {name} was not loaded.")
            return False
        if not self.runner.cancel_evaluation():
            self.show_message(f"Cannot load {name} now; try again in a moment.")
            return False
        self._let_go_of_model()
        self.model, self.history = model, history
        self.epochs_done = len(history.get("loss", []))
        self._plan_end, self._unsaved = None, False
        self.results.curves.set_history(history)
        self.results.forget_model()
        self.results.show_model(f"loaded from {name}", np.array(first_conv(model).get_weights()[0]))
        self.status.setText(f"Loaded {name} ({self.epochs_done} epoch(s))")
        ds = self.dataset
        if ds is not None and output_classes(model) == ds.n_classes:
            self.refresh_probe()
            self.evaluate_model(f"of the loaded model {name}")
        else:
            self.results.forget_evaluation("Load the dataset this model was trained on to see "
                                           "its confusion matrix.")
        self._update_buttons()
        return True

    def _export_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(cast(QWidget, self), "Export filters",
                                              "filters.npy", "NumPy array (*.npy)")
        if path:
            self.export_filters(path)

    def export_filters(self, path: str) -> Path | None:
        """Write the shown layer-1 filters (kh, kw, 1, F) as .npy, atomically."""
        snapshots = self.results.snapshots
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
