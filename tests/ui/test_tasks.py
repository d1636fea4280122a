"""The one way to run background work: outcomes on the GUI thread, cancel, one registry."""

import threading

import pytest

from convstudio.ui import tasks


def test_a_task_delivers_its_result_on_the_gui_thread(qtbot):
    seen = []
    task = tasks.run_task(lambda a, b: (a + b, threading.current_thread()), 2, 3)
    task.succeeded.connect(lambda r: seen.append((r, threading.current_thread())))
    with qtbot.waitSignal(task.ended, timeout=5000):
        pass
    ((value, worker), gui) = seen[0]
    assert value == 5 and worker is not threading.main_thread()
    assert gui is threading.main_thread() and not task.running


def test_a_failure_is_delivered_as_the_exception(qtbot):
    task = tasks.run_task(lambda: 1 / 0, name="divide")
    with qtbot.waitSignal(task.failed, timeout=5000) as blocker:
        pass
    assert isinstance(blocker.args[0], ZeroDivisionError) and task.name == "divide"


def test_a_cancelled_task_delivers_nothing_and_the_registry_knows_it_runs(qtbot):
    release = threading.Event()
    task = tasks.run_task(release.wait, 5)
    outcomes = []
    task.succeeded.connect(outcomes.append)
    task.failed.connect(outcomes.append)
    assert task in tasks.running_tasks() and task.running
    task.cancel()
    assert task.cancelled and task in tasks.running_tasks()  # the work itself goes on
    release.set()
    with qtbot.waitSignal(task.ended, timeout=5000):
        pass
    assert outcomes == [] and task not in tasks.running_tasks()


def test_wait_for_tasks_cancels_and_waits(qtbot):
    release = threading.Event()
    task = tasks.run_task(release.wait, 5)
    assert not tasks.wait_for_tasks(50)  # still running
    release.set()
    assert tasks.wait_for_tasks(5000)
    assert task.cancelled and tasks.running_tasks() == []


@pytest.mark.parametrize("n", [12])
def test_many_tasks_all_end(qtbot, n):
    results = []
    for i in range(n):
        tasks.run_task(lambda v: v * v, i).succeeded.connect(results.append)
    qtbot.waitUntil(lambda: len(results) == n, timeout=10000)
    assert sorted(results) == [i * i for i in range(n)]


def test_a_task_whose_owner_is_destroyed_ends_quietly(qtbot):
    # A dataset still loading when its window is destroyed: the task (a child of the model) is
    # gone when the work returns; that raised "Signal source has been deleted" on the worker.
    from PySide6.QtCore import QObject
    from shiboken6 import delete

    owner = QObject()
    release, errors = threading.Event(), []
    old_hook = threading.excepthook
    threading.excepthook = lambda args: errors.append(args.exc_value)
    try:
        task = tasks.run_task(release.wait, 5, parent=owner)
        delete(owner)
        release.set()
        qtbot.waitUntil(lambda: task not in tasks.running_tasks(), timeout=5000)
    finally:
        threading.excepthook = old_hook
    assert errors == [] and tasks.running_tasks() == []
