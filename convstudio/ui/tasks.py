"""The one way to run background work: one-shot tasks on worker threads, outcomes on the GUI.

``run_task(fn, *args)`` runs ``fn(*args)`` on a thread of this module's pool and returns a
:class:`Task` whose past-tense signals arrive on the GUI thread: ``succeeded(result)`` or
``failed(exception)``, then ``ended()``. ``Task.cancel()`` drops an outcome not yet delivered
(the work itself cannot be interrupted: a NumPy call or a TensorFlow import runs to its end),
so a cancelled task never shows a stale result. Every task not yet ended is in one registry:
the window's close waits for them (:func:`wait_for_tasks`) and the app's exit checks it
(:func:`running_tasks`).

Training is not a task: it is a long run with progress, stop and a thread of its own
(``ui/training/worker.py``). superqt's ``create_worker`` (napari's recipe) was weighed for
this and not taken: each of its workers replaces ``warnings.showwarning`` process-wide from
its own thread for the length of the run (two tasks and the GUI thread then race on the
warnings machinery), it still emits ``errored`` after ``quit()``, and it runs on the global
pool that any library may fill; what we need is this page, without two more dependencies.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

MAX_THREADS = 4

_pool: QThreadPool | None = None
_collector: object | None = None
_running: set[Task] = set()
_lock = threading.Lock()


def collect_garbage_on_gui_thread() -> None:
    """Run Python's cyclic garbage collection on the GUI thread only, on a timer.

    Left automatic, a collection can start on whichever thread allocates: a task's worker
    thread, the training thread. Collecting a cycle that holds the last reference to a
    widget's wrapper then deletes that widget off the GUI thread while the GUI thread walks
    the widget list (seen: a segmentation fault in ``QApplication.allWidgets()`` during a
    projection toggle). pyqtgraph's collector disables the automatic one and collects from a
    GUI-thread timer; called once, by the main window and by the first task.
    """
    global _collector
    if _collector is None:
        from pyqtgraph.util.garbage_collector import GarbageCollector

        _collector = GarbageCollector(interval=0.5)


def _thread_pool() -> QThreadPool:
    global _pool
    if _pool is None:
        _pool = QThreadPool()
        _pool.setMaxThreadCount(MAX_THREADS)
        _pool.setExpiryTimeout(2000)  # idle threads go soon: nothing lingers at exit
    return _pool


class Task(QObject):
    """One piece of background work; its signals arrive on the thread that made it."""

    succeeded = Signal(object)  # the function's result
    failed = Signal(object)  # the exception it raised
    ended = Signal()  # after succeeded/failed, or once a cancelled task's work has returned
    _delivered = Signal(object, object)  # (result, exception), emitted on the worker thread

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self._cancelled = False
        self._returned = False  # set on the worker thread the moment the work returns
        self._delivered.connect(self._on_delivered)

    @property
    def cancelled(self) -> bool:
        """Whether :meth:`cancel` was called."""
        return self._cancelled

    @property
    def running(self) -> bool:
        """Whether the work has not yet returned (a cancelled task may still be running)."""
        return not self._returned

    def cancel(self) -> None:
        """Drop the outcome: neither ``succeeded`` nor ``failed`` will be emitted."""
        self._cancelled = True

    @Slot(object, object)
    def _on_delivered(self, result: object, error: object) -> None:
        with _lock:
            _running.discard(self)
        if not self._cancelled:
            if error is None:
                self.succeeded.emit(result)
            else:
                self.failed.emit(error)
        self.ended.emit()


class _Runnable(QRunnable):
    def __init__(self, task: Task, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        super().__init__()
        self._task, self._fn, self._args = task, fn, args

    def run(self) -> None:
        result: object = None
        error: BaseException | None = None
        try:
            result = self._fn(*self._args)
        except Exception as exc:  # any failure becomes the task's outcome, never a crash
            error = exc
        self._task._returned = True
        try:
            self._task._delivered.emit(result, error)
        except RuntimeError:  # the task's owner (and with it the task) was destroyed meanwhile
            with _lock:
                _running.discard(self._task)


def run_task(fn: Callable[..., Any], *args: Any, name: str = "",
             parent: QObject | None = None) -> Task:
    """Start ``fn(*args)`` on a worker thread and return its :class:`Task`.

    Connect to the task's signals right after this call: outcomes are delivered through the
    event loop, never before the caller returns to it.
    """
    collect_garbage_on_gui_thread()
    task = Task(name or getattr(fn, "__name__", "task"), parent)
    with _lock:
        _running.add(task)
    runnable = _Runnable(task, fn, args)
    runnable.setAutoDelete(True)
    _thread_pool().start(runnable)
    return task


def running_tasks() -> list[Task]:
    """Return the tasks whose work has not yet returned."""
    with _lock:
        return [t for t in _running if not t._returned]


def wait_for_tasks(ms: int) -> bool:
    """Cancel every task and wait up to ``ms`` for their work to return; True if all did."""
    for task in running_tasks():
        task.cancel()
    return _thread_pool().waitForDone(ms)
