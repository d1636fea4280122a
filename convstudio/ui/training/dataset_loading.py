"""Datasets in the Training tab: chosen, loaded off the GUI thread, shown as samples.

A load that fails for any reason ends "Loading…" with its message and keeps the dataset in
use; images of a folder that could not be read are named.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from PySide6.QtCore import QObject, QSettings, Signal, Slot
from PySide6.QtWidgets import QFileDialog, QWidget

from ...training.datasets import Dataset, load_dataset, skipped_text
from ...training.models import output_classes
from ...training.session import TrainingConfig, evaluation_images
from .views import tile

if TYPE_CHECKING:
    from collections.abc import Callable
    from concurrent.futures import ThreadPoolExecutor

    from PySide6.QtCore import SignalInstance
    from PySide6.QtWidgets import QComboBox, QLabel

    from ..numbers import DecimalBox, WholeBox
    from .results import ResultsPanel
    from .views import MosaicView
    from .worker import TrainingRunner

DATASET_LABELS = {"fashion-mnist": "Fashion-MNIST", "mnist": "MNIST (digits)",
                  "shapes": "Shapes (built in)", "folder": "Image folder…"}


def idx_available(name: str) -> bool:
    """Whether the IDX dataset ``name`` is installed in one of the usual places."""
    from ...training.datasets import IDX_FILES, search_dirs

    return any(all((d / f).is_file() for f in IDX_FILES.values()) for d in search_dirs(name))


class _Loader(QObject):
    """Loads a dataset off the GUI thread; the result arrives by a queued signal."""

    loaded = Signal(object)  # (token, Dataset | Exception)


LAST_FOLDER_KEY = "training/lastFolder"


def last_folder() -> str:
    """Return the last folder a dataset was loaded from, if it still exists (else "")."""
    folder = QSettings().value(LAST_FOLDER_KEY, "")
    return folder if isinstance(folder, str) and folder and Path(folder).is_dir() else ""


class DatasetLoading:
    """The dataset half of :class:`~convstudio.ui.training.tab.TrainingTab` (a mixin)."""

    if TYPE_CHECKING:
        dataset: Dataset | None
        folder: str | None
        model: Any
        runner: TrainingRunner
        results: ResultsPanel
        dataset_combo: QComboBox
        dataset_label: QLabel
        error_label: QLabel
        status: QLabel
        samples_view: MosaicView
        limit: WholeBox
        val_split: DecimalBox
        probe: WholeBox
        datasetLoaded: SignalInstance
        _load_token: int
        _loader: _Loader
        _executor: ThreadPoolExecutor
        show_message: Callable[[str], None]
        training_now: Callable[[], bool]
        evaluate_model: Callable[..., bool]
        _refresh_summary: Callable[[], None]
        _update_buttons: Callable[[], None]

    # --- dataset ---------------------------------------------------------------------------------
    @property
    def dataset_name(self) -> str:
        """Return the chosen dataset's key."""
        return str(self.dataset_combo.currentData())

    def class_names(self) -> tuple[str, ...]:
        """Return the loaded dataset's class names (none before one is loaded)."""
        return self.dataset.class_names if self.dataset is not None else ()

    def _on_dataset_choice(self) -> None:
        if self.dataset_name == "folder" and not self.folder:
            self._choose_folder()
            return
        self.request_dataset()

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(cast(QWidget, self), "Dataset folder",
                                                  last_folder())
        if folder:
            self.set_folder(folder)

    def set_folder(self, folder: str) -> None:
        """Use ``folder`` (IDX files, or class sub-folders for the image-folder dataset)."""
        self.folder = folder
        self.request_dataset()

    def request_dataset(self) -> None:
        """Load the chosen dataset in the background; the previous one stays until it works."""
        name, folder = self.dataset_name, self.folder
        self._start_loading(lambda: load_dataset(name, folder))

    def _start_loading(self, load: Any, text: str | None = None) -> None:
        self._load_token += 1
        token = self._load_token
        self.dataset_label.setText(text or f"Loading {DATASET_LABELS[self.dataset_name]}…")
        self._update_buttons()

        def work() -> None:
            try:
                outcome: Dataset | Exception = load()
            except Exception as exc:  # noqa: BLE001 (any failure must end "Loading…")
                outcome = exc
            self._loader.loaded.emit((token, outcome))

        self._executor.submit(work)

    @Slot(object)
    def _on_loaded(self, payload: tuple[int, Dataset | Exception]) -> None:
        token, outcome = payload
        if token != self._load_token:
            return
        if isinstance(outcome, Exception):
            kept = f" Still using {self.dataset.name}." if self.dataset is not None else ""
            self.dataset_label.setText("Not loaded.")
            why = str(outcome) or type(outcome).__name__
            if isinstance(outcome, MemoryError):
                why = "there is not enough memory for this dataset"
            self.show_message(f"{why}{kept}")
        else:
            self.dataset = outcome
            self.error_label.setText("")
            self._show_dataset(outcome)
            if self.folder:
                QSettings().setValue(LAST_FOLDER_KEY, self.folder)
            skipped = skipped_text(outcome)
            if skipped:
                self.show_message(skipped)
            self._evaluate_on_new_dataset()
        self._update_buttons()
        self.datasetLoaded.emit()

    def _evaluate_on_new_dataset(self) -> None:
        """Evaluate the model on the new dataset (its matrix was of other images), or clear."""
        if self.model is None or self.training_now():
            return
        ds = self.dataset
        if ds is not None and output_classes(self.model) == ds.n_classes:
            self.evaluate_model(f"on {DATASET_LABELS.get(ds.name, ds.name)}")
        else:
            self.results.forget_evaluation("The model's classes are not this dataset's.")

    def _evaluation_images(self) -> tuple[Any, Any, str] | None:
        """Return what the form's next run would evaluate, from the loaded dataset."""
        if self.dataset is None:
            return None
        ds = self.dataset.limited(self.limit.value() or None)
        return evaluation_images(ds, TrainingConfig(validation_split=self.val_split.value()))

    def _show_dataset(self, ds: Dataset) -> None:
        self.dataset_label.setText(
            f"{len(ds.x_train):,} training and {len(ds.x_test):,} test images, "
            f"{ds.n_classes} classes — from {ds.source}")
        picks = []
        for c in range(ds.n_classes):
            picks += list(np.nonzero(ds.y_train == c)[0][:3])
        images = ds.x_train[np.array(picks, dtype=np.int64)] if picks else ds.x_train[:1]
        self.samples_view.show_array(tile(images.astype(np.float32), cols=max(3, len(picks) // 5)),
                                     (0.0, 255.0), "grey")
        self.samples_view.caption.setText(", ".join(ds.class_names))
        self.probe.setRange(0, max(0, len(ds.x_test) - 1))
        self._refresh_summary()

    def _download(self) -> None:
        name = self.dataset_name
        if name not in ("fashion-mnist", "mnist"):
            self.show_message("Only Fashion-MNIST and MNIST can be downloaded.")
            return
        from ...training.datasets import download

        self.status.setText(f"Downloading {name}…")
        self._start_loading(lambda: download(name), f"Downloading {DATASET_LABELS[name]}…")
