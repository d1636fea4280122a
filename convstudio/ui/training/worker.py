"""Run ``training.session.train`` on a QThread and hand its reports to the GUI thread.

The recipe of ARCHITECTURE.md: a QObject worker moved to a QThread (started → run, finished →
quit, deleteLater both); stopping is a threading.Event the Keras callback reads after each batch,
never a queued slot (the worker's event loop is busy inside ``fit``).
"""

from __future__ import annotations

import os
import threading
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from ...training.datasets import Dataset
from ...training.session import (
    BatchEvent,
    EpochEvent,
    Snapshot,
    TrainingConfig,
    collect_before_run,
)

BACKGROUND_NICE = 10


def yield_cpu_to_gui() -> None:
    """Give every thread but the GUI thread a lower CPU priority (Linux; best effort).

    TensorFlow keeps both cores of a classroom laptop busy; at equal priority the GUI thread
    waited its turn and a repaint took 50-60 ms. Threads TensorFlow starts later inherit the
    niceness of the thread that starts them, and threads it already started (a Keras comparison
    in the Workspace) are lowered here too. Niceness only rises, so calling this again is
    harmless. Training is as fast as before whenever the GUI is idle.
    """
    main = threading.main_thread().native_id
    try:
        tids = [int(t) for t in os.listdir("/proc/self/task")]
    except OSError:
        return
    for tid in tids:
        if tid == main:
            continue
        try:
            if os.getpriority(os.PRIO_PROCESS, tid) < BACKGROUND_NICE:
                os.setpriority(os.PRIO_PROCESS, tid, BACKGROUND_NICE)
        except OSError:  # the thread ended meanwhile, or no permission
            pass


class TrainingWorker(QObject):
    """Calls train() once; its observer methods emit signals (queued to the GUI thread)."""

    runStarted = Signal(object)
    batchEnded = Signal(object)
    epochEnded = Signal(object)
    snapshotTaken = Signal(object)
    runFinished = Signal(object)   # TrainingResult
    evaluated = Signal(object)     # Evaluation, or None when stopped
    runFailed = Signal(str)
    done = Signal()

    def __init__(self, config: TrainingConfig, dataset: Dataset | None, model: Any,
                 initial_epoch: int, stop_event: threading.Event, recycle: Any = None) -> None:
        super().__init__()
        self.config, self.dataset, self.model = config, dataset, model
        self.initial_epoch, self.stop_event = initial_epoch, stop_event
        self.recycle = recycle

    # Observer protocol (called on the worker thread).
    def on_started(self, info: dict[str, Any]) -> None:
        """Forward the run's facts."""
        self.runStarted.emit(info)

    def on_batch(self, event: BatchEvent) -> None:
        """Forward running metrics."""
        self.batchEnded.emit(event)

    def on_epoch(self, event: EpochEvent) -> None:
        """Forward a finished epoch."""
        self.epochEnded.emit(event)

    def on_snapshot(self, snapshot: Snapshot) -> None:
        """Forward filters and feature maps (already copies)."""
        self.snapshotTaken.emit(snapshot)

    def work(self) -> None:
        """Build, compile and fit (or resume); report the result."""
        from ...training.session import train

        result = train(self.config, self, self.stop_event, dataset=self.dataset,
                       model=self.model, initial_epoch=self.initial_epoch,
                       recycle=self.recycle)
        self.runFinished.emit(result)

    @Slot()
    def run(self) -> None:
        """Do the work in this thread; report a failure as a message, then say done."""
        yield_cpu_to_gui()
        try:
            self.work()
        except Exception as exc:  # noqa: BLE001 (anything Keras raises becomes a message)
            self.runFailed.emit(f"{type(exc).__name__}: {exc}")
        finally:
            self.recycle = None
            self.done.emit()


class EvaluationWorker(TrainingWorker):
    """Evaluates a model on images (after a Stop, a Load) on the training thread."""

    def __init__(self, model: Any, images: tuple[np.ndarray, np.ndarray, str],
                 stop_event: threading.Event, tag: object) -> None:
        super().__init__(TrainingConfig(), None, model, 0, stop_event)
        self.images, self.tag = images, tag

    def work(self) -> None:
        """Compute the confusion matrix and the mistakes; (tag, None) if stopped first."""
        from ...training.session import evaluate

        x, y, evaluated_on = self.images
        self.evaluated.emit((self.tag, evaluate(self.model, x, y, evaluated_on,
                                                self.stop_event)))


# Threads that would not stop in time at close (stuck in TensorFlow's import, which cannot be
# interrupted): kept referenced so Qt never destroys a running QThread; app.main exits hard.
_ORPHANS: set[QThread] = set()


