"""The animator's "cnn-maps" source: the trained CNN's first conv maps and its second conv.

The layer comes from the Training tab's network (:class:`TrainedLink` computes it there with
:func:`convstudio.training.inference.second_conv`); the animator model only holds it. A new
network, or a run that changes the weights, replaces it or takes it away: the animator then
shows the new layer, or leaves the source and says why. Never a stale layer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QObject, Qt

from ...core.animator_sources import TRAINED_SOURCE

if TYPE_CHECKING:
    from collections.abc import Callable

    from PySide6.QtWidgets import QComboBox

    from ...training.inference import SecondConv

NO_NETWORK = ("No trained CNN yet: train one on the Training tab (two conv blocks), or load "
              "a saved model there, then choose this source.")
TRAINING = ("The CNN is training: its weights change with every batch. Choose this source "
            "again when the run ends.")
# The source combo's entry while the source cannot be chosen (its tooltip says why). No wider
# than the other sources' labels: a wider combo folds the tab's options onto a second row.
UNAVAILABLE_LABELS = {NO_NETWORK: "Trained CNN (train first)", TRAINING: "Trained CNN (training…)"}
UNAVAILABLE = "Trained CNN (unavailable)"


def same_layer(a: SecondConv | None, b: SecondConv | None) -> bool:
    """Whether two layers hold the same maps, weights and geometry (both None counts)."""
    if a is None or b is None:
        return a is b
    return (a.maps.shape == b.maps.shape and a.kernel.shape == b.kernel.shape
            and np.array_equal(a.maps, b.maps) and np.array_equal(a.kernel, b.kernel)
            and np.array_equal(a.bias, b.bias)
            and (a.stride, a.padding, a.dilation, a.name, a.first, a.between)
            == (b.stride, b.padding, b.dilation, b.name, b.first, b.between))


class TrainedMixin:
    """The trained layer the cnn-maps source steps through (a mixin of the animator model)."""

    if TYPE_CHECKING:
        _source_kind: str
        error: str
        workspace: Any
        trainedChanged: Any
        rebuild: Callable[[], None]
        set_source_kind: Callable[[str], None]
        _set_error: Callable[[str], None]

    def _init_trained(self) -> None:
        self.trained: SecondConv | None = None
        self.trained_why = NO_NETWORK     # why there is no layer ("" while there is one)
        self.trained_about = ""           # which image the maps are of, in words
        self._before_trained = "glyph"    # the source to go back to when the layer goes
        self._left_because = ""           # the message shown when the layer went

    @property
    def stepping_trained(self) -> bool:
        """Whether the trained CNN's layer is what is stepped through."""
        return self._source_kind == TRAINED_SOURCE and self.trained is not None

    @property
    def family(self) -> str:
        """The conv family stepped: the workspace's mode; a trained layer is a Conv2D."""
        if self._source_kind == TRAINED_SOURCE:
            return "standard"
        return str(self.workspace.params.family)

    def trained_refused(self) -> bool:
        """Return whether the trained source cannot be chosen now, and say why.

        When it can, the source shown now is the one to go back to if the layer goes.
        """
        if self.trained is not None:
            self._before_trained = self._source_kind
            return False
        self._set_error("")  # each try gets its message in the status bar
        self._set_error(self.trained_why)
        return True

    def set_trained_layer(self, layer: SecondConv | None, why: str = "",
                          about: str = "") -> None:
        """Hold the trained network's second conv layer, or none (``why``: the reason).

        While the source is shown, a new layer is stepped through at once; without one the
        animator goes back to the source chosen before, saying why.
        """
        why = "" if layer is not None else why or NO_NETWORK
        if same_layer(layer, self.trained) and about == self.trained_about:
            if why != self.trained_why:  # still none, for another reason (a run started)
                self.trained_why = why
                self.trainedChanged.emit()
                if self.error and self.error == self._left_because:  # the newer reason
                    self._left_because = self._leaving_text(why)
                    self._set_error(self._left_because)
            return
        self.trained, self.trained_why = layer, why
        self.trained_about = about if layer is not None else ""
        self.trainedChanged.emit()
        if layer is not None and self.error in (NO_NETWORK, TRAINING, self._left_because):
            self._set_error("")  # "no network", "training…": no longer so
        if self._source_kind != TRAINED_SOURCE:
            return
        if layer is not None:
            self.rebuild()
            return
        self.set_source_kind(self._before_trained)
        self._left_because = self._leaving_text(why)
        self._set_error(self._left_because)

    @staticmethod
    def _leaving_text(why: str) -> str:
        return f"{why} The animator went back to the source shown before."


