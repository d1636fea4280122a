"""Shared test setup: Qt offscreen before any Qt import, and a hypothesis profile for CI."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from hypothesis import settings  # noqa: E402

# No deadline: a shared 2-core machine makes per-example timing meaningless.
settings.register_profile("default", deadline=None, print_blob=True)
settings.load_profile("default")


import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path):
    """Every test gets its own QSettings (recent files, preferences, the saved session)."""
    try:
        from PySide6.QtCore import QSettings
    except ImportError:  # pragma: no cover
        yield
        return
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path))
    yield
    import sys

    theme = sys.modules.get("convstudio.ui.theme")
    if theme is not None and theme._PRESENTATION is not None:
        theme._PRESENTATION.reset()  # projection, zoom and theme are application-wide


_STARTED_QTHREADS: list = []


def _record_qthread_starts():
    """Wrap QThread.start so the leak check below knows every QThread a test started."""
    try:
        from PySide6.QtCore import QThread
    except ImportError:  # pragma: no cover
        return
    if getattr(QThread.start, "_recorded", False):
        return
    original = QThread.start

    def start(self, *args, **kwargs):
        _STARTED_QTHREADS.append(self)
        return original(self, *args, **kwargs)

    start._recorded = True
    QThread.start = start


def _running_qthreads():
    import shiboken6

    alive = [t for t in _STARTED_QTHREADS if shiboken6.isValid(t)]
    _STARTED_QTHREADS[:] = alive
    return [t for t in alive if t.isRunning()]


@pytest.fixture(autouse=True)
def _no_thread_left_running():
    """A test that leaves a QThread or a non-daemon thread running fails (after a grace period).

    Such a thread outlives its window: at exit Qt aborts with "QThread: Destroyed while thread
    is still running", and a Python thread keeps the process from ending.
    """
    import sys
    import threading
    import time

    _record_qthread_starts()
    before = {t.ident for t in threading.enumerate()}
    _running_qthreads()  # forget the finished ones
    earlier = set(map(id, _STARTED_QTHREADS))
    yield
    deadline = time.monotonic() + 5.0
    while True:
        threads = [t for t in threading.enumerate() if t.ident not in before and t.is_alive()
                   and not t.daemon and t is not threading.current_thread()]
        qthreads = [t for t in _running_qthreads() if id(t) not in earlier]
        task_module = sys.modules.get("convstudio.ui.tasks")
        pending = task_module.running_tasks() if task_module is not None else []
        if not threads and not qthreads and not pending:
            return
        if time.monotonic() > deadline:
            break
        try:
            from PySide6.QtCore import QCoreApplication

            if QCoreApplication.instance() is not None:
                QCoreApplication.processEvents()
        except ImportError:  # pragma: no cover
            pass
        time.sleep(0.02)
    names = ([t.name for t in threads] + [f"QThread {t.objectName() or t!r}" for t in qthreads]
             + [f"task {t.name}" for t in pending])
    pytest.fail(f"the test left threads running: {', '.join(names)}")
