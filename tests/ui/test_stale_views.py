"""A view shows the current state or nothing: no verdict, message or read-out about an old one."""

import threading

import numpy as np
from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QApplication

from convstudio.core import conv2d
from convstudio.ui.workspace import keras_compare


def _settle(qtbot, model):
    QApplication.processEvents()
    qtbot.waitUntil(lambda: model.idle, timeout=10000)
    QApplication.processEvents()


def _numpy_conv(image, kernel, params):
    # Stands in for keras.layers.Conv2D: the comparison's bookkeeping, not TensorFlow, is tested
    # here (tests/ui/test_workspace.py runs the real comparison).
    return conv2d(image, kernel, stride=params.stride, padding=params.padding,
                  dilation=params.dilation, bias=params.bias)


def _compare(qtbot, ws):
    with qtbot.waitSignal(ws.keras.finished, timeout=10000):
        ws.compare_with_keras()


def test_the_keras_verdict_goes_when_the_shapes_change(window, qtbot, monkeypatch):
    monkeypatch.setattr(keras_compare, "keras_conv", _numpy_conv)
    ws, model = window.workspace, window.model
    _settle(qtbot, model)
    _compare(qtbot, ws)
    assert "the same numbers" in ws.compare_label.text()
    model.set_params(stride=(2, 1))
    _settle(qtbot, model)
    assert ws.compare_label.text() == ""


def test_a_failed_comparison_message_goes_after_a_success_and_after_a_lesson(
        window, qtbot, monkeypatch):
    ws, model = window.workspace, window.model
    _settle(qtbot, model)

    def broken(*args):
        raise RuntimeError("no TensorFlow here")

    monkeypatch.setattr(keras_compare, "keras_conv", broken)
    _compare(qtbot, ws)
    assert "Keras comparison failed" in ws.error_label.text()
    monkeypatch.setattr(keras_compare, "keras_conv", _numpy_conv)
    _compare(qtbot, ws)
    assert ws.error_label.text() == "" and "the same numbers" in ws.compare_label.text()
    monkeypatch.setattr(keras_compare, "keras_conv", broken)
    _compare(qtbot, ws)
    assert "Keras comparison failed" in ws.error_label.text()
    assert window.open_builtin("strides-padding")
    _settle(qtbot, model)
    assert ws.error_label.text() == "" and ws.compare_label.text() == ""


def test_a_kernel_edit_during_the_comparison_gives_no_verdict(window, qtbot, monkeypatch):
    ws, model = window.workspace, window.model
    _settle(qtbot, model)
    release = threading.Event()

    def slow(*args):
        release.wait(10)
        return _numpy_conv(*args)

    monkeypatch.setattr(keras_compare, "keras_conv", slow)
    ws.compare_with_keras()
    model.set_kernel(np.ones((3, 3), np.float32))  # same shapes, other numbers
    _settle(qtbot, model)
    with qtbot.waitSignal(ws.keras.finished, timeout=10000):
        release.set()
    assert "compare again" in ws.compare_label.text()
    assert "the same numbers" not in ws.compare_label.text()


def test_the_hover_read_out_follows_a_kernel_edit_under_a_still_pointer(window, qtbot):
    ws, model = window.workspace, window.model
    _settle(qtbot, model)
    panel = ws.output_panel
    r, c = 40, 50
    # Each panel shows its image in its own pixels: pixel (r, c) spans [c, c+1) × [r, r+1).
    scene = panel.view.mapViewToScene(QPointF(c + 0.5, r + 0.5))
    panel._on_mouse_moved(scene)
    before = model.result.conv[r, c]
    assert panel.readout.text() == f"x {c}, y {r}: {float(before):.4g}"
    model.set_kernel(model.kernel.entries * 3 + 1)
    _settle(qtbot, model)
    after = model.result.conv[r, c]
    assert after != before
    assert panel.readout.text() == f"x {c}, y {r}: {float(after):.4g}"
    panel.leaveEvent(None)
    assert panel.readout.text().strip() == ""
