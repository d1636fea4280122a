"""One training run as a plain function: ``train(config, observer, stop_event)``. No Qt.

The observer hears about batches, epochs and throttled snapshots (first-layer filters, feature maps
and class probabilities of a probe image); every array it gets is a copy it may keep. Stopping is
a :class:`threading.Event`, read after every batch.
"""

from __future__ import annotations

import gc
import math
import threading
import time
import weakref
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from . import LR_SCHEDULES
from .datasets import Dataset, load_dataset
from .models import ModelConfig, build_model

PREDICT_BATCH = 256


@dataclass(frozen=True)
class TrainingConfig:
    """Everything that decides a run."""

    dataset: str = "fashion-mnist"
    data_dir: str | None = None
    limit: int | None = None
    model: ModelConfig = field(default_factory=ModelConfig)
    optimizer: str = "adam"
    learning_rate: float = 3e-3  # the start of the cosine; see lr_schedule
    batch_size: int = 32  # Keras' default, which the lessons' model.fit uses
    epochs: int = 5
    validation_split: float = 0.1
    seed: int = 0
    probe_index: int = 0
    metrics_every: int = 5          # batches between batch reports
    snapshot_every: int = 20        # batches between snapshots …
    snapshot_seconds: float = 0.25  # … and at least this long apart
    seed_kernel: tuple[tuple[float, ...], ...] | None = None
    freeze_seed: bool = False
    confusion_samples: int = 2000
    # "cosine": the learning rate falls from ``learning_rate`` to 0 over this run's batches
    # (a Resume starts a new curve). The lessons' model, 5 epochs on all of Fashion-MNIST,
    # batch 32, test accuracy: Adam's constant 0.001 89.9 %; cosine from 0.001 91.3 %, from
    # 0.002 91.5 / 91.5 %, from 0.003 91.8 / 91.6 % (two seeds; benchmarks/training.py).
    lr_schedule: str = "cosine"

    def __post_init__(self) -> None:
        if self.lr_schedule not in LR_SCHEDULES:
            raise ValueError(f"learning-rate schedule must be one of {', '.join(LR_SCHEDULES)}")
        if not 1 <= self.batch_size <= 4096:
            raise ValueError(f"batch size must be 1…4096, got {self.batch_size}")
        if not 1 <= self.epochs <= 1000:
            raise ValueError(f"epochs must be 1…1000, got {self.epochs}")
        if not 0.0 <= self.validation_split < 0.9:
            raise ValueError(f"validation split must be in [0, 0.9), got {self.validation_split}")
        if not (0 < self.learning_rate <= 10 and np.isfinite(self.learning_rate)):
            raise ValueError(f"learning rate must be in (0, 10], got {self.learning_rate}")


@dataclass(frozen=True)
class BatchEvent:
    """Running metrics of the epoch so far, reported every few batches."""

    epoch: int
    batch: int
    batches: int
    loss: float
    accuracy: float
    elapsed: float


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


@dataclass(frozen=True)
class Snapshot:
    """What the first layer looks like now, and what the network makes of the probe image."""

    epoch: int
    batch: int
    filters: np.ndarray                          # (kh, kw, channels, filters)
    feature_maps: tuple[tuple[str, np.ndarray], ...]  # (layer name, (H, W, C)) conv & pool
    probabilities: np.ndarray                    # (classes,)


@dataclass
class TrainingResult:
    """The model (weights kept after a stop), its history, and how the run ended."""

    model: Any
    history: dict[str, list[float]]
    epochs_done: int
    stopped: bool
    test_accuracy: float | None = None


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


def prepare_images(x: np.ndarray) -> np.ndarray:
    """uint8 (N, 28, 28) → float32 (N, 28, 28, 1) in [0, 1]: the 4-D batch Conv2D expects."""
    arr = np.asarray(x)
    if arr.ndim == 2 or arr.shape == (28, 28, 1):
        arr = arr[None]
    if arr.ndim == 3:
        arr = arr[..., None]
    if arr.ndim != 4 or arr.shape[1:] != (28, 28, 1):
        raise ValueError(f"images must be (N, 28, 28[, 1]), got {np.shape(x)}")
    scale = 255.0 if arr.dtype == np.uint8 else 1.0
    return (arr.astype(np.float32) / np.float32(scale)).astype(np.float32)


