"""One training run as a plain function: ``train(config, observer, stop_event)``. No Qt.

The observer hears about batches, epochs and throttled snapshots (first-layer filters, feature maps
and class probabilities of a probe image); every array it gets is a copy it may keep. Stopping is
a :class:`threading.Event`, read after every batch. The events and results are in ``events.py``,
running a model on images in ``inference.py``; both are importable from here too.
"""

from __future__ import annotations

import gc
import math
import threading
import time
import weakref
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import LR_SCHEDULES
from .backend import load_keras
from .datasets import Dataset, load_dataset
from .events import (
    BatchEvent,
    EpochEvent,
    Evaluation,
    Observer,
    Snapshot,
    StopPoint,
    TrainingResult,
)
from .inference import (
    PREDICT_BATCH,
    FeatureProbe,
    evaluate,
    prepare_images,
    probabilities,
    warm_up,
)
from .models import ModelConfig, build_model, compile_model, first_conv, output_classes
from .settings import TrainingSettings, check
from .signals import GradientProbe, UpdateMeter

_DEFAULTS = TrainingSettings()

__all__ = ["LR_SCHEDULES", "PREDICT_BATCH", "BatchEvent", "EpochEvent", "Evaluation",
           "FeatureProbe", "Observer", "Snapshot", "StopPoint", "TrainingConfig",
           "TrainingResult", "evaluate", "evaluation_images", "learning_rate", "prepare_images",
           "probabilities", "schedule_fraction", "scheduled_rate", "train", "warm_up"]


@dataclass(frozen=True)
class TrainingConfig:
    """Everything that decides a run."""

    dataset: str = _DEFAULTS.dataset
    data_dir: str | None = None
    limit: int | None = None
    model: ModelConfig = field(default_factory=ModelConfig)
    optimizer: str = _DEFAULTS.optimizer
    learning_rate: float = _DEFAULTS.learning_rate  # the start of the cosine; see lr_schedule
    batch_size: int = _DEFAULTS.batch_size
    epochs: int = _DEFAULTS.epochs
    validation_split: float = _DEFAULTS.validation_split
    seed: int = 0
    probe_index: int = 0
    metrics_every: int = 5          # batches between batch reports
    snapshot_every: int = 20        # batches between snapshots …
    snapshot_seconds: float = 0.25  # … and at least this long apart
    seed_kernel: tuple[tuple[float, ...], ...] | None = None
    freeze_seed: bool = False
    confusion_samples: int = 2000
    # "cosine": the learning rate falls from ``learning_rate`` to 0 over the planned run
    # (why: see TrainingSettings.learning_rate).
    lr_schedule: str = _DEFAULTS.lr_schedule
    # How much of the planned run's schedule was done before this run (a Resume after a Stop):
    # this run's batches cover the rest, so the rate goes on from where it was.
    schedule_start: float = 0.0

    def __post_init__(self) -> None:
        # The ranges are the Training tab's (settings.FIELDS): the form, lessons and the
        # command line accept the same values.
        for name in ("lr_schedule", "batch_size", "epochs", "validation_split",
                     "learning_rate", "optimizer"):
            check(name, getattr(self, name), name.replace("_", " "))
        if not 0.0 <= self.schedule_start < 1.0:
            raise ValueError(f"schedule start must be in [0, 1), got {self.schedule_start}")

    @classmethod
    def from_settings(cls, settings: TrainingSettings, n_classes: int = 10,
                      **extra: Any) -> TrainingConfig:
        """Return the run ``settings`` describe.

        ``extra`` adds the run's other fields (``data_dir``, ``probe_index``, ``seed_kernel``,
        ``freeze_seed`` …).
        """
        s = settings
        model = ModelConfig.from_settings(s, n_classes)
        return cls(dataset=s.dataset, limit=s.limit or None, model=model,
                   optimizer=s.optimizer, learning_rate=s.learning_rate,
                   batch_size=s.batch_size, epochs=s.epochs,
                   validation_split=s.validation_split, lr_schedule=s.lr_schedule, **extra)


