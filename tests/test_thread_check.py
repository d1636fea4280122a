"""The suite's own guard: a test that leaves a thread running fails."""

from pathlib import Path

pytest_plugins = ["pytester"]

LEAKS = '''
import threading, time

def test_python_thread():
    stop = threading.Event()
    threading.Thread(target=stop.wait, args=(8,), name="left-behind").start()

def test_qthread(qapp):
    from PySide6.QtCore import QThread

    class Busy(QThread):
        def run(self):
            time.sleep(8)

    global KEEP
    KEEP = Busy()
    KEEP.start()

def test_clean():
    t = threading.Thread(target=time.sleep, args=(0.05,))
    t.start()
'''


def test_a_thread_left_running_fails_its_test(pytester):
    pytester.makeconftest((Path(__file__).parent / "conftest.py").read_text())
    pytester.makepyfile(test_leaks=LEAKS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:timeout",
                                           timeout=120)
    result.assert_outcomes(passed=3, errors=2)  # the leaks fail in their teardown
    result.stdout.fnmatch_lines(["*the test left threads running: left-behind*",
                                 "*the test left threads running: QThread*"])