def _set_seed_filter(model: Any, kernel: np.ndarray) -> None:
    conv = model.get_layer("conv1")
    weights, bias = conv.get_weights()
    kh, kw = weights.shape[:2]
    if kernel.shape != (kh, kw):
        raise ValueError(f"your kernel is {kernel.shape[0]}×{kernel.shape[1]} but the first "
                         f"layer's filters are {kh}×{kw}; make them the same size")
    weights[:, :, 0, 0] = kernel
    bias[0] = 0.0
    conv.set_weights([weights, bias])


class FeatureProbe:
    """Feature maps after each conv (ReLU) and pool layer, and the class probabilities."""

    def __init__(self, model: Any) -> None:
        import keras

        self.names = [layer.name for layer in model.layers
                      if layer.name.startswith(("conv", "pool"))]
        self._model = keras.Model(model.inputs[0], [model.get_layer(n).output for n in self.names]
                                  + [model.outputs[0]])

    def __call__(self, image: np.ndarray) -> tuple[tuple[tuple[str, np.ndarray], ...],
                                                   np.ndarray]:
        """Run one image (28×28) through the network; return (maps, probabilities)."""
        outs = self._model(prepare_images(image), training=False)
        maps = tuple((n, np.array(o[0])) for n, o in zip(self.names, outs[:-1], strict=True))
        return maps, np.array(outs[-1][0])


def probabilities(model: Any, x: np.ndarray,
                  stop_event: threading.Event | None = None) -> np.ndarray | None:
    """Class probabilities, one ``predict_on_batch`` per batch; None if ``stop_event`` is set.

    ``model.predict`` builds a tf.data pipeline on every call, long Python work that holds the
    GIL while the window waits; ``predict_on_batch`` runs the same traced predict function
    directly. A stop ends the pass after the current batch.
    """
    if not len(x):
        return np.zeros((0, int(model.layers[-1].units)), np.float32)
    parts = []
    for i in range(0, len(x), PREDICT_BATCH):
        if stop_event is not None and stop_event.is_set():
            return None
        parts.append(np.asarray(model.predict_on_batch(x[i:i + PREDICT_BATCH])))
    return np.concatenate(parts)


def warm_up(model: Any, x: np.ndarray) -> None:
    """Trace the predict function for a full and a partial batch now, before training starts.

    Tracing holds Python's GIL for long stretches; done here it happens while the window
    says "building the model", not as a freeze at the end of an epoch.
    """
    if len(x):
        probabilities(model, x[:PREDICT_BATCH + 7])


def return_free_memory() -> None:
    """Hand the C heap's free pages back to the system (glibc's ``malloc_trim``; else nothing).

    TensorFlow frees a run's buffers into many threads' malloc arenas and the process kept
    them: 14 Start/Stop cycles in one window grew it 757 → 832 MB; trimming after each run,
    746 → 762 MB (the same cycles; ``benchmarks/soak.py`` has the row).
    """
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    if not name:
        return
    try:
        trim = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):  # not glibc
        return
    trim(0)


def settle_garbage() -> None:
    """Collect once now, then hide every surviving object from later full collections.

    TensorFlow and Keras leave ~10⁶ long-lived objects; a full collection that walks them all
    holds the GIL for 100-270 ms (measured with ``gc.callbacks``), which froze the window
    mid-epoch. Unfreezing first lets this collection free the previous run's model. While
    ``fit`` runs, the callback freezes again (an O(1) call) after the train step is traced and
    at each snapshot, so the objects Keras keeps are never walked either; what it leaves as
    garbage meanwhile is freed by the next run's collection.
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def learning_rate(config: TrainingConfig, epoch: int, batch: int, batches: int) -> float:
    """Return the rate for ``batch`` of this run's ``epoch`` (both from 0) under the schedule."""
    if config.lr_schedule == "constant":
        return config.learning_rate
    done = (epoch * batches + batch) / max(1, config.epochs * batches)
    return config.learning_rate * 0.5 * (1.0 + math.cos(math.pi * min(1.0, done)))


