"""Helpers the window tests share: wait for the workspace's result, compare captured states."""

import numpy as np
from PySide6.QtWidgets import QApplication


def settle(qtbot, window, timeout=20000):
    """Process events until the workspace shows the result of its latest edit."""
    QApplication.processEvents()
    qtbot.waitUntil(lambda: window.model.idle, timeout=timeout)
    QApplication.processEvents()


def press(qtbot, widget, key, times=1):
    """Press ``key`` on ``widget`` ``times`` times, then let the views follow."""
    for _ in range(times):
        qtbot.keyClick(widget, key)
    QApplication.processEvents()


def assert_same_state(a, b):
    """Assert two captured state dicts are equal (arrays exactly), naming a key that differs."""
    assert a.keys() == b.keys()
    for k in a:
        if isinstance(a[k], np.ndarray):
            np.testing.assert_array_equal(a[k], b[k], err_msg=k)
        else:
            assert a[k] == b[k], k
