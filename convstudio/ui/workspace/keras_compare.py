"""“Compare with Keras”: run the same weights through keras.layers.Conv2D as a background task."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QDeadlineTimer, QObject, QThread, Signal

from ...core.pipeline import PipelineParams
from ..tasks import Task, run_task

# Sums of a few hundred float32 products, added in another order, agree to this fraction of
# the largest value; a larger difference is a real one.
FLOAT32_AGREEMENT = 1e-5


def keras_conv(image: np.ndarray, kernel: np.ndarray, params: PipelineParams) -> np.ndarray:
    """Run a Keras ``Conv2D`` holding exactly ``kernel`` and the bias; return its output."""
    from ...training.backend import load_keras  # lazy: TensorFlow takes seconds to import

    keras = load_keras()  # quietly, and without holding the GIL while its libraries load

    x = image if image.ndim == 3 else image[:, :, None]
    k = kernel.reshape(kernel.shape[0], kernel.shape[1], x.shape[2], 1).astype(np.float32)
    if not isinstance(params.padding, str) or params.padding == "full":
        raise ValueError("Keras Conv2D only has 'valid' and 'same' padding; choose one of those "
                         "to compare")
    layer = keras.layers.Conv2D(1, k.shape[:2], strides=params.stride, padding=params.padding,
                                dilation_rate=params.dilation)
    layer.build((1, *x.shape))
    layer.set_weights([k, np.array([params.bias], dtype=np.float32)])
    out = np.asarray(layer(x[None].astype(np.float32)))[0, :, :, 0]
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
