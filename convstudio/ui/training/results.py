"""The Training tab's right side: curves, filters, feature maps, probabilities and mistakes.

Each view shows the current model or nothing: :meth:`ResultsPanel.forget_model` empties every
view of a model (Reset, a fresh Start, a Load), and the confusion matrix and the misclassified
images say which state of the model they show ("after epoch 3", "at the stop in epoch 3, batch
1300/1688", "of the loaded model").
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSlider,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ...training.session import Evaluation, Snapshot
from ..numbers import WholeBox
from .evaluation_views import ConfusionView, MistakesView
from .learning_views import GradientsView, SideBySide, UpdatesView
from .views import CurvesView, MosaicView, ProbabilityView, symmetric_per_image, tile


class ResultsPanel(QWidget):
    """The six views of a model in training, updated one per event-loop turn.

    ``snapshots`` returns the first-layer filters kept for replay (the model's list, oldest
    first, with their labels): the panel shows them and keeps no copy.
    """

    def __init__(self, snapshots: Callable[[], list[tuple[str, np.ndarray]]],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._snapshots = snapshots
        self.curves = CurvesView()
        self.filters_view = MosaicView("First layer's filters")
        self.replay = QSlider(Qt.Orientation.Horizontal)
        self.replay.setToolTip("Replay how the filters changed")
        self.replay.valueChanged.connect(self._on_replay)
        self.filters_view.box.addWidget(self.replay)
        self.gradients_view = GradientsView()  # beside the filters, tiled as they are
        self.updates_view = UpdatesView()      # below the loss and accuracy, on their time axis
        self.maps_view = MosaicView("Feature maps")  # on the "Probe image" tab
        self.layer_combo = QComboBox()
        self.layer_combo.currentIndexChanged.connect(self.show_maps)
        self.probe = WholeBox("Probe image", 0, 0)
        self.probe.setToolTip("Which test image to look at")
        # One line: beside the layer choice a wrapped title grew a line the layout had not
        # counted in the view's minimum, and the caption was pushed out of the view.
        self.maps_view.title.setWordWrap(False)
        for w in (self.layer_combo, QLabel("image"), self.probe):  # beside the title
            self.maps_view.header.addWidget(w)
        self.probs_view = ProbabilityView()
        # The image the maps and probabilities are of, beside them.
        self.probe_view = MosaicView("Input")
        self.confusion_view = ConfusionView()
        self.wrong_view = MistakesView()
        # The curves and the filters take most of the room (what a class watches while the
        # network learns); the probe image's maps and probabilities, the confusion matrix and
        # the mistakes share the row below as tabs, so every view is large enough to read on
        # a projector and the tab fits 1024×700.
        probe_page = QWidget()
        pl = QHBoxLayout(probe_page)
        pl.setContentsMargins(0, 0, 0, 0)
        pl.addWidget(self.probe_view, 1)
        # The maps' mosaic is as tall as the row allows and no wider; the bars share their
        # width with ten class names (at 3 : 2 the names left the bars a fifth of it).
        pl.addWidget(self.maps_view, 2)
        pl.addWidget(self.probs_view, 2)
        self.details = QTabWidget()
        self.details.setDocumentMode(True)
        self.details.addTab(probe_page, "Probe image")
        self.details.addTab(self.confusion_view, "Confusion matrix")
        self.details.addTab(self.wrong_view, "Mistakes")
        top = QWidget()
        grid = QGridLayout(top)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(2)
        grid.addWidget(SideBySide(self.curves, self.updates_view, chrome=3, across=(2, 1),
                                  stretch=(2, 1), optional=True), 0, 0)
        grid.addWidget(SideBySide(self.filters_view, self.gradients_view), 0, 1)
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(1, 2)
        # A splitter rather than a grid: rows shorter than their size hints ignored the
        # stretch that gives the confusion matrix and the mistakes more height.
        self.rows = QSplitter(Qt.Orientation.Vertical)
        self.rows.setChildrenCollapsible(False)
        self.rows.addWidget(top)
        self.rows.addWidget(self.details)
        self.rows.setStretchFactor(0, 1)
        self.rows.setStretchFactor(1, 1)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.rows)
        self.details.currentChanged.connect(self._on_details_page)
        self.maps: dict[str, np.ndarray] = {}
        self.evaluation: Evaluation | None = None  # what the confusion view shows
        self._jobs: deque[tuple[QWidget, Callable[[], None]]] = deque()
        self._job_timer = QTimer(self)
        self._job_timer.setInterval(0)
        self._job_timer.timeout.connect(self._run_job)

    def _on_details_page(self, index: int) -> None:
        """Give the confusion matrix and the mistakes more height while they are looked at.

        Ten rows of class names need ten lines: at half the height a projector's matrix was
        drawn with its labels at the smallest size, or numbered.
        """
        total = sum(self.rows.sizes()) or 1000
        share = 0.5 if index == 0 else 0.45  # the curves' and filters' row
        self.rows.setSizes([round(total * share), total - round(total * share)])

    @property
    def snapshots(self) -> list[tuple[str, np.ndarray]]:
        """The filters kept for replay, oldest first, with their labels (the model's)."""
        return self._snapshots()

    # --- emptying ------------------------------------------------------------------------------
    def forget_model(self) -> None:
        """Show no model: every view but the curves is emptied (they are cleared apart)."""
        self._jobs.clear()
        self.maps = {}
        self.replay.blockSignals(True)
        self.replay.setRange(0, 0)
        self.replay.blockSignals(False)
        self.layer_combo.blockSignals(True)
        self.layer_combo.clear()
        self.layer_combo.blockSignals(False)
        self.filters_view.clear()
        self.gradients_view.clear()
        self.updates_view.clear()
        self.maps_view.clear()
        self.probe_view.clear()
        self.probs_view.clear()
        self.forget_evaluation()

    def forget_evaluation(self, caption: str = "") -> None:
        """Empty the confusion matrix and the mistakes (the model changed since)."""
        self.confusion_view.clear(caption)
        self.wrong_view.clear(caption)
        self.evaluation = None

    # --- staggered updates -----------------------------------------------------------------------
    def stagger(self, *jobs: tuple[QWidget, Callable[[], None]]) -> None:
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

    # --- the evaluation --------------------------------------------------------------------------
    def show_evaluation(self, ev: Evaluation, names: Sequence[str], when: str) -> None:
        """Show the confusion matrix and the mistakes of the model ``when`` (words)."""
        self.evaluation = ev
        self.confusion_view.show_matrix(ev.confusion, names)
        # Two lines at most, whatever the screen: the overall share and the weakest classes
        # (each class's accuracy is its row of the matrix, and the tooltip lists them all).
        per = [(a, names[i] if i < len(names) else str(i))
               for i, a in enumerate(ev.per_class_accuracy) if np.isfinite(a)]
        total_right = float(np.trace(ev.confusion)) / max(1, int(ev.confusion.sum()))
        weakest = ", ".join(f"{n} {a:.0%}" for a, n in sorted(per)[:2])
        self.confusion_view.caption.setText(
            f"{when.capitalize()}: {total_right:.0%} right; weakest: {weakest}")
        self.confusion_view.caption.setToolTip(", ".join(f"{n}: {a:.0%}" for a, n in per))
        total = int(ev.confusion.sum())
        if len(ev.misclassified):
            self.wrong_view.show_mistakes(ev.misclassified, ev.misclassified_labels, names)
            self.wrong_view.caption.setText(
                f"The first of {ev.wrong:,} wrong in {total:,} {ev.evaluated_on} images "
                f"{when}, each captioned true → predicted.")
        else:
            self.wrong_view.clear(f"None wrong in {total:,} {ev.evaluated_on} images {when}.")

    # --- filters, maps, probabilities ------------------------------------------------------------
    def add_snapshot(self, snap: Snapshot, names: Sequence[str]) -> None:
        """Show a snapshot the model has just kept (staggered); replay goes to its end."""
        self.replay.blockSignals(True)
        self.replay.setRange(0, len(self.snapshots) - 1)
        self.replay.setValue(len(self.snapshots) - 1)
        self.replay.blockSignals(False)
        n = len(self.snapshots) - 1
        self.set_layers([name for name, _ in snap.feature_maps])
        self.maps = dict(snap.feature_maps)
        probe = (snap.probe_image, self.probe_text(snap.probe_index, snap.probe_class, names))
        label = self.snapshots[n][0]
        gradients = snap.filter_gradients
        self.stagger(
            (self.filters_view, lambda: self.show_filters(n)),
            (self.gradients_view, lambda: self.gradients_view.show_gradients(gradients, label)
             if gradients is not None else self.gradients_view.clear()),
            (self.probe_view, lambda: self.show_input(*probe)),
            (self.maps_view, self.show_maps),
            (self.probs_view, lambda: self.probs_view.show_array(snap.probabilities,
                                                                        names)))

    def show_model(self) -> None:
        """Show a model that did not come from a run here (a loaded one: one snapshot)."""
        self.replay.blockSignals(True)
        self.replay.setRange(0, 0)
        self.replay.blockSignals(False)
        self.show_filters(0)

    def set_layers(self, names: list[str]) -> None:
        """Offer these layers' feature maps (kept as they are if unchanged)."""
        if [self.layer_combo.itemText(i) for i in range(self.layer_combo.count())] != names:
            self.layer_combo.blockSignals(True)
            self.layer_combo.clear()
            self.layer_combo.addItems(names)
            self.layer_combo.blockSignals(False)

    def show_probe(self, maps: Any, probs: np.ndarray, names: Sequence[str],
                   image: np.ndarray | None = None, text: str = "") -> None:
        """Show one image (28×28 in [0, 1]), its feature maps and probabilities, now."""
        self.maps = dict(maps)
        self.set_layers([name for name, _ in maps])
        self.show_input(image, text)
        self.show_maps()
        self.probs_view.show_array(probs, names)

    @staticmethod
    def probe_text(index: int | None, true_class: int | None, names: Sequence[str]) -> str:
        """Say what the probe image is: its class (the test image's number without one)."""
        if index is None:
            return ""
        if true_class is None:
            return f"test image {index}"
        # The image's number is beside the maps' title: under the picture, only its class.
        return names[true_class] if 0 <= true_class < len(names) else f"class {true_class}"

    def show_input(self, image: np.ndarray | None, text: str) -> None:
        """Show the image the feature maps are of, in grey as the network sees it."""
        if image is None:
            self.probe_view.clear(text)
            return
        grey = np.asarray(image, np.float32).reshape(image.shape[0], image.shape[1])
        self.probe_view.show_array(grey, (0.0, 1.0), "grey")
        self.probe_view.caption.setText(text)

    def show_filters(self, i: int) -> None:
        """Show the ``i``-th kept first-layer filters."""
        label, filters = self.snapshots[i]
        f = np.moveaxis(filters[:, :, 0, :], -1, 0)  # (F, kh, kw): first input channel
        self.filters_view.show_array(tile(symmetric_per_image(f)), (-1.0, 1.0), "diverging")
        self.filters_view.caption.set_choices(
            f"{f.shape[0]} filters {f.shape[1]}×{f.shape[2]} · {label} · blue < 0 < red",
            f"{label} · blue < 0 < red", label)
        # (two lines at most on any screen; each filter is scaled to its own largest weight,
        # as the tooltip says)
        self.filters_view.caption.setToolTip("Each filter is drawn at its own contrast: "
                                             "scaled to its own largest weight")

    def _on_replay(self, i: int) -> None:
        if 0 <= i < len(self.snapshots):
            self.show_filters(i)

    def show_maps(self) -> None:
        """Show the chosen layer's feature maps of the probe image."""
        name = self.layer_combo.currentText()
        if name not in self.maps:
            return
        m = np.moveaxis(self.maps[name], -1, 0)
        top = float(m.max()) if m.size else 1.0
        self.maps_view.show_array(tile(m), (0.0, top if top > 0 else 1.0), "sequential")
        self.maps_view.caption.setText(f"{name}: {m.shape[0]} maps of {m.shape[1]}×{m.shape[2]}"
                                       " (after ReLU)")
