"""How a network learns, measured while it trains: update sizes and filter gradients. No Qt.

Two measurements the Training tab draws beside the filters (issue 19):

* :class:`UpdateMeter` — the relative size of one optimizer step for each layer,
  ‖ΔW‖ / ‖W‖ of its kernel, from the weights read before and after the batch. It is what the
  optimizer did, whichever optimizer it is (Adam's step is not the gradient times the rate),
  and reading two copies of the kernels every few batches costs far less than the batch.
* :class:`GradientProbe` — ∂loss/∂W of the first conv layer's filters, computed with a
  ``GradientTape`` on a fixed batch of training images (the same images each time, dropout
  off), at the snapshots' pace. Keras does not hand a callback the batch it trained on, and
  |ΔW| / rate equals the gradient only for plain SGD, so the gradient is computed, on a batch
  of its own, and the tab says which.
"""

from __future__ import annotations

from typing import Any

import numpy as np

GRADIENT_IMAGES = 32  # the probe batch: as large as the lessons' batches


def kernel_layers(model: Any) -> list[Any]:
    """Return the layers with a kernel (conv and dense), input first."""
    return [layer for layer in model.layers if getattr(layer, "kernel", None) is not None]


def update_ratio(before: np.ndarray, after: np.ndarray) -> float:
    """Return ‖after − before‖ / ‖before‖ (Frobenius norms; 0 for a zero kernel).

    The squares are summed in float64 by NumPy's own loops, not BLAS: while TensorFlow's
    threads keep the cores busy, OpenBLAS' ``nrm2`` took 20 ms for the lessons' model where
    these sums take 2 ms.
    """
    size = float(np.square(before, dtype=np.float64).sum())
    if size == 0.0:
        return 0.0
    step = np.subtract(after, before, dtype=np.float64)
    return float(np.sqrt(np.square(step).sum() / size))


class UpdateMeter:
    """Reads every kernel before a batch and gives each layer's ‖ΔW‖/‖W‖ after it."""

    def __init__(self, model: Any) -> None:
        self.layers = kernel_layers(model)
        self._before: list[np.ndarray] | None = None

    def before(self) -> None:
        """Copy the kernels now (the batch about to be trained is measured)."""
        self._before = [np.array(layer.kernel.numpy()) for layer in self.layers]

    def ratios(self) -> tuple[tuple[str, float], ...]:
        """Return (layer name, ‖ΔW‖/‖W‖) since :meth:`before`; empty if it was not called."""
        if self._before is None:
            return ()
        before, self._before = self._before, None
        return tuple((layer.name, update_ratio(b, layer.kernel.numpy()))
                     for layer, b in zip(self.layers, before, strict=True))


class GradientProbe:
    """∂loss/∂W of the first conv layer's filters on a fixed batch of images."""

    def __init__(self, model: Any, x: np.ndarray, y: np.ndarray) -> None:
        from .backend import load_keras
        from .models import first_conv

        keras = load_keras()
        self.model = model
        self.x = np.asarray(x[:GRADIENT_IMAGES], np.float32)
        self.y = np.asarray(y[:GRADIENT_IMAGES])
        self.kernel = first_conv(model).kernel
        # The loss every model here is compiled with (models.compile_model), mean over images.
        self.loss = keras.losses.SparseCategoricalCrossentropy()
        self._step: Any = None

    def __call__(self) -> np.ndarray:
        """Return the gradient, shaped like the kernel (kh, kw, channels, filters)."""
        if self._step is None:
            import tensorflow as tf

            # Traced once: run eagerly the forward and backward pass cost the lessons' model
            # 130 ms a snapshot, a traced one about a training batch's time.
            @tf.function
            def step(x: Any, y: Any) -> Any:
                with tf.GradientTape() as tape:
                    loss = self.loss(y, self.model(x, training=False))
                return tape.gradient(loss, self.kernel.value)

            self._step = step
        return np.array(self._step(self.x, self.y))
