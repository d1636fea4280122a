"""Running a trained model: the 4-D batch, feature maps, probabilities, the confusion matrix.

:func:`second_conv` gives the animator a second conv layer and the maps it receives.

No Qt. Keras is imported when a function needs it (see ``backend.load_keras``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
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


@dataclass(frozen=True)
class SecondConv:
    """A trained network's second Conv2D and the maps it receives for one image (NumPy only).

    ``maps`` is that layer's very input: the first conv's maps after its activation and
    whatever lies between the two (a 2×2 max pooling in the Training tab's network).
    """

    maps: np.ndarray                 # (H, W, C) float32
    kernel: np.ndarray               # (kh, kw, C, F) float32, Keras' layout
    bias: np.ndarray                 # (F,) float32
    stride: tuple[int, int]
    padding: str                     # "valid" or "same"
    dilation: tuple[int, int]
    activation: str                  # the layer's own activation, e.g. "relu"
    first: str                       # the first conv layer's name
    name: str                        # this layer's name
    between: tuple[str, ...]         # the layers from the first conv to this one, e.g. pool1
    first_activation: str = "relu"   # the first conv layer's activation

    @property
    def receives(self) -> str:
        """Say what the maps are: "conv1's maps after its ReLU and pool1"."""
        steps = [] if self.first_activation == "linear" else [
            f"its {'ReLU' if self.first_activation == 'relu' else self.first_activation}"]
        steps += list(self.between)
        after = f" after {' and '.join(steps)}" if steps else ""
        return f"{self.first}'s maps{after}"


def second_conv(model: Any, image: np.ndarray) -> SecondConv:
    """Return ``model``'s second Conv2D (weights, bias, geometry) and its input for ``image``.

    ``image``: one 28×28 image (uint8, or float in [0, 1]), as :func:`prepare_images` takes.

    Raises
    ------
    ValueError
        If the model has no second Conv2D, or one the animator cannot step (grouped,
        channels-first, causal padding); the message says what it has.
    """
    keras = load_keras()
    convs = [layer for layer in model.layers if type(layer).__name__ == "Conv2D"]
    if len(convs) < 2:
        raise ValueError(f"the network has {len(convs)} Conv2D layer(s): train or load one "
                         "with at least two conv blocks")
    first, conv = convs[0], convs[1]
    config = conv.get_config()
    padding = str(config.get("padding", "valid")).lower()
    if (int(config.get("groups", 1)) != 1 or config.get("data_format") == "channels_first"
            or padding not in ("valid", "same")):
        raise ValueError(f"its layer {conv.name} is a grouped, channels-first or causal "
                         "conv, which the animator does not step")
    weights = conv.get_weights()
    kernel = np.asarray(weights[0], np.float32)
    bias = (np.asarray(weights[1], np.float32) if len(weights) > 1
            else np.zeros(kernel.shape[3], np.float32))
    probe = keras.Model(model.inputs[0], conv.input)
    maps = np.asarray(probe(prepare_images(image), training=False))[0].astype(np.float32)
    names = [layer.name for layer in model.layers]
    between = tuple(names[names.index(first.name) + 1:names.index(conv.name)])
    activation = config.get("activation", "linear")
    return SecondConv(maps, kernel, bias, _pair(config.get("strides", 1)), padding,
                      _pair(config.get("dilation_rate", 1)), str(activation), first.name,
                      conv.name, between, str(first.get_config().get("activation", "linear")))


def _pair(value: Any) -> tuple[int, int]:
    if isinstance(value, int):
        return value, value
    h, w = value
    return int(h), int(w)