class _Relay(QObject):
    """Lives on the GUI thread; re-emits the worker's reports there.

    The worker's signals reach these @Slot methods by queued connections (this object
    belongs to the GUI thread), so whatever listens to the relay runs on the GUI thread too,
    be it a bound method, a lambda or a plain function.
    """

    runStarted = Signal(object)
    batchEnded = Signal(object)
    epochEnded = Signal(object)
    snapshotTaken = Signal(object)
    runFinished = Signal(object)
    evaluated = Signal(object)
    runFailed = Signal(str)

    @Slot(object)
    def started(self, info: object) -> None:
        """Relay the run's facts."""
        self.runStarted.emit(info)

    @Slot(object)
    def batch(self, event: object) -> None:
        """Relay running metrics."""
        self.batchEnded.emit(event)

    @Slot(object)
    def epoch(self, event: object) -> None:
        """Relay a finished epoch."""
        self.epochEnded.emit(event)

    @Slot(object)
    def snapshot(self, snap: object) -> None:
        """Relay a snapshot."""
        self.snapshotTaken.emit(snap)

    @Slot(object)
    def finished(self, result: object) -> None:
        """Relay the result."""
        self.runFinished.emit(result)

    @Slot(object)
    def evaluation(self, ev: object) -> None:
        """Relay an evaluation."""
        self.evaluated.emit(ev)

    @Slot(str)
    def failed(self, text: str) -> None:
        """Relay a failure message."""
        self.runFailed.emit(text)


class TrainingRunner(QObject):
    """Owns at most one worker thread; start, stop, and a clean shutdown on close.

    Listen to :attr:`relay`'s signals: they arrive on the GUI thread; so does ``threadEnded``,
    once a run's or an evaluation's thread has ended and :attr:`running` is false again.
    """

    threadEnded = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.qthread: QThread | None = None
        self.worker: TrainingWorker | None = None
        self.stop_event = threading.Event()
        self.relay = _Relay(self)

    @property
    def running(self) -> bool:
        """Whether a run is under way: from :meth:`start` until its thread's end is handled.

        Not ``QThread.isRunning()``: that turns false before the queued ``finished`` reaches
        the GUI thread, and a run started in between had its thread dropped by the old run's
        late ``finished`` ("QThread: Destroyed while thread is still running", found by the
        start/stop soak).
        """
        return self.qthread is not None

    def start(self, config: TrainingConfig, dataset: Dataset | None, model: Any,
              initial_epoch: int, recycle: Any = None) -> TrainingWorker:
        """Prepare a run; :meth:`launch` starts it (``recycle``: see ``session.train``)."""
        collect_before_run()  # on this (GUI) thread: never a collection on the worker's
        self.stop_event = threading.Event()
        return self._prepare(TrainingWorker(config, dataset, model, initial_epoch,
                                            self.stop_event, recycle))

    def evaluate(self, model: Any, images: tuple[np.ndarray, np.ndarray, str],
                 tag: object = None) -> TrainingWorker:
        """Prepare an evaluation (relay's ``evaluated``: (tag, result)); :meth:`launch` it."""
        self.stop_event = threading.Event()
        return self._prepare(EvaluationWorker(model, images, self.stop_event, tag))

    @property
    def evaluating(self) -> bool:
        """Whether the thread under way evaluates a model (rather than training one)."""
        return isinstance(self.worker, EvaluationWorker)

    def cancel_evaluation(self, timeout_ms: int = 10000) -> bool:
        """End an evaluation now (it stops after its current batch of images); wait for it.

        Its result, if any arrives, carries its tag: the caller ignores what is stale.
        """
        thread = self.qthread
        if thread is None or not self.evaluating:
            return thread is None
        self.stop_event.set()
        thread.quit()
        if not thread.wait(timeout_ms):
            return False
        self._on_thread_finished()
        return True

    def _prepare(self, worker: TrainingWorker) -> TrainingWorker:
        if self.running:
            raise RuntimeError("a training run is already going")
        thread = QThread()
        thread.setObjectName("training")
        worker.moveToThread(thread)
        queued = Qt.ConnectionType.QueuedConnection
        relay = self.relay
        worker.runStarted.connect(relay.started, queued)
        worker.batchEnded.connect(relay.batch, queued)
        worker.epochEnded.connect(relay.epoch, queued)
        worker.snapshotTaken.connect(relay.snapshot, queued)
        worker.runFinished.connect(relay.finished, queued)
        worker.evaluated.connect(relay.evaluation, queued)
        worker.runFailed.connect(relay.failed, queued)
        thread.started.connect(worker.run)
        worker.done.connect(thread.quit)
        thread.finished.connect(self._on_thread_finished)
        self.qthread, self.worker = thread, worker
        return worker

    def launch(self) -> None:
        """Start the thread of the worker returned by :meth:`start`."""
        assert self.qthread is not None
        self.qthread.start()

    @Slot()
    def _on_thread_finished(self) -> None:
        if self.qthread is None or not self.qthread.isFinished():
            return  # a late signal from a thread already released by shutdown()
        if self.worker is not None:
            self.worker.deleteLater()
        if self.qthread is not None:
            self.qthread.deleteLater()
        self.qthread, self.worker = None, None
        self.threadEnded.emit()

    def stop(self) -> None:
        """Ask the run to end after the current batch (weights kept)."""
        self.stop_event.set()

    def shutdown(self, timeout_ms: int = 2000) -> bool:
        """Stop and wait for the thread (window close); return whether it ended in time."""
        self.stop_event.set()
        thread = self.qthread
        if thread is None:
            return True
        thread.quit()
        ended = bool(thread.wait(timeout_ms))
        if ended:
            self._on_thread_finished()
        else:
            _ORPHANS.add(thread)
            thread.finished.connect(lambda t=thread: _ORPHANS.discard(t))
            self.qthread, self.worker = None, None
        return ended


def orphaned_threads() -> int:
    """How many training threads outlived their window (see ``_ORPHANS``)."""
    return sum(1 for t in _ORPHANS if t.isRunning())