def _set_seed_filter(model: Any, kernel: np.ndarray) -> None:
    conv = first_conv(model)
    weights, bias = conv.get_weights()
    kh, kw = weights.shape[:2]
    if kernel.shape != (kh, kw):
        raise ValueError(f"your kernel is {kernel.shape[0]}×{kernel.shape[1]} but the first "
                         f"layer's filters are {kh}×{kw}; make them the same size")
    weights[:, :, 0, 0] = kernel
    bias[0] = 0.0
    conv.set_weights([weights, bias])


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

    The first run of a process has no earlier run to free: the objects TensorFlow's import
    made (with the collector paused, see ``backend``) are only frozen. Collecting them held the
    GIL for 0.33 s, the longest freeze of the window during the first Start.
    """
    global _runs_settled
    _runs_settled += 1
    # With automatic collection disabled, the app collects on its GUI thread only (a
    # collection here could destroy Qt objects from this thread: seen as a hang in a test);
    # it calls collect_before_run there before it starts this one.
    if _runs_settled > 1 and gc.isenabled():
        gc.unfreeze()
        gc.collect()
    gc.freeze()


def collect_before_run() -> None:
    """Free the previous run's objects on the calling (GUI) thread; see :func:`settle_garbage`.

    Holds that thread for the collection (~0.3 s after a run); the first run has nothing to
    free and costs nothing.
    """
    if _runs_settled > 0:
        gc.unfreeze()
        gc.collect()


_runs_settled = 0


def schedule_fraction(config: TrainingConfig, epoch: int, batch: int, batches: int) -> float:
    """How far along the planned run's schedule ``batch`` of this run's ``epoch`` (from 0) is.

    This run's batches span what is left of the plan after ``config.schedule_start``.
    """
    done = min(1.0, (epoch * batches + batch) / max(1, config.epochs * batches))
    return config.schedule_start + (1.0 - config.schedule_start) * done


def scheduled_rate(config: TrainingConfig, fraction: float) -> float:
    """Return the rate at ``fraction`` (0…1) of the planned run under the schedule."""
    if config.lr_schedule == "constant":
        return config.learning_rate
    return config.learning_rate * 0.5 * (1.0 + math.cos(math.pi * min(1.0, fraction)))


def learning_rate(config: TrainingConfig, epoch: int, batch: int, batches: int) -> float:
    """Return the rate for ``batch`` of this run's ``epoch`` (both from 0) under the schedule."""
    return scheduled_rate(config, schedule_fraction(config, epoch, batch, batches))


def evaluation_images(ds: Dataset, config: TrainingConfig) -> tuple[np.ndarray, np.ndarray, str]:
    """Return the images a run evaluates after each epoch: its validation split, else test."""
    n = len(ds.x_train)
    n_val = int(n * config.validation_split)  # the last fraction, as Keras' validation_split
    if n_val:
        return prepare_images(ds.x_train[n - n_val:]), ds.y_train[n - n_val:], "validation"
    m = min(len(ds.x_test), config.confusion_samples)
    return prepare_images(ds.x_test[:m]), ds.y_test[:m], "test"


