"""Running a trained model: the 4-D batch, feature maps, probabilities, the confusion matrix.

No Qt. Keras is imported when a function needs it (see ``backend.load_keras``).
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from .backend import load_keras
from .events import Evaluation
from .models import output_classes

PREDICT_BATCH = 256


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


class FeatureProbe:
    """Feature maps after each conv (ReLU) and pool layer, and the class probabilities."""

    def __init__(self, model: Any) -> None:
        keras = load_keras()
        kinds = (keras.layers.Conv2D, keras.layers.MaxPooling2D, keras.layers.AveragePooling2D)
        self.names = [layer.name for layer in model.layers if isinstance(layer, kinds)]
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
        return np.zeros((0, output_classes(model)), np.float32)
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


def evaluate(model: Any, x: np.ndarray, y: np.ndarray, evaluated_on: str,
             stop_event: threading.Event | None = None) -> Evaluation | None:
    """Confusion matrix, mistakes, loss and accuracy on ``x`` (None if ``stop_event`` is set)."""
    n_classes = output_classes(model)
    probs = probabilities(model, x, stop_event)
    if probs is None or not len(probs):
        return None
    pred = np.argmax(probs, axis=1)
    confusion = np.zeros((n_classes, n_classes), np.int64)
    np.add.at(confusion, (y, pred), 1)
    wrong = np.nonzero(pred != y)[0][:64]
    p_true = np.clip(probs[np.arange(len(probs)), y], 1e-7, 1.0)
    return Evaluation(confusion, x[wrong, :, :, 0].copy(),
                      tuple((int(y[i]), int(pred[i])) for i in wrong), evaluated_on,
                      float(-np.log(p_true).mean()), float((pred == y).mean()))