class TrainedLink(QObject):
    """Keep the animator's trained layer in step with the Training tab's network.

    The maps are of the image the Training tab probes: a run's probe image (its snapshots
    carry it), else the loaded dataset's first test image, else the 28×28 glyph. Any change
    of network, run or dataset computes the layer again, or takes it away while a run trains.
    ``training`` is the Training tab's model (only its signals and public state are used: a
    tab's views and links depend on no other tab's package).
    """

    def __init__(self, animator: TrainedMixin, training: Any) -> None:
        super().__init__(training)
        self.animator, self.training = animator, training
        self._probe: tuple[np.ndarray, str] | None = None  # the current run's probe image
        training.networkChanged.connect(self._on_network)
        training.runPrepared.connect(self.refresh)
        training.runEnded.connect(self.refresh)
        training.datasetLoaded.connect(self.refresh)
        training.runner.relay.snapshotTaken.connect(self._on_snapshot)
        self.refresh()

    def _on_network(self) -> None:
        self._probe = None  # of the network replaced
        self.refresh()

    def _on_snapshot(self, snap: Any) -> None:
        if snap.probe_image is None:
            return
        names = self.training.class_names()
        what = "a training image" if snap.probe_index is None else (
            f"test image {snap.probe_index}")
        if snap.probe_class is not None and snap.probe_class < len(names):
            what += f" ({names[snap.probe_class]})"
        self._probe = (np.asarray(snap.probe_image, np.float32), what)

    def probe(self) -> tuple[np.ndarray, str]:
        """Return the image the maps are of and what it is, in words."""
        if self._probe is not None:
            return self._probe
        ds = self.training.dataset
        if ds is not None and len(ds.x_test):
            label = int(ds.y_test[0])
            name = ds.class_names[label] if label < len(ds.class_names) else str(label)
            return ds.x_test[0], f"test image 0 ({name})"
        from ...core import sample_image

        return sample_image("glyph"), "the 28×28 glyph (no dataset loaded on the Training tab)"

    def refresh(self) -> None:
        """Compute the layer for the current network and probe image, or say why there is none."""
        t = self.training
        if t.training_now():
            self.animator.set_trained_layer(None, TRAINING)
            return
        if t.network is None:
            self.animator.set_trained_layer(None, NO_NETWORK)
            return
        from ...training.inference import second_conv

        image, about = self.probe()
        try:
            layer = second_conv(t.network, image)
        except ValueError as exc:
            self.animator.set_trained_layer(
                None, f"The Training tab's CNN cannot be stepped here: {exc}.")
            return
        self.animator.set_trained_layer(layer, about=about)


def label_trained_source(combo: QComboBox, animator: TrainedMixin) -> None:
    """Keep the source combo's trained-CNN entry saying whether it can be chosen, and why not."""
    label = combo.itemText(combo.findData(TRAINED_SOURCE))

    def update() -> None:
        i = combo.findData(TRAINED_SOURCE)
        if i < 0:
            return
        why = animator.trained_why
        combo.setItemText(i, UNAVAILABLE_LABELS.get(why, UNAVAILABLE) if why else label)
        layer = animator.trained
        tip = why or (f"{layer.name} of the trained CNN on {layer.receives}, of "
                      f"{animator.trained_about}" if layer is not None else "")
        combo.setItemData(i, tip, Qt.ItemDataRole.ToolTipRole)

    animator.trainedChanged.connect(update)
    update()
