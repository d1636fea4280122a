"""The Training tab's "Dataset" box: the choice, a folder, a download, and samples per class.

A view of :class:`~convstudio.ui.training.model.TrainingModel`: the choice changes the model's
settings; what is loading, what was loaded and samples of it follow the model's signals. A load
that fails says so and keeps the dataset in use (the model says which).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QWidget,
)

from ...training.datasets import Dataset
from ..numbers import WholeBox
from .model import DATASET_LABELS, TrainingModel, last_folder
from .views import MosaicView, tile


class DatasetBox(QGroupBox):
    """Choose, load and look at the dataset of ``model``; ``limit`` is the form's box."""

    def __init__(self, model: TrainingModel, limit: WholeBox,
                 parent: QWidget | None = None) -> None:
        super().__init__("Dataset", parent)
        self.model = model
        self.combo = QComboBox()
        for key, label in DATASET_LABELS.items():
            self.combo.addItem(label, key)
        self.combo.currentIndexChanged.connect(self._on_choice)
        self.folder_button = QPushButton("Choose folder…")
        self.folder_button.setToolTip("A folder holding the four IDX .gz files, or one "
                                      "sub-folder of images per class")
        self.folder_button.clicked.connect(lambda: self.choose_folder())
        self.download_button = QPushButton("Download…")
        self.download_button.setToolTip("Fetch Fashion-MNIST or MNIST with keras.datasets "
                                        "(needs the internet; nothing else here does)")
        self.download_button.clicked.connect(model.download)
        self.label = QLabel("")
        self.label.setWordWrap(True)
        self.label.setMinimumHeight(4 * self.label.fontMetrics().lineSpacing())
        self.samples_view = MosaicView("Samples, three per class")
        self.samples_view.setMinimumHeight(220)
        form = QFormLayout(self)
        form.addRow(self.combo)
        row = QHBoxLayout()
        row.addWidget(self.folder_button)
        row.addWidget(self.download_button)
        form.addRow(row)
        form.addRow("Use first", limit)
        form.addRow(self.label)
        form.addRow(self.samples_view)
        self.shown: Dataset | None = None
        model.settingsChanged.connect(self.show_choice)
        model.datasetLoading.connect(self.label.setText)
        model.datasetLoaded.connect(self._on_loaded)
        self.show_choice()
        if model.dataset is not None:
            self._on_loaded()

    def show_choice(self) -> None:
        """Show the model's chosen dataset in the combo box (no load is asked for)."""
        self.combo.blockSignals(True)
        self.combo.setCurrentIndex(self.combo.findData(self.model.settings.dataset))
        self.combo.blockSignals(False)

    def _on_choice(self) -> None:
        key = str(self.combo.currentData())
        if key == "folder" and not self.model.folder:
            self.choose_folder("folder")
            return
        self.model.set_settings({"dataset": key})
        self.model.ensure_dataset()

    def choose_folder(self, dataset: str | None = None) -> None:
        """Ask for a folder of images (or IDX files) and use it; Cancel changes nothing."""
        folder = QFileDialog.getExistingDirectory(self, "Dataset folder", last_folder())
        if folder:
            self.model.set_folder(folder, dataset)
        else:
            self.show_choice()

    def _on_loaded(self) -> None:
        ds = self.model.dataset
        if ds is None or ds is self.shown:
            self.label.setText("Not loaded.")
            return
        self.shown = ds
        self.label.setText(
            f"{len(ds.x_train):,} training and {len(ds.x_test):,} test images, "
            f"{ds.n_classes} classes — from {ds.source}")
        picks = []
        for c in range(ds.n_classes):
            picks += list(np.nonzero(ds.y_train == c)[0][:3])
        images = ds.x_train[np.array(picks, dtype=np.int64)] if picks else ds.x_train[:1]
        self.samples_view.show_array(tile(images.astype(np.float32), cols=max(3, len(picks) // 5)),
                                     (0.0, 255.0), "grey")
        self.samples_view.caption.setText(", ".join(ds.class_names))
