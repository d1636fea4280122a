"""“Compare with Keras”: the same weights through the mode's Keras layer, as a background task."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QDeadlineTimer, QObject, QThread, Signal

from ...core.pipeline import PipelineParams
from ..tasks import Task, run_task

# Sums of a few hundred float32 products, added in another order, agree to this fraction of
# the largest value; a larger difference is a real one.
FLOAT32_AGREEMENT = 1e-5


KERAS_LAYERS = {"standard": "Conv2D", "transposed": "Conv2DTranspose",
                "depthwise": "DepthwiseConv2D", "separable": "SeparableConv2D"}


def keras_conv(image: np.ndarray, kernel: np.ndarray, params: PipelineParams) -> np.ndarray:
    """Run the mode's Keras layer holding exactly ``kernel`` and the bias; return its output.

    The weights are the ones the workspace's mode uses (core/pipeline_family.py): one filter,
    the kernel on every channel, a depthwise multiplier of copies, a pointwise 1×1 of ones.
    """
    from ...training.backend import load_keras  # lazy: TensorFlow takes seconds to import

    keras = load_keras()  # quietly, and without holding the GIL while its libraries load

    x = image if image.ndim == 3 else image[:, :, None]
    c = x.shape[2]
    k3 = kernel.reshape(kernel.shape[0], kernel.shape[1], c).astype(np.float32)
    if not isinstance(params.padding, str) or params.padding == "full":
        raise ValueError(f"Keras {KERAS_LAYERS[params.family]} only has 'valid' and 'same' "
                         "padding; choose one of those to compare")
    if params.family in ("depthwise", "separable") and params.stride[0] != params.stride[1]:
        raise ValueError(f"TensorFlow's {KERAS_LAYERS[params.family]} takes only equal strides "
                         "on both axes; choose one to compare")
    common = {"strides": params.stride, "padding": params.padding,
              "dilation_rate": params.dilation}
    bias = np.float32(params.bias)
    m = params.depth_multiplier
    depth = np.repeat(k3[..., None], m, axis=3)
    if params.family == "transposed":
        dh, dw = params.dilation
        if (dh, dw) != (1, 1):
            # TensorFlow's CPU Conv2DTranspose has no dilation: the same layer is the undilated
            # one with zeros between the kernel's taps (the span and output size are the same).
            spread = np.zeros(((k3.shape[0] - 1) * dh + 1, (k3.shape[1] - 1) * dw + 1, c),
                              np.float32)
            spread[::dh, ::dw] = k3
            k3, common["dilation_rate"] = spread, (1, 1)
        layer = keras.layers.Conv2DTranspose(1, k3.shape[:2], output_padding=params.output_padding,
                                             **common)
        weights = [k3[:, :, None, :], np.array([bias])]
    elif params.family == "depthwise":
        layer = keras.layers.DepthwiseConv2D(k3.shape[:2], depth_multiplier=m, **common)
        weights = [depth, np.full(c * m, bias)]
    elif params.family == "separable":
        layer = keras.layers.SeparableConv2D(1, k3.shape[:2], depth_multiplier=m, **common)
        weights = [depth, np.ones((1, 1, c * m, 1), np.float32), np.array([bias])]
    else:
        layer = keras.layers.Conv2D(1, k3.shape[:2], **common)
        weights = [k3[..., None], np.array([bias])]
    layer.build((1, *x.shape))
    layer.set_weights(weights)
    out = np.asarray(layer(x[None].astype(np.float32)))[0]
    if params.family != "depthwise":
        out = out[:, :, 0]
    if params.activation == "relu":
        out = np.maximum(out, 0.0)
    return out


class KerasComparison(QObject):
    """Runs at most one comparison at a time as a background task."""

    finished = Signal(object)  # ndarray, or the exception

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._task: Task | None = None

    @property
    def running(self) -> bool:
        """Whether a comparison is in flight."""
        return self._task is not None

    def start(self, image: np.ndarray, kernel: np.ndarray, params: PipelineParams) -> None:
        """Begin a comparison; ignored while one is running."""
        if self._task is not None:
            return
        self._task = run_task(keras_conv, image.copy(), kernel.copy(), params,
                              name="Keras comparison")
        self._task.succeeded.connect(self._on_done)
        self._task.failed.connect(self._on_done)  # any TensorFlow failure becomes a message

    def _on_done(self, outcome: object) -> None:
        self._task = None
        self.finished.emit(outcome)

    def wait(self, ms: int = 500) -> bool:
        """Drop a running comparison (window close); True if its work has returned.

        A comparison still inside TensorFlow (its import cannot be interrupted) stays in the
        task registry; ``app.main`` then exits at once instead of waiting for it.
        """
        if self._task is None:
            return True
        task, self._task = self._task, None
        task.cancel()
        deadline = QDeadlineTimer(ms)
        while task.running and not deadline.hasExpired():
            QThread.msleep(10)
        return not task.running
