"""Issue 17: one undo stack for the workspace: parameters, images, lessons and kernel edits."""

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit

from .window_state import settle


def _state(model):
    """What an undo step restores; the image as the array object and its values."""
    return {"rgb": model.rgb, "pixels": model.rgb.copy(), "name": model.source_name,
            "original": model._original[0], "channel": model.channel,
            "kernel": model.kernel.entries.copy(), "use_weight": model.kernel.use_weight,
            "params": model.params, "display": model.display_mode,
            "selection": model.selection}


def _assert_state(model, want):
    got = _state(model)
    assert got["rgb"] is want["rgb"] and got["original"] is want["original"]
    for key in ("pixels", "kernel"):
        np.testing.assert_array_equal(got[key], want[key], err_msg=key)
    for key in ("name", "channel", "use_weight", "params", "display", "selection"):
        assert got[key] == want[key], key


def _undo_redo(window, qtbot, before, text):
    """Undo with Ctrl+Z and redo with Ctrl+Shift+Z: each lands exactly on its state."""
    model = window.model
    after = _state(model)
    assert window.undo_action.text().replace("&", "") == f"Undo {text}"
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    settle(qtbot, window)
    _assert_state(model, before)
    assert window.redo_action.text().replace("&", "") == f"Redo {text}"
    qtbot.keyClick(window, Qt.Key.Key_Z,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    settle(qtbot, window)
    _assert_state(model, after)
    return after


def _type_into_box(qtbot, box, text):
    box.setFocus()
    box.lineEdit().selectAll()
    qtbot.keyClicks(box, text)
    qtbot.keyClick(box, Qt.Key.Key_Return)


def test_a_stride_change_undoes_and_redoes_with_its_name(window, qtbot):
    ws, model = window.workspace, window.model
    settle(qtbot, window)
    before = _state(model)
    _type_into_box(qtbot, ws.params_panel.stride_h, "2")
    settle(qtbot, window)
    assert model.params.stride == (2, 1) and ws.output_panel.data.shape == (255, 510)
    _undo_redo(window, qtbot, before, "stride change")
    assert ws.kernel_editor.undo_button.toolTip() == "Undo stride change (Ctrl+Z)"
    window.undo_action.trigger()
    settle(qtbot, window)
    assert ws.params_panel.stride_h.value() == 1 and ws.output_panel.data.shape == (510, 510)


def test_family_padding_and_display_changes_each_undo_in_turn(window, qtbot):
    ws, model = window.workspace, window.model
    panel = ws.params_panel
    states = [_state(model)]
    panel.family.setCurrentText("transposed")
    settle(qtbot, window)
    states.append(_undo_redo(window, qtbot, states[-1], "conv family change"))
    panel.padding.setCurrentText("same")
    settle(qtbot, window)
    states.append(_undo_redo(window, qtbot, states[-1], "padding change"))
    panel.display.setCurrentText("clipped")
    states.append(_undo_redo(window, qtbot, states[-1], "display change"))
    ws.kernel_editor.bias.setValue(3.0)
    settle(qtbot, window)
    _undo_redo(window, qtbot, states[-1], "bias change")
    for want in reversed(states):
        window.undo_action.trigger()
        settle(qtbot, window)
        if want is not states[0]:
            window.undo_action.trigger()
            window.redo_action.trigger()
    settle(qtbot, window)
    _assert_state(model, states[0])
    assert panel.family.currentText() == "standard" and panel.display.currentText() == "signed"
    assert not window.undo_action.isEnabled()


def _type_into_cell(qtbot, table, row, col, text):
    table.setFocus()
    table.setCurrentCell(row, col)
    editors = [w for w in table.findChildren(QLineEdit) if w.isVisible()]
    if not editors:
        table.editItem(table.item(row, col))
        editors = [w for w in table.findChildren(QLineEdit) if w.isVisible()]
    (line,) = editors
    line.selectAll()
    qtbot.keyClicks(line, text)
    qtbot.keyClick(line, Qt.Key.Key_Return)


def test_kernel_edits_and_presets_are_steps_of_the_same_stack(window, qtbot):
    ws, model = window.workspace, window.model
    before = _state(model)
    _type_into_cell(qtbot, ws.kernel_editor.table, 0, 0, "7")
    settle(qtbot, window)
    assert model.kernel.entries[0, 0] == 7
    after_cell = _undo_redo(window, qtbot, before, "set cell (1,1) to 7")
    model.apply_preset("box_blur")  # the kernel and the display, one step
    settle(qtbot, window)
    assert model.display_mode == "clipped"
    _undo_redo(window, qtbot, after_cell, "preset Box blur")
    window.undo_action.trigger()
    window.undo_action.trigger()
    settle(qtbot, window)
    _assert_state(model, before)
    assert ws.kernel_editor.table.item(0, 0).text() == "-1"


def test_opening_cropping_resizing_and_the_channel_undo_to_the_image_before(
        window, qtbot, tmp_path):
    ws, model = window.workspace, window.model
    path = tmp_path / "stripes.png"
    Image.fromarray(np.tile(np.arange(0, 250, 5, dtype=np.uint8), (40, 1))).save(path)
    camera = _state(model)
    assert ws.open_path(path)
    settle(qtbot, window)
    assert model.source.shape == (40, 50)
    opened = _undo_redo(window, qtbot, camera, "open image stripes.png")
    model.set_selection((5, 10, 20, 30))
    selected = _state(model)
    ws.crop_to_selection()
    settle(qtbot, window)
    assert model.source.shape == (20, 30) and model.selection is None
    cropped = _undo_redo(window, qtbot, selected, "crop")
    _type_into_box(qtbot, ws.resize_w, "60")
    _type_into_box(qtbot, ws.resize_h, "10")
    qtbot.mouseClick(ws.resize_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window)
    assert model.source.shape == (10, 60)
    resized = _undo_redo(window, qtbot, cropped, "resize to 60×10")
    ws.channel.setCurrentText("all")
    settle(qtbot, window)
    assert model.source.shape == (10, 60, 3)
    _undo_redo(window, qtbot, resized, "channel change")
    ws.restore_button.click()
    settle(qtbot, window)
    assert model.rgb is opened["rgb"]
    for want in (resized, cropped, selected):  # restore, channel, resize, crop undone
        window.undo_action.trigger()
        if want is resized:
            window.undo_action.trigger()
        settle(qtbot, window)
        _assert_state(model, want)
    assert ws.roi.isVisible()  # the selection the crop used is back with its image
    window.undo_action.trigger()
    settle(qtbot, window)
    _assert_state(model, camera)
    np.testing.assert_array_equal(ws.input_panel.data, model.source)


@pytest.mark.parametrize("key", ["line-filters", "strides-padding"])
def test_opening_a_lesson_undoes_to_the_state_before(window, qtbot, key):
    ws, model = window.workspace, window.model
    model.set_params(padding="same", family="depthwise", depth_multiplier=2)
    model.set_channel("G")
    model.set_selection((3, 4, 50, 60))
    settle(qtbot, window)
    before = _state(model)
    conv = ws.output_panel.data.copy()
    assert window.open_builtin(key)
    settle(qtbot, window)
    title = window.lesson_panel.title
    lesson = _undo_redo(window, qtbot, before, f"lesson {title}")
    assert lesson["params"] != before["params"]
    window.undo_action.trigger()
    settle(qtbot, window)
    _assert_state(model, before)
    np.testing.assert_array_equal(ws.output_panel.data, conv)
    assert ws.params_panel.family.currentText() == "depthwise"
    QApplication.processEvents()
    assert ws.params_panel.depth_multiplier.value() == 2


def test_ctrl_z_in_a_number_box_undoes_the_workspace(window, qtbot):
    ws, model = window.workspace, window.model
    box = ws.params_panel.stride_h
    _type_into_box(qtbot, box, "3")
    settle(qtbot, window)
    assert model.params.stride == (3, 1) and QApplication.focusWidget() is box
    qtbot.keyClick(box, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    settle(qtbot, window)
    assert model.params.stride == (1, 1) and box.value() == 1
    qtbot.keyClick(box, Qt.Key.Key_Z,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    settle(qtbot, window)
    assert model.params.stride == (3, 1) and box.text() == "3"