def _make_callback(model: Any, config: TrainingConfig, observer: Observer,
                   stop_event: threading.Event, probe: np.ndarray, batches: int,
                   test: tuple[np.ndarray, np.ndarray], val: tuple[np.ndarray, np.ndarray],
                   seed_kernel: np.ndarray | None) -> Any:
    import keras

    n_classes = int(model.layers[-1].units)

    class _Bridge(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.epoch = 0
            self.t_epoch = time.perf_counter()
            self.last_snapshot = 0.0
            self.since_snapshot = 0
            self.run_epoch = 0
            self._probe: FeatureProbe | None = None

        def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
            self.epoch = epoch
            self.t_epoch = time.perf_counter()
            self.run_epoch = epoch - (self.params.get("epochs", epoch + 1) - config.epochs)

        def on_train_begin(self, logs: Any = None) -> None:
            model.optimizer.learning_rate = config.learning_rate  # a resumed model's may differ

        def on_train_batch_begin(self, batch: int, logs: Any = None) -> None:
            if config.lr_schedule != "constant":  # a constant rate was set once, above
                model.optimizer.learning_rate = learning_rate(config, self.run_epoch, batch,
                                                              batches)

        def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
            if seed_kernel is not None and config.freeze_seed:
                _set_seed_filter(model, seed_kernel)
            if batch == 0:
                gc.freeze()  # the train step's trace, see settle_garbage
            logs = logs or {}
            n = batch + 1
            if n % config.metrics_every == 0 or n == batches:
                observer.on_batch(BatchEvent(self.epoch, n, batches, float(logs.get("loss", 0)),
                                             float(logs.get("accuracy", 0)),
                                             time.perf_counter() - self.t_epoch))
            self.since_snapshot += 1
            now = time.perf_counter()
            if (self.since_snapshot >= config.snapshot_every
                    and now - self.last_snapshot >= config.snapshot_seconds):
                self.snapshot(n)
            if stop_event.is_set():
                model.stop_training = True

        def snapshot(self, batch: int) -> None:
            self.since_snapshot = 0
            self.last_snapshot = time.perf_counter()
            gc.freeze()  # O(1): keeps full collections short while fit runs
            if self._probe is None:
                self._probe = FeatureProbe(model)
            maps, probs = self._probe(probe)
            filters = np.array(model.get_layer("conv1").get_weights()[0])
            observer.on_snapshot(Snapshot(self.epoch, batch, filters, maps, probs))

        def predict(self, x: np.ndarray) -> np.ndarray | None:
            return probabilities(model, x, stop_event)

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            logs = logs or {}
            # Validation here rather than fit(validation_split=…): one pass gives the loss, the
            # accuracy and the confusion matrix, and a stop (window close) ends it at once.
            x_eval, y_eval = val if len(val[0]) else test
            probs = self.predict(x_eval) if len(x_eval) else None
            confusion = np.zeros((n_classes, n_classes), np.int64)
            wrong_images = np.zeros((0, 28, 28), np.float32)
            wrong_labels: tuple[tuple[int, int], ...] = ()
            if probs is not None and len(probs):
                pred = np.argmax(probs, axis=1)
                np.add.at(confusion, (y_eval, pred), 1)
                wrong = np.nonzero(pred != y_eval)[0][:64]
                wrong_images = x_eval[wrong, :, :, 0].copy()
                wrong_labels = tuple((int(y_eval[i]), int(pred[i])) for i in wrong)
                if len(val[0]):
                    p_true = np.clip(probs[np.arange(len(probs)), y_eval], 1e-7, 1.0)
                    logs["val_loss"] = float(-np.log(p_true).mean())
                    logs["val_accuracy"] = float((pred == y_eval).mean())
            val_loss, val_acc = logs.get("val_loss"), logs.get("val_accuracy")
            observer.on_epoch(EpochEvent(
                epoch, self.params.get("epochs", epoch + 1), float(logs.get("loss", 0)),
                float(logs.get("accuracy", 0)),
                None if val_loss is None else float(val_loss),
                None if val_acc is None else float(val_acc),
                time.perf_counter() - self.t_epoch, confusion, wrong_images, wrong_labels,
                "validation" if len(val[0]) else "test"))
            if not stop_event.is_set():
                self.snapshot(batches)

    return _Bridge()


# What each model built here was built from, so that a fresh run can reuse it (see recycle).
_BUILT_FROM: weakref.WeakKeyDictionary[Any, tuple[ModelConfig, str]] = weakref.WeakKeyDictionary()


def _recycled(old: Any, mc: ModelConfig, config: TrainingConfig) -> Any:
    """``old`` with fresh initial weights and optimizer state, or None if it is not the same net.

    TensorFlow keeps ~8 MB of every model that has been fit (its traced train step is never
    freed: tensorflow#61791, keras#17458; ``clear_session`` does not help), so twenty
    Start/Stop/Start cycles grew the process by 160 MB. Reusing the compiled model keeps its
    traces; the weights come from a freshly built twin (building traces nothing), so the run
    starts exactly where a new model with this seed would.
    """
    if old is None or _BUILT_FROM.get(old) != (mc, config.optimizer):
        return None
    twin = build_model(mc, optimizer=config.optimizer, learning_rate=config.learning_rate)
    old.set_weights(twin.get_weights())
    opt = old.optimizer
    for var in opt.variables:
        if var is opt.iterations:
            var.assign(0)
        elif var is not opt._learning_rate:  # noqa: SLF001 - Keras keeps no public handle
            var.assign(np.zeros(var.shape, var.dtype))
    opt.learning_rate = config.learning_rate
    return old


def train(config: TrainingConfig, observer: Observer, stop_event: threading.Event, *,
          dataset: Dataset | None = None, model: Any = None, initial_epoch: int = 0,
          recycle: Any = None) -> TrainingResult:
    """Train (or, given ``model`` and ``initial_epoch``, resume) and report to ``observer``.

    ``recycle``: a model from an earlier run that the caller no longer needs; a fresh run (no
    ``model``) reinitialises and reuses it when it has the same architecture and optimizer.

    Raises
    ------
    convstudio.training.datasets.DatasetError
        The dataset is missing or unreadable.
    ValueError
        The configuration cannot be built (for example a seed kernel of the wrong size).
    """
    import keras

    ds = dataset if dataset is not None else load_dataset(
        config.dataset, config.data_dir, limit=config.limit, seed=config.seed)
    keras.utils.set_random_seed(config.seed + initial_epoch)
    x_train, y_train = prepare_images(ds.x_train), ds.y_train
    x_test, y_test = prepare_images(ds.x_test), ds.y_test
    if model is None:
        mc = config.model
        if mc.n_classes != ds.n_classes:
            mc = ModelConfig(mc.blocks, mc.dense_units, mc.dropout, ds.n_classes)
        model = _recycled(recycle, mc, config)
        if model is None:
            model = build_model(mc, optimizer=config.optimizer,
                                learning_rate=config.learning_rate)
            _BUILT_FROM[model] = (mc, config.optimizer)
    seed_kernel = None
    if config.seed_kernel is not None:
        seed_kernel = np.asarray(config.seed_kernel, np.float32)
        if initial_epoch == 0:
            _set_seed_filter(model, seed_kernel)
    # The last fraction, as Keras' validation_split takes it.
    n_val = int(len(x_train) * config.validation_split)
    n_fit = len(x_train) - n_val
    x_val, y_val = x_train[n_fit:], y_train[n_fit:]
    x_train, y_train = x_train[:n_fit], y_train[:n_fit]
    batches = -(-n_fit // config.batch_size)
    probe = x_test[min(config.probe_index, len(x_test) - 1)] if len(x_test) else x_train[0]
    observer.on_started({
        "dataset": ds.name, "source": ds.source, "classes": ds.class_names,
        "train": n_fit, "validation": n_val, "test": len(x_test),
        "batches": batches, "epochs": config.epochs, "initial_epoch": initial_epoch,
        "parameters": int(model.count_params()),
    })
    n_conf = min(len(x_test), config.confusion_samples)  # only used without a validation set
    warm_up(model, x_test if len(x_test) else x_train)
    settle_garbage()
    callback = _make_callback(model, config, observer, stop_event, probe, batches,
                              (x_test[:n_conf], y_test[:n_conf]), (x_val, y_val), seed_kernel)
    history: dict[str, list[float]] = {}
    stopped = stop_event.is_set()
    if not stopped:
        fit = model.fit(x_train, y_train, batch_size=config.batch_size,
                        epochs=initial_epoch + config.epochs, initial_epoch=initial_epoch,
                        verbose=0,
                        callbacks=[callback], shuffle=True)
        history = {k: [float(v) for v in vals] for k, vals in fit.history.items()}
        stopped = stop_event.is_set()
    epochs_done = initial_epoch + len(history.get("loss", []))
    test_accuracy = None
    if not stopped and len(x_test):
        probs = probabilities(model, x_test, stop_event)
        if probs is not None:
            test_accuracy = float((np.argmax(probs, axis=1) == y_test).mean())
    return_free_memory()
    return TrainingResult(model, history, epochs_done, stopped, test_accuracy)
