"""What a training run reports to its observer, and what it returns. No Qt, no Keras."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np


@dataclass(frozen=True)
class BatchEvent:
    """Running metrics of the epoch so far, reported every few batches."""

    epoch: int
    batch: int
    batches: int
    loss: float
    accuracy: float
    elapsed: float
    learning_rate: float | None = None  # the rate of the batch just trained
    # (layer name, ‖ΔW‖/‖W‖ of its kernel) over the batch just trained, conv and dense layers
    update_ratios: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class Evaluation:
    """What the model makes of the evaluated images: the confusion matrix and the mistakes."""

    confusion: np.ndarray                         # rows: true class, columns: predicted
    misclassified: np.ndarray                     # (k, 28, 28) in [0, 1], at most 64
    misclassified_labels: tuple[tuple[int, int], ...]  # (true, predicted) for each
    evaluated_on: str                             # "validation" or "test"
    loss: float
    accuracy: float

    @property
    def wrong(self) -> int:
        """How many of the evaluated images the model gets wrong."""
        return int(self.confusion.sum() - np.trace(self.confusion))

    @property
    def per_class_accuracy(self) -> np.ndarray:
        """Recall of each class on the evaluated images (NaN for an absent class)."""
        totals = self.confusion.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.diag(self.confusion) / totals


@dataclass(frozen=True)
class StopPoint:
    """Where a stopped run ended: ``batch`` of ``batches`` done in ``epoch`` (from 0)."""

    epoch: int
    batch: int
    batches: int

    @property
    def mid_epoch(self) -> bool:
        """Whether the epoch was left unfinished (it is not counted, plotted or saved)."""
        return self.batch < self.batches


@dataclass(frozen=True)
class EpochEvent:
    """One finished epoch, with the confusion matrix on the validation set."""

    epoch: int
    epochs: int
    loss: float
    accuracy: float
    val_loss: float | None
    val_accuracy: float | None
    seconds: float
    confusion: np.ndarray                         # rows: true class, columns: predicted
    misclassified: np.ndarray                     # (k, 28, 28) in [0, 1], at most 64
    misclassified_labels: tuple[tuple[int, int], ...]  # (true, predicted) for each
    evaluated_on: str = "validation"              # or "test" when there is no validation set

    @property
    def per_class_accuracy(self) -> np.ndarray:
        """Recall of each class on the evaluated images (NaN for an absent class)."""
        totals = self.confusion.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.diag(self.confusion) / totals

    @property
    def evaluation(self) -> Evaluation | None:
        """The epoch's confusion matrix and mistakes (None when the pass was cut short)."""
        if not self.confusion.sum():
            return None
        acc = float(np.trace(self.confusion) / self.confusion.sum())
        loss = self.val_loss if self.val_loss is not None else float("nan")
        return Evaluation(self.confusion, self.misclassified, self.misclassified_labels,
                          self.evaluated_on, loss, acc)


@dataclass(frozen=True)
class Snapshot:
    """What the first layer looks like now, and what the network makes of the probe image."""

    epoch: int
    batch: int
    filters: np.ndarray                          # (kh, kw, channels, filters)
    feature_maps: tuple[tuple[str, np.ndarray], ...]  # (layer name, (H, W, C)) conv & pool
    probabilities: np.ndarray                    # (classes,)
    probe_image: np.ndarray | None = None        # (28, 28) in [0, 1]: what the maps are of
    probe_index: int | None = None               # its index in the test images (None: train)
    probe_class: int | None = None               # its true class
    # ∂loss/∂W of the first layer's filters (like ``filters``) on a fixed batch of training
    # images (signals.GradientProbe); None where it was not computed
    filter_gradients: np.ndarray | None = None


@dataclass
class TrainingResult:
    """The model (weights kept after a stop), its history, and how the run ended.

    ``history`` and ``epochs_done`` count whole epochs only: a Stop in the middle of an epoch
    is ``stopped_at``, and ``schedule_reached`` says how far along its schedule the planned
    run got (1.0 at its end), for a Resume to go on from there.
    """

    model: Any
    history: dict[str, list[float]]
    epochs_done: int
    stopped: bool
    test_accuracy: float | None = None
    stopped_at: StopPoint | None = None
    schedule_reached: float = 1.0
    batches_trained: int = 0


class Observer(Protocol):
    """Receives a run's progress (called on the training thread)."""

    def on_started(self, info: dict[str, Any]) -> None:
        """Receive dataset and model facts before the first batch."""

    def on_batch(self, event: BatchEvent) -> None:
        """Receive running metrics."""

    def on_epoch(self, event: EpochEvent) -> None:
        """Receive a finished epoch."""

    def on_snapshot(self, snapshot: Snapshot) -> None:
        """Receive first-layer filters and the probe image's feature maps."""
