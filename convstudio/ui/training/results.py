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
    QTabWidget,
    QWidget,
)

from ...training.session import Evaluation, Snapshot
from ..numbers import WholeBox
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
        self.confusion_view = MosaicView("Confusion matrix: rows true, columns predicted")
        self.wrong_view = MosaicView("Misclassified images")
        # The curves and the filters take most of the room (what a class watches while the
        # network learns); the probe image's maps and probabilities, the confusion matrix and
        # the mistakes share the row below as tabs, so every view is large enough to read on
        # a projector and the tab fits 1024×700.
        probe_page = QWidget()
        pl = QHBoxLayout(probe_page)
        pl.setContentsMargins(0, 0, 0, 0)
        pl.addWidget(self.maps_view, 3)
        pl.addWidget(self.probs_view, 2)
        self.details = QTabWidget()
        self.details.setDocumentMode(True)
        self.details.addTab(probe_page, "Probe image")
        self.details.addTab(self.confusion_view, "Confusion matrix")
        self.details.addTab(self.wrong_view, "Mistakes")
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(self.curves, 0, 0)
        grid.addWidget(self.filters_view, 0, 1)
        grid.addWidget(self.details, 1, 0, 1, 2)
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(1, 2)
        grid.setRowStretch(0, 1)
        grid.setRowStretch(1, 1)
        self.maps: dict[str, np.ndarray] = {}
        self.evaluation: Evaluation | None = None  # what the confusion view shows
        self._jobs: deque[tuple[QWidget, Callable[[], None]]] = deque()
        self._job_timer = QTimer(self)
        self._job_timer.setInterval(0)
        self._job_timer.timeout.connect(self._run_job)

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
        self.maps_view.clear()
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
        conf = ev.confusion.astype(np.float64)
        rows = conf / np.maximum(conf.sum(axis=1, keepdims=True), 1)
        self.confusion_view.show_array(rows, (0.0, 1.0), "sequential")
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
            self.wrong_view.show_array(tile(ev.misclassified[:32] * 255.0, cols=8),
                                       (0.0, 255.0), "grey")
            pairs = ", ".join(f"{names[t]}→{names[p]}" for t, p in
                              ev.misclassified_labels[:3] if max(t, p) < len(names))
            self.wrong_view.caption.setText(
                f"{min(32, len(ev.misclassified))} shown, of {ev.wrong:,} wrong in {total:,} "
                f"{ev.evaluated_on} images {when}: {pairs}…")
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
        self.stagger(
            (self.filters_view, lambda: self.show_filters(n)),
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

    def show_probe(self, maps: Any, probs: np.ndarray, names: Sequence[str]) -> None:
        """Show feature maps and probabilities of one image, now."""
        self.maps = dict(maps)
        self.set_layers([name for name, _ in maps])
        self.show_maps()
        self.probs_view.show_array(probs, names)

    def show_filters(self, i: int) -> None:
        """Show the ``i``-th kept first-layer filters."""
        label, filters = self.snapshots[i]
        f = np.moveaxis(filters[:, :, 0, :], -1, 0)  # (F, kh, kw): first input channel
        self.filters_view.show_array(tile(symmetric_per_image(f)), (-1.0, 1.0), "diverging")
        self.filters_view.caption.setText(
            f"{f.shape[0]} filters {f.shape[1]}×{f.shape[2]} · {label} · blue < 0 < red")
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
