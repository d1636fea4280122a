"""“Compare with Keras”: run the same weights through keras.layers.Conv2D off the GUI thread."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, QThread, Signal, Slot

from ...core.pipeline import PipelineParams


def keras_conv(image: np.ndarray, kernel: np.ndarray, params: PipelineParams) -> np.ndarray:
    """Run a Keras ``Conv2D`` holding exactly ``kernel`` and the bias; return its output."""
    import keras  # lazy: TensorFlow takes seconds to import

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


class _Job(QObject):
    done = Signal(object)

    def __init__(self, image: np.ndarray, kernel: np.ndarray, params: PipelineParams) -> None:
        super().__init__()
        self._args = (image, kernel, params)

    @Slot()
    def run(self) -> None:
        try:
            self.done.emit(keras_conv(*self._args))
        except Exception as exc:  # any TensorFlow failure becomes a message, not a crash
            self.done.emit(exc)


class KerasComparison(QObject):
    """Starts at most one comparison at a time on its own QThread."""

    started = Signal()
    finished = Signal(object)  # ndarray, or the exception

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: QThread | None = None
        self._job: _Job | None = None

    @property
    def running(self) -> bool:
        """Whether a comparison is in flight."""
        return self._thread is not None

    def start(self, image: np.ndarray, kernel: np.ndarray, params: PipelineParams) -> None:
        """Begin a comparison; ignored while one is running."""
        if self._thread is not None:
            return
        thread = QThread()
        job = _Job(image.copy(), kernel.copy(), params)
        job.moveToThread(thread)
        thread.started.connect(job.run)
        job.done.connect(self._on_done)
        thread.finished.connect(thread.deleteLater)
        self._thread, self._job = thread, job
        thread.start()
        self.started.emit()

    @Slot(object)
    def _on_done(self, outcome: object) -> None:
        if self._thread is not None:
            # Quit here, not via a queued connection: this slot runs on the GUI thread and a
            # queued quit() would only arrive after the wait() below — a deadlock.
            self._thread.quit()
            self._thread.wait()
        self._thread, self._job = None, None
        self.finished.emit(outcome)

    def wait(self, ms: int = 500) -> bool:
        """Wait briefly for a running comparison (window close); True if none is left.

        A comparison still inside TensorFlow (its import cannot be interrupted) is kept
        referenced, so Qt never destroys a running QThread; ``app.main`` then exits at once.
        """
        if self._thread is None:
            return True
        self._thread.quit()
        if self._thread.wait(ms):
            return True
        _ORPHANS.append((self._thread, self._job))
        return False


_ORPHANS: list[object] = []


def orphaned_comparisons() -> int:
    """Comparisons abandoned at close that are still running."""
    return len(_ORPHANS)
