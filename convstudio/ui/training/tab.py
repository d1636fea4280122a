"""The Training tab: dataset, model and run controls beside live curves, filters and maps."""

from __future__ import annotations

import os
import tempfile
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QSettings, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...training.datasets import Dataset, DatasetError, load_dataset
from ...training.models import OPTIMIZERS, ConvBlock, ModelConfig, summary
from ...training.session import (
    LR_SCHEDULES,
    BatchEvent,
    EpochEvent,
    Snapshot,
    TrainingConfig,
)
from ..explain import explain
from ..theme import scale_width
from ..workspace.model import WorkspaceModel
from .draw import DrawCanvas, to_dataset_image
from .views import CurvesView, MosaicView, ProbabilityView, symmetric_per_image, tile
from .worker import TrainingRunner

DATASET_LABELS = {"fashion-mnist": "Fashion-MNIST", "mnist": "MNIST (digits)",
                  "shapes": "Shapes (built in)", "folder": "Image folder…"}


def _idx_available(name: str) -> bool:
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


class TrainingTab(QWidget):
    """Train the lessons' CNN and watch it learn."""

    messageRaised = Signal(str)
    datasetLoaded = Signal()
    runEnded = Signal()

    def __init__(self, workspace: WorkspaceModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.runner = TrainingRunner(self)
        relay = self.runner.relay  # its signals arrive on the GUI thread
        relay.runStarted.connect(self._on_run_started)
        relay.batchEnded.connect(self._on_batch)
        relay.epochEnded.connect(self._on_epoch)
        relay.snapshotTaken.connect(self._on_snapshot)
        relay.runFinished.connect(self._on_finished)
        relay.runFailed.connect(self._on_failed)
        self.dataset: Dataset | None = None
        self.folder: str | None = None
        self.model: Any = None
        self._spare: Any = None  # the last model let go: a fresh Start reuses it if it can
        self.epochs_done = 0
        self.history: dict[str, list[float]] = {}
        self.snapshots: list[tuple[str, np.ndarray]] = []
        self._run_t0 = 0.0
        self._run_batches = 0
        self._run_info: dict[str, Any] = {}
        self._load_token = 0
        self._last_curve = 0.0
        self._jobs: deque[tuple[QWidget, Callable[[], None]]] = deque()
        self._job_timer = QTimer(self)
        self._job_timer.setInterval(0)
        self._job_timer.timeout.connect(self._run_job)
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
        self.dataset_combo = QComboBox()
        for key, label in DATASET_LABELS.items():
            self.dataset_combo.addItem(label, key)
        # The lessons' Fashion-MNIST where it is installed; else the set that needs nothing.
        default = "fashion-mnist" if _idx_available("fashion-mnist") else "shapes"
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
        self.limit = QSpinBox()
        self.limit.setRange(0, 60000)
        self.limit.setSingleStep(1000)
        self.limit.setSpecialValueText("all")
        self.limit.setToolTip("Train on only the first N images (a quick run)")
        self.dataset_label = QLabel("")
        self.dataset_label.setWordWrap(True)
        self.dataset_label.setMinimumHeight(4 * self.dataset_label.fontMetrics().lineSpacing())
        ds_box = QGroupBox("Dataset")
        dl = QFormLayout(ds_box)
        dl.addRow(self.dataset_combo)
        row = QHBoxLayout()
        row.addWidget(self.folder_button)
        row.addWidget(self.download_button)
        dl.addRow(row)
        dl.addRow("Use first", self.limit)
        dl.addRow(self.dataset_label)
        self._samples_row = dl

        self.blocks = QSpinBox()
        self.blocks.setRange(1, 3)
        self.blocks.setValue(2)
        self.filters = QSpinBox()
        self.filters.setRange(1, 256)
        self.filters.setValue(64)
        self.kernel_size = QSpinBox()
        self.kernel_size.setRange(1, 7)
        self.kernel_size.setValue(3)
        self.pooling = QCheckBox("MaxPooling2D(2×2) after each conv")
        self.pooling.setChecked(True)
        self.dense = QSpinBox()
        self.dense.setRange(1, 2048)
        self.dense.setValue(128)
        self.dropout = QDoubleSpinBox()
        self.dropout.setRange(0.0, 0.9)
        self.dropout.setSingleStep(0.1)
        for w in (self.blocks, self.filters, self.kernel_size, self.dense, self.dropout):
            w.valueChanged.connect(self._refresh_summary)
        self.pooling.toggled.connect(self._refresh_summary)
        self.summary_table = QTableWidget(0, 3)
        self.summary_table.setHorizontalHeaderLabels(["layer", "output shape", "parameters"])
        self.summary_table.verticalHeader().setVisible(False)
        self.summary_table.setMinimumHeight(230)
        self.summary_note = QLabel("")
        self.summary_note.setWordWrap(True)
        model_box = QGroupBox("Model")
        ml = QFormLayout(model_box)
        ml.addRow("Conv blocks", self.blocks)
        ml.addRow("Filters per conv", self.filters)
        ml.addRow("Kernel size", self.kernel_size)
        ml.addRow(self.pooling)
        ml.addRow("Dense units", self.dense)
        ml.addRow("Dropout", self.dropout)
        ml.addRow(self.summary_table)
        ml.addRow(self.summary_note)

        self.optimizer = QComboBox()
        self.optimizer.addItems(list(OPTIMIZERS))
        self.learning_rate = QDoubleSpinBox()
        self.learning_rate.setDecimals(4)
        self.learning_rate.setRange(0.0001, 1.0)
        self.learning_rate.setSingleStep(0.0005)
        defaults = TrainingConfig()
        self.learning_rate.setValue(defaults.learning_rate)
        self.batch_size = QSpinBox()
        self.batch_size.setRange(1, 4096)
        self.batch_size.setValue(defaults.batch_size)
        self.epochs = QSpinBox()
        self.epochs.setRange(1, 1000)
        self.epochs.setValue(defaults.epochs)
        self.val_split = QDoubleSpinBox()
        self.val_split.setRange(0.0, 0.5)
        self.val_split.setSingleStep(0.05)
        self.val_split.setValue(defaults.validation_split)
        self.schedule = QComboBox()
        labels = {"cosine": "cosine decay to 0", "constant": "constant"}
        for key in LR_SCHEDULES:
            self.schedule.addItem(labels[key], key)
        self.schedule.setCurrentIndex(self.schedule.findData(defaults.lr_schedule))
        self.seed_kernel = QCheckBox("Seed filter 0 with my workspace kernel")
        self.freeze_seed = QCheckBox("…and keep it frozen")
        run_box = QGroupBox("Training")
        rl = QFormLayout(run_box)
        rl.addRow("Optimizer", self.optimizer)
        rl.addRow("Learning rate", self.learning_rate)
        rl.addRow("Rate schedule", self.schedule)
        rl.addRow("Batch size", self.batch_size)
        rl.addRow("Epochs", self.epochs)
        rl.addRow("Validation split", self.val_split)
        rl.addRow(self.seed_kernel)
        rl.addRow(self.freeze_seed)
        self._explain_parameters()

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
        for box in (ds_box, model_box, run_box):
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
        self.curves = CurvesView()
        self.filters_view = MosaicView("First layer's filters")
        self.replay = QSlider(Qt.Orientation.Horizontal)
        self.replay.setToolTip("Replay how the filters changed")
        self.replay.valueChanged.connect(self._on_replay)
        self.filters_view.box.addWidget(self.replay)
        self.maps_view = MosaicView("Feature maps of the probe image")
        self.layer_combo = QComboBox()
        self.layer_combo.currentIndexChanged.connect(self._show_maps)
        self.probe = QSpinBox()
        self.probe.setRange(0, 0)
        self.probe.setPrefix("image ")
        self.probe.setToolTip("Which test image to look at")
        self.probe.valueChanged.connect(self._on_probe_changed)
        row = QHBoxLayout()
        row.addWidget(self.layer_combo, 1)
        row.addWidget(self.probe)
        self.maps_view.box.addLayout(row)
        self.probs_view = ProbabilityView()
        self.samples_view = MosaicView("Samples, three per class")
        self.samples_view.setMinimumHeight(220)
        self._samples_row.addRow(self.samples_view)
        self.confusion_view = MosaicView("Confusion matrix: rows true, columns predicted")
        self.wrong_view = MosaicView("Misclassified images")
        grid = QGridLayout()
        grid.addWidget(self.curves, 0, 0)
        grid.addWidget(self.filters_view, 0, 1)
        grid.addWidget(self.maps_view, 0, 2)
        grid.addWidget(self.probs_view, 1, 0)
        grid.addWidget(self.confusion_view, 1, 1)
        grid.addWidget(self.wrong_view, 1, 2)
        for col in range(3):
            grid.setColumnStretch(col, 1)
        grid.setRowStretch(0, 3)
        grid.setRowStretch(1, 2)
        right = QWidget()
        rl2 = QVBoxLayout(right)
        top = QHBoxLayout()
        top.addWidget(self.progress, 1)
        top.addWidget(self.status, 2)
        rl2.addLayout(top)
        rl2.addWidget(self.error_label)
        rl2.addLayout(grid, 1)
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

    # --- messages ----------------------------------------------------------------------------
    def show_message(self, text: str) -> None:
        """Show a problem in the tab and the status bar."""
        self.error_label.setText(text)
        self.messageRaised.emit(text)

    # --- dataset ---------------------------------------------------------------------------------
    @property
    def dataset_name(self) -> str:
        """Return the chosen dataset's key."""
        return str(self.dataset_combo.currentData())

    def _on_dataset_choice(self) -> None:
        if self.dataset_name == "folder" and not self.folder:
            self._choose_folder()
            return
        self.request_dataset()

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Dataset folder", last_folder())
        if folder:
            self.set_folder(folder)

    def set_folder(self, folder: str) -> None:
        """Use ``folder`` (IDX files, or class sub-folders for the image-folder dataset)."""
        self.folder = folder
        self.request_dataset()

    def request_dataset(self) -> None:
        """Load the chosen dataset in the background; the previous one stays until it works."""
        self._load_token += 1
        token, name, folder = self._load_token, self.dataset_name, self.folder
        self.dataset_label.setText(f"Loading {DATASET_LABELS[name]}…")
        self._update_buttons()

        def work() -> None:
            try:
                outcome: Dataset | Exception = load_dataset(name, folder)
            except (DatasetError, OSError, ValueError) as exc:
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
            self.show_message(f"{outcome}{kept}")
        else:
            self.dataset = outcome
            self.error_label.setText("")
            self._show_dataset(outcome)
            if self.folder:
                QSettings().setValue(LAST_FOLDER_KEY, self.folder)
        self._update_buttons()
        self.datasetLoaded.emit()

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
        token = self._load_token = self._load_token + 1

        def work() -> None:
            try:
                outcome: Dataset | Exception = download(name)
            except DatasetError as exc:
                outcome = exc
            self._loader.loaded.emit((token, outcome))

        self._executor.submit(work)

    # --- model config ----------------------------------------------------------------------------
    def model_config(self) -> ModelConfig:
        """Return the architecture the controls describe (ValueError if it cannot be built)."""
        block = ConvBlock(self.filters.value(), self.kernel_size.value(), self.pooling.isChecked())
        n_classes = self.dataset.n_classes if self.dataset is not None else 10
        return ModelConfig(tuple([block] * self.blocks.value()), self.dense.value(),
                           round(self.dropout.value(), 3), n_classes)

    def _refresh_summary(self) -> None:
        try:
            rows = summary(self.model_config())
        except ValueError as exc:
            self.summary_note.setText(f"<b>Cannot build this model:</b> {exc}")
            self.start_button.setEnabled(False)
            return
        table = self.summary_table
        table.setRowCount(len(rows) + 1)
        for i, r in enumerate(rows):
            shape = "(" + ", ".join("batch" if d is None else str(d) for d in r.output_shape) + ")"
            for j, text in enumerate((f"{r.name} ({r.kind})", shape, f"{r.params:,}")):
                item = QTableWidgetItem(text)
                item.setToolTip(r.note)
                table.setItem(i, j, item)
        table.setItem(len(rows), 0, QTableWidgetItem("total"))
        table.setItem(len(rows), 2, QTableWidgetItem(f"{sum(r.params for r in rows):,}"))
        table.resizeColumnsToContents()
        self.summary_note.setText(
            "Keras trains on batches, so the input is 4-D: (batch, 28, 28, 1). ConvStudio adds "
            "the channel axis for you, so Keras' \"expected 4 dimensions\" error cannot happen.")
        self._update_buttons()

    def _explain_parameters(self) -> None:
        tips = {
            self.blocks: "How many Conv2D (+ MaxPooling2D) blocks the image passes through",
            self.filters: "Filters per Conv2D layer: how many feature maps each block makes",
            self.kernel_size: "Each filter's height and width (3 → 3×3 weights per channel)",
            self.pooling: "Halve each feature map with a 2×2 max pool after every conv",
            self.dense: "Neurons in the hidden Dense layer after Flatten",
            self.dropout: "Fraction of the Dense layer's outputs dropped at random while "
                          "training (0 = no Dropout layer)",
            self.optimizer: "How the weights are moved along the gradient",
            self.learning_rate: "Step size of each update (the rate at the start of the run)",
            self.schedule: "Cosine: the rate falls smoothly to 0 by the last batch of the run "
                           "(the lessons' CNN, 5 epochs of Fashion-MNIST: 91.6–91.8 % test "
                           "accuracy against 89.9 % at Adam's constant 0.001); constant: the "
                           "same rate throughout",
            self.batch_size: "Images per gradient step; the input is (batch, 28, 28, 1)",
            self.epochs: "Passes over the training images",
            self.val_split: "The last fraction of the training images, held out to measure "
                            "validation loss and accuracy after each epoch",
            self.seed_kernel: "Put the kernel from the Workspace into the first layer's filter 0",
            self.freeze_seed: "Keep filter 0 equal to your kernel while the others learn",
        }
        for widget, text in tips.items():
            widget.setToolTip(text)

    def training_config(self) -> TrainingConfig:
        """Return the run the controls describe (ValueError naming a bad value)."""
        seed = None
        if self.seed_kernel.isChecked():
            k = self.workspace.kernel.effective
            seed = tuple(tuple(float(v) for v in row) for row in k)
        return TrainingConfig(
            dataset=self.dataset_name, data_dir=self.folder, limit=self.limit.value() or None,
            model=self.model_config(), optimizer=self.optimizer.currentText(),
            learning_rate=self.learning_rate.value(), batch_size=self.batch_size.value(),
            epochs=self.epochs.value(), validation_split=self.val_split.value(),
            lr_schedule=str(self.schedule.currentData()),
            probe_index=self.probe.value(), seed_kernel=seed,
            freeze_seed=self.freeze_seed.isChecked() and seed is not None)

    def settings(self) -> dict[str, Any]:
        """Return the form's values, as a lesson stores them."""
        return {"dataset": self.dataset_name, "limit": self.limit.value(),
                "blocks": self.blocks.value(), "filters": self.filters.value(),
                "kernel_size": self.kernel_size.value(), "pooling": self.pooling.isChecked(),
                "dense": self.dense.value(), "dropout": round(self.dropout.value(), 3),
                "optimizer": self.optimizer.currentText(),
                "learning_rate": self.learning_rate.value(),
                "batch_size": self.batch_size.value(), "epochs": self.epochs.value(),
                "validation_split": round(self.val_split.value(), 3),
                "lr_schedule": str(self.schedule.currentData())}

    def apply_settings(self, values: dict[str, Any]) -> None:
        """Set the form from a lesson's (already validated) values; absent keys are kept.

        A lesson's "folder" dataset does not say which folder: the user picks it.
        """
        spins: dict[str, QSpinBox | QDoubleSpinBox] = {
                 "limit": self.limit, "blocks": self.blocks, "filters": self.filters,
                 "kernel_size": self.kernel_size, "dense": self.dense, "dropout": self.dropout,
                 "learning_rate": self.learning_rate, "batch_size": self.batch_size,
                 "epochs": self.epochs, "validation_split": self.val_split}
        for key, widget in spins.items():
            if key in values:
                widget.setValue(values[key])
        if "pooling" in values:
            self.pooling.setChecked(bool(values["pooling"]))
        if "optimizer" in values:
            self.optimizer.setCurrentText(str(values["optimizer"]))
        if "lr_schedule" in values:
            self.schedule.setCurrentIndex(self.schedule.findData(values["lr_schedule"]))
        name = values.get("dataset")
        if name in DATASET_LABELS and name != "folder" and name != self.dataset_name:
            self.dataset_combo.setCurrentIndex(self.dataset_combo.findData(name))

    # --- run control ---------------------------------------------------------------------------
    def _update_buttons(self) -> None:
        running = self.runner.running
        ready = self.dataset is not None and not running
        try:
            self.model_config()
            buildable = True
        except ValueError:
            buildable = False
        self.start_button.setEnabled(ready and buildable)
        self.stop_button.setEnabled(running)
        self.resume_button.setEnabled(ready and self.model is not None)
        self.reset_button.setEnabled(not running and self.model is not None)
        self.save_button.setEnabled(not running and self.model is not None)
        self.export_button.setEnabled(bool(self.snapshots))
        self.load_button.setEnabled(not running)
        for w in (self.dataset_combo, self.folder_button, self.download_button, self.blocks,
                  self.filters, self.kernel_size, self.pooling, self.dense, self.dropout):
            w.setEnabled(not running)

    def start(self) -> bool:
        """Train a fresh model with the current settings."""
        return self._launch(resume=False)

    def resume(self) -> bool:
        """Go on training the current model (its weights and epoch count kept)."""
        return self._launch(resume=True)

    def _launch(self, *, resume: bool) -> bool:
        if self.runner.running or self.dataset is None:
            return False
        try:
            config = self.training_config()
        except ValueError as exc:
            self.show_message(f"Cannot train: {exc}")
            return False
        ds = self.dataset.limited(config.limit)
        recycle = None
        if not resume:
            self._let_go_of_model()
            recycle, self._spare = self._spare, None
            self.epochs_done, self.history, self.snapshots = 0, {}, []
            self.curves.clear()
        self.error_label.setText("")
        self.runner.start(config, ds, self.model if resume else None,
                          self.epochs_done if resume else 0, recycle)
        assert self.runner.qthread is not None
        self.runner.qthread.finished.connect(self._on_thread_done)
        self._run_t0 = time.perf_counter()
        self.status.setText("Loading TensorFlow and building the model…")
        self.progress.setRange(0, 0)
        self.runner.launch()
        self._update_buttons()
        return True

    def _let_go_of_model(self) -> None:
        """Forget the current model, keeping it aside for the next fresh run to reuse."""
        if self.model is not None:
            self._spare = self.model
        self.model = None

    def stop(self) -> None:
        """End the run after the current batch; the weights are kept for Resume."""
        if self.runner.running:
            self.runner.stop()
            self.status.setText("Stopping after this batch…")

    def reset(self) -> None:
        """Forget the trained model and every view of it."""
        if self.runner.running:
            return
        self._let_go_of_model()
        self.epochs_done, self.history, self.snapshots = 0, {}, []
        self.curves.clear()
        self.status.setText("Not trained yet.")
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self._update_buttons()

    # --- worker → views ------------------------------------------------------------------------
    @Slot(object)
    def _on_run_started(self, info: dict[str, Any]) -> None:
        self._run_info = info
        self._run_batches = info["batches"] * info["epochs"]
        self.progress.setRange(0, max(1, self._run_batches))
        self.progress.setValue(0)
        self.probe.setRange(0, max(0, info["test"] - 1))
        self.curves.expect_epochs(info["initial_epoch"] + info["epochs"])

    @Slot(object)
    def _on_batch(self, event: BatchEvent) -> None:
        info = self._run_info
        done = (event.epoch - info.get("initial_epoch", 0)) * event.batches + event.batch
        self.progress.setValue(done)
        elapsed = time.perf_counter() - self._run_t0
        eta = elapsed / max(done, 1) * (self._run_batches - done)
        self.status.setText(
            f"epoch {event.epoch + 1}/{info.get('initial_epoch', 0) + info.get('epochs', 0)} · "
            f"batch {event.batch}/{event.batches} · loss {event.loss:.3f} · accuracy "
            f"{event.accuracy:.1%} · about {eta:.0f} s left")
        now = time.perf_counter()
        redraw = now - self._last_curve >= 0.5  # the running line twice a second
        if redraw:
            self._last_curve = now
        self.curves.add_batch(event.epoch + 1, event.batch / event.batches - 1, event.loss,
                              redraw=redraw)

    @Slot(object)
    def _on_epoch(self, event: EpochEvent) -> None:
        self._stagger(
            (self.curves, lambda: self.curves.add_epoch(event.loss, event.accuracy,
                                                        event.val_loss, event.val_accuracy)),
            (self.confusion_view, lambda: self._show_confusion(event)),
            (self.wrong_view, lambda: self._show_misclassified(event)))

    def _show_confusion(self, event: EpochEvent) -> None:
        names = self.dataset.class_names if self.dataset is not None else ()
        conf = event.confusion.astype(np.float64)
        if conf.sum() > 0:
            rows = conf / np.maximum(conf.sum(axis=1, keepdims=True), 1)
            self.confusion_view.show_array(rows, (0.0, 1.0), "sequential")
            acc = event.per_class_accuracy
            self.confusion_view.caption.setText(", ".join(
                f"{names[i] if i < len(names) else i}: {a:.0%}" for i, a in enumerate(acc)
                if np.isfinite(a)))

    def _show_misclassified(self, event: EpochEvent) -> None:
        names = self.dataset.class_names if self.dataset is not None else ()
        conf = event.confusion
        if len(event.misclassified):
            self.wrong_view.show_array(tile(event.misclassified[:32] * 255.0, cols=8),
                                       (0.0, 255.0), "grey")
            pairs = ", ".join(f"{names[t]}→{names[p]}" for t, p in
                              event.misclassified_labels[:6] if max(t, p) < len(names))
            self.wrong_view.caption.setText(
                f"{len(event.misclassified)} shown, of {int(conf.sum() - np.trace(conf)):,} "
                f"wrong in {int(conf.sum()):,} {event.evaluated_on} images: {pairs}…")

    @Slot(object)
    def _on_snapshot(self, snap: Snapshot) -> None:
        self.snapshots.append((f"epoch {snap.epoch + 1}, batch {snap.batch}", snap.filters))
        self.replay.blockSignals(True)
        self.replay.setRange(0, len(self.snapshots) - 1)
        self.replay.setValue(len(self.snapshots) - 1)
        self.replay.blockSignals(False)
        n = len(self.snapshots) - 1
        self._maps = dict(snap.feature_maps)
        names = [n for n, _ in snap.feature_maps]
        if [self.layer_combo.itemText(i) for i in range(self.layer_combo.count())] != names:
            self.layer_combo.blockSignals(True)
            self.layer_combo.clear()
            self.layer_combo.addItems(names)
            self.layer_combo.blockSignals(False)
        names_c = self.dataset.class_names if self.dataset is not None else ()
        self._stagger(
            (self.filters_view, lambda: self._show_filters(n)),
            (self.maps_view, self._show_maps),
            (self.probs_view, lambda: self.probs_view.set_probabilities(snap.probabilities,
                                                                        names_c)))
        self._update_buttons()

    def _stagger(self, *jobs: tuple[QWidget, Callable[[], None]]) -> None:
        """Update views one per event-loop turn, each painted at once.

        Painting several pyqtgraph views in one turn takes ~50 ms while the training thread
        competes for the GIL; one view per turn keeps every gap short.
        """
        self._jobs.extend(jobs)
        if not self._job_timer.isActive():
            self._job_timer.start()

    def _run_job(self) -> None:
        if not self._jobs:
            self._job_timer.stop()
            return
        widget, job = self._jobs.popleft()
        job()
        widget.repaint()

    def _show_filters(self, i: int) -> None:
        label, filters = self.snapshots[i]
        f = np.moveaxis(filters[:, :, 0, :], -1, 0)  # (F, kh, kw): first input channel
        self.filters_view.show_array(tile(symmetric_per_image(f)), (-1.0, 1.0), "signed")
        self.filters_view.caption.setText(
            f"{f.shape[0]} filters of {f.shape[1]}×{f.shape[2]} — {label}; blue < 0 < red, "
            "each scaled to its own largest weight")

    def _on_replay(self, i: int) -> None:
        if 0 <= i < len(self.snapshots):
            self._show_filters(i)

    def _show_maps(self) -> None:
        maps = getattr(self, "_maps", {})
        name = self.layer_combo.currentText()
        if name not in maps:
            return
        m = np.moveaxis(maps[name], -1, 0)
        top = float(m.max()) if m.size else 1.0
        self.maps_view.show_array(tile(m), (0.0, top if top > 0 else 1.0), "sequential")
        self.maps_view.caption.setText(f"{name}: {m.shape[0]} maps of {m.shape[1]}×{m.shape[2]}"
                                       " (after ReLU)")

    def predict_drawing(self) -> bool:
        """Classify the drawing: probabilities and feature maps, as for a test image."""
        if self.model is None or self.runner.running:
            self.drawing_label.setText("Train or load a model first (and not while it trains).")
            return False
        from ...training.session import FeatureProbe

        image = to_dataset_image(self.canvas.array())
        maps, probs = FeatureProbe(self.model)(image)
        self._maps = dict(maps)
        if not self.layer_combo.count():
            self.layer_combo.addItems([n for n, _ in maps])
        self._show_maps()
        names = self.dataset.class_names if self.dataset is not None else ()
        self.probs_view.set_probabilities(probs, names)
        best = int(np.argmax(probs))
        label = names[best] if best < len(names) else str(best)
        self.drawing_label.setText(
            f"The network says <b>{label}</b> ({probs[best]:.0%}); its feature maps are in "
            "the feature-map view. A confident answer for a drawing unlike any class is still "
            "a guess.")
        self.last_drawing = image
        return True

    def _on_probe_changed(self) -> None:
        if self.model is None or self.runner.running or self.dataset is None:
            return
        self.refresh_probe()

    def refresh_probe(self) -> None:
        """Run the chosen test image through the current model (not during training)."""
        from ...training.session import FeatureProbe

        assert self.dataset is not None
        i = min(self.probe.value(), len(self.dataset.x_test) - 1)
        maps, probs = FeatureProbe(self.model)(self.dataset.x_test[i])
        self._maps = dict(maps)
        self._show_maps()
        self.probs_view.set_probabilities(probs, self.dataset.class_names)

    @Slot(object)
    def _on_finished(self, result: Any) -> None:
        self.model = result.model
        self.epochs_done = result.epochs_done
        for k, v in result.history.items():
            self.history.setdefault(k, []).extend(v)
        took = time.perf_counter() - self._run_t0
        if result.stopped:
            self.status.setText(f"Stopped after {self.epochs_done} epoch(s); Resume goes on "
                                "from here.")
        else:
            test = ("" if result.test_accuracy is None
                    else f"; test accuracy {result.test_accuracy:.1%}")
            self.status.setText(f"Trained {self.epochs_done} epoch(s) in {took:.0f} s{test}")
        self.progress.setRange(0, 1)
        self.progress.setValue(1)

    @Slot(str)
    def _on_failed(self, text: str) -> None:
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.status.setText("Training failed.")
        self.show_message(f"Training failed: {text}. Your settings are unchanged.")

    @Slot()
    def _on_thread_done(self) -> None:
        self._update_buttons()
        self.runEnded.emit()

    # --- files ---------------------------------------------------------------------------------
    def _save_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save model", "model.keras",
                                              "Keras model (*.keras)")
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
        self.messageRaised.emit(f"Saved {written}")
        return written

    def _load_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load model", "", "Keras model (*.keras)")
        if path:
            self.load_from(path)

    def load_from(self, path: str) -> bool:
        """Load a saved model; a bad file leaves the current one in place."""
        from ...training.persist import ModelFileError, load_model

        try:
            model, history = load_model(path)
            conv = model.get_layer("conv1")
        except (ModelFileError, ValueError) as exc:
            self.show_message(f"{exc}. The current model is unchanged.")
            return False
        self._let_go_of_model()
        self.model, self.history = model, history
        self.epochs_done = len(history.get("loss", []))
        self.curves.set_history(history)
        self.snapshots = [(f"loaded from {Path(path).name}", np.array(conv.get_weights()[0]))]
        self.replay.setRange(0, 0)
        self._show_filters(0)
        if self.dataset is not None and model.layers[-1].units == self.dataset.n_classes:
            self.refresh_probe()
        self.status.setText(f"Loaded {Path(path).name} ({self.epochs_done} epoch(s))")
        self._update_buttons()
        return True

    def _export_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export filters", "filters.npy",
                                              "NumPy array (*.npy)")
        if path:
            self.export_filters(path)

    def export_filters(self, path: str) -> Path | None:
        """Write the shown layer-1 filters (kh, kw, 1, F) as .npy, atomically."""
        if not self.snapshots:
            return None
        target = Path(path).with_suffix(".npy")
        fd, tmp = tempfile.mkstemp(prefix=".convstudio-", suffix=".npy", dir=target.parent)
        os.close(fd)
        try:
            np.save(tmp, self.snapshots[self.replay.value()][1], allow_pickle=False)
            os.replace(tmp, target)
        except OSError as exc:
            self.show_message(f"Could not save {target}: {exc}")
            return None
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        self.messageRaised.emit(f"Saved {target}")
        return target

    def shutdown(self) -> bool:
        """Stop training and loading (window close); return whether all ended in time."""
        ended = self.runner.shutdown(1500)  # leaves time to exit within 2 s of the close
        self._executor.shutdown(wait=False, cancel_futures=True)
        return ended
