"""The Training tab: dataset, model and run controls beside live curves, filters and maps.

The form is ``form.py``, the views ``results.py``, the datasets ``dataset_loading.py``,
Start/Stop/Resume/Reset ``runs.py`` and the model files ``model_files.py``; this module lays
them out.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ...training.datasets import Dataset
from ...training.models import ModelConfig
from ...training.session import TrainingConfig
from ..explain import explain
from ..theme import scale_width
from .dataset_loading import (  # last_folder: the tab's public helper, as before
    DATASET_LABELS,
    DatasetLoading,
    _Loader,
    idx_available,
    last_folder,
)
from .draw import DrawCanvas, to_dataset_image
from .form import TrainingForm
from .model_files import ModelFiles
from .results import ResultsPanel
from .runs import RunControl
from .views import MosaicView
from .worker import TrainingRunner

__all__ = ["DATASET_LABELS", "TrainingTab", "last_folder"]


class TrainingTab(DatasetLoading, RunControl, ModelFiles, QWidget):
    """Train the lessons' CNN and watch it learn."""

    messageRaised = Signal(str)
    datasetLoaded = Signal()
    runEnded = Signal()  # a run, or an evaluation of the model, ended

    def __init__(self, workspace_kernel: Callable[[], np.ndarray],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # The workspace's kernel, asked for when a run seeds filter 0 with it: a function, so
        # this tab depends on no other tab's model.
        self.workspace_kernel = workspace_kernel
        self.runner = TrainingRunner(self)
        relay = self.runner.relay  # its signals arrive on the GUI thread
        relay.runStarted.connect(self._on_run_started)
        relay.batchEnded.connect(self._on_batch)
        relay.epochEnded.connect(self._on_epoch)
        relay.snapshotTaken.connect(self._on_snapshot)
        relay.runFinished.connect(self._on_finished)
        relay.evaluated.connect(self._on_evaluated)
        relay.runFailed.connect(self._on_failed)
        self.runner.threadEnded.connect(self._on_thread_done)
        self.dataset: Dataset | None = None
        self.folder: str | None = None
        self.model: Any = None
        self._init_runs()
        self._load_token = 0
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dataset")
        self._loader = _Loader()
        self._loader.loaded.connect(self._on_loaded)
        self._build()
        self._refresh_summary()
        self._update_buttons()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt override)
        """Load the chosen dataset the first time the tab is shown, not at start-up."""
        super().showEvent(event)
        if self.dataset is None and self._load_token == 0:
            self.request_dataset()

    # --- layout ------------------------------------------------------------------------------
    def _build(self) -> None:
        form = self.form = TrainingForm(self)
        form.changed.connect(self._refresh_summary)
        form.messageRaised.connect(self.show_message)
        # The form's widgets by their old names: lessons, tests and benchmarks use these.
        self.limit, self.blocks, self.filters = form.limit, form.blocks, form.filters
        self.kernel_size, self.pooling, self.dense = form.kernel_size, form.pooling, form.dense
        self.dropout, self.optimizer = form.dropout, form.optimizer
        self.learning_rate, self.batch_size = form.learning_rate, form.batch_size
        self.epochs, self.val_split, self.schedule = form.epochs, form.val_split, form.schedule
        self.seed_kernel, self.freeze_seed = form.seed_kernel, form.freeze_seed
        self.summary_table, self.summary_note = form.summary_table, form.summary_note

        self.dataset_combo = QComboBox()
        for key, label in DATASET_LABELS.items():
            self.dataset_combo.addItem(label, key)
        # The lessons' Fashion-MNIST where it is installed; else the set that needs nothing.
        default = "fashion-mnist" if idx_available("fashion-mnist") else "shapes"
        self.dataset_combo.setCurrentIndex(self.dataset_combo.findData(default))
        self.dataset_combo.currentIndexChanged.connect(self._on_dataset_choice)
        self.folder_button = QPushButton("Choose folder…")
        self.folder_button.setToolTip("A folder holding the four IDX .gz files, or one "
                                      "sub-folder of images per class")
        self.folder_button.clicked.connect(self._choose_folder)
        self.download_button = QPushButton("Download…")
        self.download_button.setToolTip("Fetch Fashion-MNIST or MNIST with keras.datasets "
                                        "(needs the internet; nothing else here does)")
        self.download_button.clicked.connect(self._download)
        self.dataset_label = QLabel("")
        self.dataset_label.setWordWrap(True)
        self.dataset_label.setMinimumHeight(4 * self.dataset_label.fontMetrics().lineSpacing())
        self.samples_view = MosaicView("Samples, three per class")
        self.samples_view.setMinimumHeight(220)
        ds_box = QGroupBox("Dataset")
        dl = QFormLayout(ds_box)
        dl.addRow(self.dataset_combo)
        row = QHBoxLayout()
        row.addWidget(self.folder_button)
        row.addWidget(self.download_button)
        dl.addRow(row)
        dl.addRow("Use first", self.limit)
        dl.addRow(self.dataset_label)
        dl.addRow(self.samples_view)

        self.start_button = QPushButton("Start")
        self.stop_button = QPushButton("Stop")
        self.resume_button = QPushButton("Resume")
        self.reset_button = QPushButton("Reset")
        self.start_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.stop)
        self.resume_button.clicked.connect(self.resume)
        self.reset_button.clicked.connect(self.reset)
        self.save_button = QPushButton("Save model…")
        self.load_button = QPushButton("Load model…")
        self.export_button = QPushButton("Export filters (.npy)…")
        self.save_button.clicked.connect(self._save_dialog)
        self.load_button.clicked.connect(self._load_dialog)
        self.export_button.clicked.connect(self._export_dialog)
        buttons = QGridLayout()
        for i, b in enumerate((self.start_button, self.stop_button, self.resume_button,
                               self.reset_button, self.save_button, self.load_button)):
            buttons.addWidget(b, i // 2, i % 2)
        buttons.addWidget(self.export_button, 3, 0, 1, 2)

        self.canvas = DrawCanvas()
        self.canvas.drawn.connect(self.predict_drawing)
        self.clear_button = QPushButton("Clear")
        self.clear_button.clicked.connect(self.canvas.clear)
        self.drawing_label = QLabel("Train or load a model, then draw an item or a digit.")
        self.drawing_label.setWordWrap(True)
        draw_box = QGroupBox("Draw to predict")
        drl = QVBoxLayout(draw_box)
        drl.addWidget(self.canvas, 0, Qt.AlignmentFlag.AlignHCenter)
        drl.addWidget(self.clear_button)
        drl.addWidget(self.drawing_label)

        controls = QWidget()
        cl = QVBoxLayout(controls)
        for box in (ds_box, form.model_box(), form.run_box()):
            cl.addWidget(box)
        cl.addLayout(buttons)
        cl.addWidget(draw_box)
        cl.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(controls)
        scroll.setWidgetResizable(True)
        scale_width(scroll, 380)

        self.progress = QProgressBar()
        self.status = QLabel("Not trained yet.")
        self.status.setObjectName("trainingStatus")
        # Ignored: a new text every few batches must not re-lay-out (and repaint) the tab.
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.status.setMinimumHeight(self.status.fontMetrics().lineSpacing() + 4)
        self.error_label = QLabel("")
        self.error_label.setObjectName("error")
        self.error_label.setStyleSheet("color: #b2182b; font-weight: bold;")
        self.error_label.setWordWrap(True)
        res = self.results = ResultsPanel()
        res.probe.valueChanged.connect(self._on_probe_changed)
        res.probe.valueRefused.connect(self.show_message)
        self.curves, self.filters_view, self.replay = res.curves, res.filters_view, res.replay
        self.maps_view, self.layer_combo, self.probe = res.maps_view, res.layer_combo, res.probe
        self.probs_view, self.confusion_view = res.probs_view, res.confusion_view
        self.wrong_view = res.wrong_view
        right = QWidget()
        rl2 = QVBoxLayout(right)
        top = QHBoxLayout()
        top.addWidget(self.progress, 1)
        top.addWidget(self.status, 2)
        rl2.addLayout(top)
        rl2.addWidget(self.error_label)
        rl2.addWidget(res, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(scroll)
        split.addWidget(right)
        split.setStretchFactor(1, 1)
        split.setSizes([400, 1500])
        QHBoxLayout(self).addWidget(split)
        self.explain_buttons = {
            key: explain(view, f"training.{key}", beside=getattr(view, "title", None),
                         corner="left")
            for key, view in (("samples", self.samples_view), ("curves", self.curves),
                              ("filters", self.filters_view), ("maps", self.maps_view),
                              ("probs", self.probs_view), ("confusion", self.confusion_view),
                              ("wrong", self.wrong_view))}

    @property
    def snapshots(self) -> list[tuple[str, np.ndarray]]:
        """The first-layer filters kept for replay, oldest first, with their labels."""
        return self.results.snapshots

    # --- messages ----------------------------------------------------------------------------
    def show_message(self, text: str) -> None:
        """Show a problem in the tab and the status bar."""
        self.error_label.setText(text)
        self.messageRaised.emit(text)

    # --- the form --------------------------------------------------------------------------------
    def _n_classes(self) -> int:
        return self.dataset.n_classes if self.dataset is not None else 10

    def model_config(self) -> ModelConfig:
        """Return the architecture the controls describe (ValueError if it cannot be built)."""
        return self.form.model_config(self._n_classes())

    def _refresh_summary(self) -> None:
        self.form.refresh_summary(self._n_classes())
        self._update_buttons()

    def training_config(self) -> TrainingConfig:
        """Return the run the controls describe (ValueError naming a bad value)."""
        seed = None
        if self.seed_kernel.isChecked():
            k = self.workspace_kernel()
            seed = tuple(tuple(float(v) for v in row) for row in k)
        return self.form.training_config(
            self._n_classes(), dataset=self.dataset_name, data_dir=self.folder,
            probe_index=self.probe.value(), seed_kernel=seed,
            freeze_seed=self.freeze_seed.isChecked() and seed is not None)

    def settings(self) -> dict[str, Any]:
        """Return the form's values, as a lesson stores them."""
        return {"dataset": self.dataset_name, **self.form.settings()}

    def apply_settings(self, values: dict[str, Any]) -> None:
        """Set the form from a lesson's (already validated) values; absent keys are kept.

        A lesson's "folder" dataset does not say which folder: the user picks it.
        """
        self.form.apply_settings(values)
        name = values.get("dataset")
        if name in DATASET_LABELS and name != "folder" and name != self.dataset_name:
            self.dataset_combo.setCurrentIndex(self.dataset_combo.findData(name))

    def training_now(self) -> bool:
        """Whether a model is training (an evaluation of one gives way to any action)."""
        return self.runner.running and not self.runner.evaluating

    def _update_buttons(self) -> None:
        running = self.training_now()
        ready = self.dataset is not None and not running
        self.start_button.setEnabled(ready and self.form.buildable(self._n_classes()))
        self.stop_button.setEnabled(running)
        self.resume_button.setEnabled(ready and self.model is not None)
        self.reset_button.setEnabled(not running and self.model is not None)
        self.save_button.setEnabled(not running and self.model is not None)
        self.export_button.setEnabled(bool(self.snapshots))
        self.load_button.setEnabled(not running)
        for w in (self.dataset_combo, self.folder_button, self.download_button,
                  *self.form.architecture_widgets()):
            w.setEnabled(not running)

    def _let_go_of_model(self) -> None:
        """Forget the current model, keeping it aside for the next fresh run to reuse."""
        if self.model is not None:
            self._spare = self.model
        self.model = None

    # --- the model on one image ----------------------------------------------------------------
    def predict_drawing(self) -> bool:
        """Classify the drawing: probabilities and feature maps, as for a test image."""
        if self.model is None or self.training_now():
            self.drawing_label.setText("Train or load a model first (and not while it trains).")
            return False
        from ...training.session import FeatureProbe

        image = to_dataset_image(self.canvas.array())
        maps, probs = FeatureProbe(self.model)(image)
        names = self.class_names()
        self.results.show_probe(maps, probs, names)
        best = int(np.argmax(probs))
        label = names[best] if best < len(names) else str(best)
        self.drawing_label.setText(
            f"The network says <b>{label}</b> ({probs[best]:.0%}); its feature maps are in "
            "the feature-map view. A confident answer for a drawing unlike any class is still "
            "a guess.")
        self.last_drawing = image
        return True

    def _on_probe_changed(self) -> None:
        if self.model is None or self.training_now() or self.dataset is None:
            return
        self.refresh_probe()

    def refresh_probe(self) -> None:
        """Run the chosen test image through the current model (not during training)."""
        from ...training.session import FeatureProbe

        assert self.dataset is not None
        i = min(self.probe.value(), len(self.dataset.x_test) - 1)
        maps, probs = FeatureProbe(self.model)(self.dataset.x_test[i])
        self.results.show_probe(maps, probs, self.dataset.class_names)

    def shutdown(self) -> bool:
        """Stop training and loading (window close); return whether all ended in time."""
        self._closing = True
        ended = self.runner.shutdown(1500)  # leaves time to exit within 2 s of the close
        self._executor.shutdown(wait=False, cancel_futures=True)
        return ended