def _make_callback(model: Any, config: TrainingConfig, observer: Observer,
                   stop_event: threading.Event, probe: tuple[np.ndarray, int | None, int],
                   batches: int,
                   evaluation: tuple[np.ndarray, np.ndarray, str],
                   seed_kernel: np.ndarray | None, gradients: GradientProbe) -> Any:
    keras = load_keras()
    x_eval, y_eval, evaluated_on = evaluation
    probe_x, probe_index, probe_class = probe
    probe_image = np.array(probe_x[:, :, 0])
    n_classes = output_classes(model)
    callback_base: Any = keras.callbacks.Callback

    class _Bridge(callback_base):
        def __init__(self) -> None:
            super().__init__()
            self.epoch = 0
            self.t_epoch = time.perf_counter()
            self.last_snapshot = 0.0
            self.since_snapshot = 0
            self.run_epoch = 0
            self.in_epoch = 0      # batches trained in the current epoch
            self.trained = 0       # batches trained in this run
            self.rate = config.learning_rate
            self.epoch_logs: list[dict[str, float]] = []  # whole epochs only
            self._probe: FeatureProbe | None = None
            self.meter = UpdateMeter(model)

        def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
            self.epoch = epoch
            self.in_epoch = 0
            self.t_epoch = time.perf_counter()
            self.run_epoch = epoch - (self.params.get("epochs", epoch + 1) - config.epochs)

        def on_train_begin(self, logs: Any = None) -> None:
            # A resumed model's rate may differ; a resumed schedule goes on from where it was.
            self.rate = learning_rate(config, 0, 0, batches)
            model.optimizer.learning_rate = self.rate

        def reported(self, n: int) -> bool:
            return n % config.metrics_every == 0 or n == batches

        def on_train_batch_begin(self, batch: int, logs: Any = None) -> None:
            if config.lr_schedule != "constant":  # a constant rate was set once, above
                self.rate = learning_rate(config, self.run_epoch, batch, batches)
                model.optimizer.learning_rate = self.rate
            if self.reported(batch + 1):  # its report says how far this batch moved the weights
                self.meter.before()

        def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
            if seed_kernel is not None and config.freeze_seed:
                _set_seed_filter(model, seed_kernel)
            if batch == 0:
                gc.freeze()  # the train step's trace, see settle_garbage
            logs = logs or {}
            n = self.in_epoch = batch + 1
            self.trained += 1
            if self.reported(n):
                observer.on_batch(BatchEvent(self.epoch, n, batches, float(logs.get("loss", 0)),
                                             float(logs.get("accuracy", 0)),
                                             time.perf_counter() - self.t_epoch, self.rate,
                                             self.meter.ratios()))
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
            maps, probs = self._probe(probe_x)
            filters = np.array(first_conv(model).get_weights()[0])
            observer.on_snapshot(Snapshot(self.epoch, batch, filters, maps, probs,
                                          probe_image.copy(), probe_index, probe_class,
                                          gradients()))

        def stop_point(self) -> StopPoint | None:
            return StopPoint(self.epoch, self.in_epoch, batches) if self.trained else None

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            if self.in_epoch < batches:
                return  # stopped mid-epoch: no whole epoch to report (see stop_point)
            logs = dict(logs or {})
            # Validation here rather than fit(validation_split=…): one pass gives the loss, the
            # accuracy and the confusion matrix, and a stop (window close) ends it at once.
            ev = evaluate(model, x_eval, y_eval, evaluated_on, stop_event) if len(x_eval) else None
            if ev is not None and evaluated_on == "validation":
                logs["val_loss"], logs["val_accuracy"] = ev.loss, ev.accuracy
            val_loss, val_acc = logs.get("val_loss"), logs.get("val_accuracy")
            self.epoch_logs.append({k: float(v) for k, v in logs.items()})
            observer.on_epoch(EpochEvent(
                epoch, self.params.get("epochs", epoch + 1), float(logs.get("loss", 0)),
                float(logs.get("accuracy", 0)),
                None if val_loss is None else float(val_loss),
                None if val_acc is None else float(val_acc),
                time.perf_counter() - self.t_epoch,
                ev.confusion if ev else np.zeros((n_classes, n_classes), np.int64),
                ev.misclassified if ev else np.zeros((0, 28, 28), np.float32),
                ev.misclassified_labels if ev else (), evaluated_on))
            if not stop_event.is_set():
                self.snapshot(batches)

        def history(self) -> dict[str, list[float]]:
            """Whole epochs' numbers; NaN where an epoch has none (its validation was cut)."""
            if not self.epoch_logs:
                return {}
            keys = ["loss", "accuracy"]
            if evaluated_on == "validation":
                keys += ["val_loss", "val_accuracy"]
            keys += sorted({k for logs in self.epoch_logs for k in logs} - set(keys))
            return {k: [logs.get(k, math.nan) for logs in self.epoch_logs] for k in keys}

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
    A resumed run goes on along the planned run's schedule from ``config.schedule_start``.

    Raises
    ------
    convstudio.training.datasets.DatasetError
        The dataset is missing or unreadable.
    ValueError
        The configuration cannot be built (for example a seed kernel of the wrong size), or
        ``model`` does not output the dataset's classes.
    """
    keras = load_keras()
    ds = dataset if dataset is not None else load_dataset(
        config.dataset, config.data_dir, limit=config.limit, seed=config.seed)
    keras.utils.set_random_seed(config.seed + initial_epoch)
    if model is None:
        mc = config.model
        if mc.n_classes != ds.n_classes:
            mc = ModelConfig(mc.blocks, mc.dense_units, mc.dropout, ds.n_classes)
        model = _recycled(recycle, mc, config)
        if model is None:
            model = build_model(mc, optimizer=config.optimizer,
                                learning_rate=config.learning_rate)
            _BUILT_FROM[model] = (mc, config.optimizer)
    else:
        if output_classes(model) != ds.n_classes:
            raise ValueError(f"the model outputs {output_classes(model)} classes but "
                             f"{ds.name} has {ds.n_classes}; Start trains a new model for it")
        if not getattr(model, "compiled", True) or getattr(model, "optimizer", None) is None:
            compile_model(model, config.optimizer, config.learning_rate)  # saved uncompiled
    seed_kernel = None
    if config.seed_kernel is not None:
        seed_kernel = np.asarray(config.seed_kernel, np.float32)
        if initial_epoch == 0:
            _set_seed_filter(model, seed_kernel)
    x_eval, y_eval, evaluated_on = evaluation_images(ds, config)
    n_val = len(x_eval) if evaluated_on == "validation" else 0
    n_fit = len(ds.x_train) - n_val
    x_train, y_train = prepare_images(ds.x_train[:n_fit]), ds.y_train[:n_fit]
    x_test, y_test = prepare_images(ds.x_test), ds.y_test
    batches = -(-n_fit // config.batch_size)
    if len(x_test):
        i = min(config.probe_index, len(x_test) - 1)
        probe: tuple[np.ndarray, int | None, int] = (x_test[i], i, int(y_test[i]))
    else:
        probe = (x_train[0], None, int(y_train[0]))
    observer.on_started({
        "dataset": ds.name, "source": ds.source, "classes": ds.class_names,
        "train": n_fit, "validation": n_val, "test": len(x_test),
        "batches": batches, "epochs": config.epochs, "initial_epoch": initial_epoch,
        "parameters": int(model.count_params()),
    })
    warm_up(model, x_test if len(x_test) else x_train)
    settle_garbage()
    callback = _make_callback(model, config, observer, stop_event, probe, batches,
                              (x_eval, y_eval, evaluated_on), seed_kernel,
                              GradientProbe(model, x_train, y_train))
    stopped = stop_event.is_set()
    if not stopped:
        model.fit(x_train, y_train, batch_size=config.batch_size,
                  epochs=initial_epoch + config.epochs, initial_epoch=initial_epoch,
                  verbose=0, callbacks=[callback], shuffle=True)
        stopped = stop_event.is_set()
    history = callback.history()
    epochs_done = initial_epoch + len(callback.epoch_logs)
    point = callback.stop_point() if stopped else None
    reached = config.schedule_start if point is None else schedule_fraction(
        config, point.epoch - initial_epoch, point.batch, batches)
    test_accuracy = None
    if not stopped and len(x_test):
        probs = probabilities(model, x_test, stop_event)
        if probs is not None:
            test_accuracy = float((np.argmax(probs, axis=1) == y_test).mean())
    return_free_memory()
    return TrainingResult(model, history, epochs_done, stopped, test_accuracy, point,
                          1.0 if not stopped else reached, callback.trained)
