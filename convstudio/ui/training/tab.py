"""The Training tab: the view of a :class:`~convstudio.ui.training.model.TrainingModel`.

Dataset, model and run controls beside live curves, filters and maps. The state is the
model's (settings, dataset, network, runs); this widget binds the form to the model's settings,
calls the model's methods, and shows what its signals say. The form is ``form.py``, the dataset
box ``dataset_box.py``, the views ``results.py``, the model-file dialogs ``model_files.py``.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ...training.session import BatchEvent, EpochEvent, Evaluation, Snapshot
from ...training.settings import SettingsError
from ..explain import explain
from ..side_panel import SidePanel
from .dataset_box import DatasetBox
from .draw import DrawCanvas, to_dataset_image
from .form import TrainingForm
from .model import DATASET_LABELS, TrainingModel, last_folder
from .model_files import ModelFiles
from .results import ResultsPanel
from .views import StatusLabel

__all__ = ["DATASET_LABELS", "TrainingTab", "last_folder"]



class TrainingTab(ModelFiles, QWidget):
    """Train the lessons' CNN and watch it learn: the view of ``model``."""

    messageRaised = Signal(str)

    def __init__(self, model: TrainingModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        model.confirm_discard = lambda action: self.confirm_discard(action)
        self._pushing = False  # the form is writing to the model: don't write back
        self._last_curve = 0.0
        self._dataset_seen: Any = None
        self._build()
        for signal, slot in (
                (model.settingsChanged, self._on_settings),
                (model.statusChanged, self.status.setText),
                (model.progressChanged, self._on_progress),
                (model.problemRaised, self.show_message),
                (model.messageRaised, self.messageRaised),
                (model.networkChanged, self._on_network),
                (model.networkLoaded, self._on_network_loaded),
                (model.evaluationStarted, self.results.forget_evaluation),
                (model.evaluationForgotten, self.results.forget_evaluation),
                (model.evaluated, self._on_evaluated),
                (model.runPrepared, self._on_prepared),
                (model.datasetLoading, self._update_buttons),
                (model.datasetLoaded, self._on_dataset),
                (model.runEnded, self._update_buttons)):
            signal.connect(slot)
        relay = model.runner.relay  # after the model's own slots: the state is already new
        relay.runStarted.connect(self._on_run_started)
        relay.batchEnded.connect(self._on_batch)
        relay.epochEnded.connect(self._on_epoch)
        relay.snapshotTaken.connect(self._on_snapshot)
        self._on_settings()
        if model.dataset is not None:
            self._on_dataset()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt override)
        """Load the chosen dataset the first time the tab is shown, not at start-up."""
        super().showEvent(event)
        self.model.ensure_dataset()

    # --- the model's state, by the names the tab always had ----------------------------------
    @property
    def network(self) -> Any:
        """The Keras network (None before one is trained or loaded)."""
        return self.model.network

    @property
    def dataset(self) -> Any:
        """The loaded dataset (None before the first load ends)."""
        return self.model.dataset

    @property
    def snapshots(self) -> list[tuple[str, np.ndarray]]:
        """The first-layer filters kept for replay, oldest first, with their labels."""
        return self.model.snapshots

    # --- layout ------------------------------------------------------------------------------
    def _build(self) -> None:
        form = self.form = TrainingForm(self)
        form.edited.connect(self._on_form_edited)
        form.messageRaised.connect(self.show_message)
        # The form's widgets by their old names: tests and benchmarks use these.
        self.limit, self.blocks, self.filters = form.limit, form.blocks, form.filters
        self.layer_filters = form.layer_filters  # one box per conv layer
        self.kernel_size, self.pooling, self.dense = form.kernel_size, form.pooling, form.dense
        self.dropout, self.optimizer = form.dropout, form.optimizer
        self.learning_rate, self.batch_size = form.learning_rate, form.batch_size
        self.epochs, self.val_split, self.schedule = form.epochs, form.val_split, form.schedule
        self.seed_kernel, self.freeze_seed = form.seed_kernel, form.freeze_seed
        self.summary_table, self.summary_note = form.summary_table, form.summary_note

        box = self.dataset_box = DatasetBox(self.model, form.limit)
        self.dataset_combo, self.folder_button = box.combo, box.folder_button
        self.download_button, self.dataset_label = box.download_button, box.label
        self.samples_view = box.samples_view

        self.start_button = QPushButton("Start")
        self.stop_button = QPushButton("Stop")
        self.resume_button = QPushButton("Resume")
        self.reset_button = QPushButton("Reset")
        self.start_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.model.stop)
        self.resume_button.clicked.connect(self.resume)
        self.reset_button.clicked.connect(self.model.reset)
        self.save_button = QPushButton("Save model…")
        self.load_button = QPushButton("Load model…")
        self.export_button = QPushButton("Export filters (.npy)…")
        self.save_button.clicked.connect(self._save_dialog)
        self.load_button.clicked.connect(self._load_dialog)
        self.export_button.clicked.connect(self._export_dialog)
        buttons = QGridLayout()  # Start … Reset sit above the views, always in sight
        for i, b in enumerate((self.save_button, self.load_button)):
            buttons.addWidget(b, 0, i)
        buttons.addWidget(self.export_button, 1, 0, 1, 2)

        self.canvas = DrawCanvas()
        self.canvas.drawn.connect(self.predict_drawing)
        self.clear_button = QPushButton("Clear")
        self.clear_button.clicked.connect(self.canvas.clear)
        self.drawing_label = QLabel("Train or load a model, then draw an item or a digit.")
        self.drawing_label.setWordWrap(True)
        self.drawing_label.linkActivated.connect(self.offer_digits)
        self.last_drawing: np.ndarray | None = None
        draw_box = QGroupBox("Draw to predict")
        drl = QVBoxLayout(draw_box)
        drl.addWidget(self.canvas, 0, Qt.AlignmentFlag.AlignHCenter)
        drl.addWidget(self.clear_button)
        drl.addWidget(self.drawing_label)

        controls = QWidget()
        cl = QVBoxLayout(controls)
        for group in (box, form.model_box(), form.run_box()):
            cl.addWidget(group)
        cl.addLayout(buttons)
        cl.addWidget(draw_box)
        cl.addStretch(1)
        # Folds away in projection mode (drawer.py); never scrolls sideways (side_panel.py).
        scroll = self.side_panel = SidePanel(controls, 380)

        self.progress = QProgressBar()
        self.status = StatusLabel("Not trained yet.")
        self.status.setObjectName("trainingStatus")
        # Ignored and two lines high: a new text every few batches must not re-lay-out (and
        # repaint) the tab, and a long one wraps instead of being cut.
        self.error_label = QLabel("")
        self.error_label.setObjectName("error")
        self.error_label.setStyleSheet("color: #b2182b; font-weight: bold;")
        self.error_label.setWordWrap(True)
        self.error_label.setVisible(False)  # shown with a message only: the views get the row
        res = self.results = ResultsPanel(lambda: self.model.snapshots)
        res.probe.valueChanged.connect(self._on_probe_changed)
        res.probe.valueRefused.connect(self.show_message)
        self.curves, self.filters_view, self.replay = res.curves, res.filters_view, res.replay
        self.maps_view, self.layer_combo, self.probe = res.maps_view, res.layer_combo, res.probe
        self.probs_view, self.confusion_view = res.probs_view, res.confusion_view
        self.wrong_view, self.probe_view = res.wrong_view, res.probe_view
        self.gradients_view, self.updates_view = res.gradients_view, res.updates_view
        right = self.main_visual = QWidget()  # the picture (screen_fit, drawer)
        rl2 = QVBoxLayout(right)
        rl2.setContentsMargins(4, 0, 0, 0)
        top = QHBoxLayout()
        for b in (self.start_button, self.stop_button, self.resume_button, self.reset_button):
            top.addWidget(b)
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
        outer = QHBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)  # on a 768 px projector every row counts
        outer.addWidget(split)
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
        self.error_label.setVisible(bool(text))
        self.messageRaised.emit(text)

    def confirm_discard(self, action: str) -> bool:
        """Ask whether ``action`` may throw away the unsaved trained model (tests replace this)."""
        answer = QMessageBox.question(
            self, "Unsaved model",
            f"The trained model is not saved. {action} throws it away.\n\nDiscard it?",
            QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Discard

    # --- the form and the model's settings -------------------------------------------------------
    def _on_form_edited(self) -> None:
        self._pushing = True
        try:
            self.model.set_settings(self.form.values(self.model.settings.dataset))
        except SettingsError as exc:  # the boxes hold only allowed values; never expected
            self.show_message(str(exc))
        finally:
            self._pushing = False
        self._refresh_summary()

    def _on_settings(self) -> None:
        if not self._pushing:
            self.form.show_settings(self.model.settings)
        self._refresh_summary()

    def _refresh_summary(self) -> None:
        self.form.refresh_summary(self.model.n_classes)
        self._update_buttons()

    def _update_buttons(self) -> None:
        m = self.model
        running = m.training_now()
        ready = m.dataset is not None and not running
        self.start_button.setEnabled(ready and m.buildable())
        self.stop_button.setEnabled(running)
        self.resume_button.setEnabled(ready and m.network is not None)
        self.reset_button.setEnabled(not running and m.network is not None)
        self.save_button.setEnabled(not running and m.network is not None)
        self.export_button.setEnabled(bool(m.snapshots))
        self.load_button.setEnabled(not running)
        for w in (self.dataset_combo, self.folder_button, self.download_button,
                  *self.form.architecture_widgets()):
            w.setEnabled(not running)

    # --- runs ------------------------------------------------------------------------------------
    def _run_options(self) -> dict[str, Any]:
        return {"probe_index": self.probe.value(), "seed_kernel": self.seed_kernel.isChecked(),
                "freeze_seed": self.freeze_seed.isChecked()}

    def start(self) -> bool:
        """Train a fresh model with the form's settings (Start)."""
        started = self.model.start(**self._run_options())
        self._update_buttons()
        return started

    def resume(self) -> bool:
        """Go on training the current model (Resume)."""
        resumed = self.model.resume(**self._run_options())
        self._update_buttons()
        return resumed

    def stop(self) -> None:
        """End the run after the current batch (Stop)."""
        self.model.stop()

    def reset(self) -> bool:
        """Forget the trained model (Reset; asks first if it is not saved)."""
        return self.model.reset()

    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)

    def _on_prepared(self, resume: bool, initial: int) -> None:
        if resume:
            self.results.curves.drop_batches_after(initial)
            self.results.updates_view.drop_after(initial)
        self._update_buttons()

    def _on_network(self) -> None:
        if self.model.network is None:
            self.results.curves.clear()
            self.results.forget_model()
        self._update_buttons()

    def _on_network_loaded(self, name: str) -> None:
        self.results.curves.set_history(self.model.history)
        self.results.forget_model()
        self.results.show_model()
        if self.model.dataset is not None and not self.model.training_now():
            self.refresh_probe()
        self._update_buttons()

    def _on_run_started(self, info: dict[str, Any]) -> None:
        self.progress.setRange(0, max(1, info["batches"] * info["epochs"]))
        self.progress.setValue(0)
        self.results.curves.expect_epochs(info["initial_epoch"] + info["epochs"])

    def _on_batch(self, event: BatchEvent) -> None:
        done, _total, eta = self.model.run_progress(event.epoch, event.batch, event.batches)
        self.progress.setValue(done)
        rate = "" if event.learning_rate is None else f" · rate {event.learning_rate:.2g}"
        self.status.setText(
            f"epoch {event.epoch + 1}/{self.model.planned_epochs()} · "
            f"batch {event.batch}/{event.batches} · loss {event.loss:.3f} · accuracy "
            f"{event.accuracy:.1%}{rate} · about {eta:.0f} s left")
        now = time.perf_counter()
        redraw = now - self._last_curve >= 0.5  # the running line twice a second
        if redraw:
            self._last_curve = now
        self.results.curves.add_batch(event.epoch + 1, event.batch / event.batches - 1,
                                      event.loss, redraw=redraw)
        if event.update_ratios:
            self.results.updates_view.add(event.epoch + event.batch / event.batches,
                                          event.update_ratios, redraw=redraw)

    def _on_epoch(self, event: EpochEvent) -> None:
        results, ev = self.results, event.evaluation
        jobs: list[Any] = [(results.curves, lambda: results.curves.add_epoch(
            event.loss, event.accuracy, event.val_loss, event.val_accuracy))]
        if ev is not None:
            jobs.append((results.confusion_view, lambda: results.show_evaluation(
                ev, self.model.class_names(), f"after epoch {event.epoch + 1}")))
        results.stagger(*jobs)

    def _on_snapshot(self, snap: Snapshot) -> None:
        self.results.add_snapshot(snap, self.model.class_names())
        self._update_buttons()

    def _on_evaluated(self, ev: Evaluation, where: str) -> None:
        self.results.show_evaluation(ev, self.model.class_names(), where)

    def _on_dataset(self) -> None:
        ds = self.model.dataset
        if ds is not None and ds is not self._dataset_seen:  # a new one, not a failed load
            self._dataset_seen = ds
            self.probe.setRange(0, max(0, len(ds.x_test) - 1))
            self.error_label.setText("")
            self.error_label.setVisible(False)
        self._refresh_summary()

    # --- the network on one image ----------------------------------------------------------------
    def predict_drawing(self) -> bool:
        """Classify the drawing: probabilities and feature maps, as for a test image."""
        network = self.model.network
        if network is None or self.model.training_now():
            self.drawing_label.setText("Train or load a model first (and not while it trains).")
            return False
        from ...training.session import FeatureProbe, prepare_images

        image = to_dataset_image(self.canvas.array())
        maps, probs = FeatureProbe(network)(image)
        names = self.model.class_names()
        self.results.show_probe(maps, probs, names, prepare_images(image)[0],
                                "your drawing, as the network sees it")
        best = int(np.argmax(probs))
        label = names[best] if best < len(names) else str(best)
        text = (f"The network says <b>{label}</b> ({probs[best]:.0%}); its feature maps are "
                "on the Probe image tab. A confident answer for a drawing unlike any class is "
                "still a guess.")
        ds = self.model.dataset
        if ds is not None and ds.name != "mnist":
            # A drawn "3" shown to a clothes model comes back as "T-shirt 94 %": say why.
            known = "clothes (Fashion-MNIST)" if ds.name == "fashion-mnist" else "shapes"
            text += (f" This model knows {known}, not digits: "
                     '<a href="mnist">train one on handwritten digits</a> (MNIST, offline).')
        self.drawing_label.setText(text)
        self.last_drawing = image
        return True

    def offer_digits(self, _link: str = "") -> None:
        """Choose MNIST (the bundled digits when the full set is not installed) to train on."""
        self.model.set_settings({"dataset": "mnist"})
        self.model.ensure_dataset()
        self.messageRaised.emit("MNIST chosen: press Start to train on handwritten digits, "
                                "then draw one.")

    def _on_probe_changed(self) -> None:
        m = self.model
        if m.network is None or m.training_now() or m.dataset is None:
            return
        self.refresh_probe()

    def refresh_probe(self) -> None:
        """Run the chosen test image through the current network (not during training)."""
        from ...training.session import FeatureProbe, prepare_images

        ds = self.model.dataset
        assert ds is not None
        i = min(self.probe.value(), len(ds.x_test) - 1)
        maps, probs = FeatureProbe(self.model.network)(ds.x_test[i])
        self.results.show_probe(maps, probs, ds.class_names, prepare_images(ds.x_test[i])[0],
                                self.results.probe_text(i, int(ds.y_test[i]), ds.class_names))
