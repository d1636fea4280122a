import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QLineEdit

from convstudio.app import _start_state, build_parser
from convstudio.core import conv2d, get_preset, max_pool2d
from convstudio.ui.workspace import WorkspaceModel


def _settle(qtbot, model):
    QApplication.processEvents()
    qtbot.waitUntil(lambda: model.idle, timeout=10000)
    QApplication.processEvents()


def _type_into_cell(qtbot, editor, row, col, text):
    table = editor.table
    table.setFocus()
    table.setCurrentCell(row, col)  # AllEditTriggers: moving to a cell may open its editor

    def visible_editors():
        return [w for w in table.findChildren(QLineEdit) if w.isVisible()]

    if not visible_editors():
        table.editItem(table.item(row, col))
    (line,) = visible_editors()
    line.selectAll()
    qtbot.keyClick(line, Qt.Key.Key_Backspace)
    qtbot.keyClicks(line, text)
    qtbot.keyClick(line, Qt.Key.Key_Return)


def test_typing_a_cell_changes_output_pixels_to_core_conv2d(window, qtbot):
    ws, model = window.workspace, window.model
    _type_into_cell(qtbot, ws.kernel_editor, 1, 1, "5")
    _settle(qtbot, model)
    expected_kernel = get_preset("sobel_x").array.copy()
    expected_kernel[1, 1] = 5
    np.testing.assert_array_equal(model.kernel.entries, expected_kernel)
    assert ws.kernel_editor.table.item(1, 1).text() == "5"
    # entries now sum to 5, so the weight 1/5 applies
    expected = conv2d(model.source, expected_kernel / 5)
    np.testing.assert_allclose(ws.output_panel.data, expected, rtol=1e-6, atol=1e-4)
    # what the view shows is that array on symmetric levels: -max|x| → 0, 0 → 127.5, max → 255
    lo, hi = ws.output_panel.colorbar.levels()
    assert lo == pytest.approx(-np.abs(expected).max(), rel=1e-5) and hi == -lo
    shown = ws.output_panel.item.image
    assert shown.dtype == np.uint8 and shown.shape == expected.shape
    want = np.clip(np.rint((expected - lo) * 255 / (hi - lo)), 0, 255)
    assert np.abs(shown.astype(int) - want).max() <= 1
    np.testing.assert_allclose(ws.pooled_panel.data, max_pool2d(expected), rtol=1e-6, atol=1e-4)


@pytest.mark.parametrize("text", ["abc", "", "nan", "inf", "1/0", "1e999", "2e7", "9" * 400])
def test_invalid_cell_text_reverts_with_a_message(window, qtbot, text):
    ws, model = window.workspace, window.model
    before = model.kernel.entries.copy()
    _type_into_cell(qtbot, ws.kernel_editor, 0, 0, text)
    _settle(qtbot, model)
    np.testing.assert_array_equal(model.kernel.entries, before)
    assert ws.kernel_editor.table.item(0, 0).text() == "-1"
    assert "Kernel cell (1,1)" in ws.error_label.text()
    assert "Kernel cell (1,1)" in window.statusBar().currentMessage()


def test_fraction_typed_in_a_cell(window, qtbot):
    _type_into_cell(qtbot, window.workspace.kernel_editor, 0, 0, "1/4")
    _settle(qtbot, window.model)
    assert window.model.kernel.entries[0, 0] == pytest.approx(0.25)


def test_presets_set_entries_and_weight(window, qtbot):
    ws, model = window.workspace, window.model
    combo = ws.kernel_editor.presets
    combo.setCurrentIndex(combo.findData("box_blur"))
    combo.activated.emit(combo.currentIndex())
    _settle(qtbot, model)
    np.testing.assert_array_equal(model.kernel.entries, np.ones((3, 3)))
    assert "Apply weight 1/9 (entries sum to 9)" == ws.kernel_editor.use_weight.text()
    np.testing.assert_allclose(ws.output_panel.data, conv2d(model.source, np.ones((3, 3)) / 9),
                               rtol=1e-5, atol=1e-3)
    ws.kernel_editor.use_weight.setChecked(False)
    _settle(qtbot, model)
    np.testing.assert_allclose(ws.output_panel.data, conv2d(model.source, np.ones((3, 3))),
                               rtol=1e-5, atol=1e-3)


def test_undo_redo_every_kernel_change(window, qtbot):
    model, editor = window.model, window.workspace.kernel_editor
    original = model.kernel.entries.copy()
    editor.buttons["Transpose"].click()
    np.testing.assert_array_equal(model.kernel.entries, original.T)
    _type_into_cell(qtbot, editor, 0, 0, "7")
    _settle(qtbot, model)
    editor.rows.setValue(5)
    assert model.kernel.entries.shape == (5, 3)
    assert model.kernel.entries[1, 0] == 7  # kept centred
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    _settle(qtbot, model)
    assert model.kernel.entries.shape == (3, 3) and editor.rows.value() == 3
    window.undo_action.trigger()
    np.testing.assert_array_equal(model.kernel.entries, original.T)
    window.undo_action.trigger()
    np.testing.assert_array_equal(model.kernel.entries, original)
    _settle(qtbot, model)
    assert editor.table.item(0, 2).text() == "1"
    qtbot.keyClick(window, Qt.Key.Key_Z,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    np.testing.assert_array_equal(model.kernel.entries, original.T)


def test_flip_shows_convolution_not_correlation(window, qtbot):
    model = window.model
    window.workspace.kernel_editor.buttons["Flip 180°"].click()
    np.testing.assert_array_equal(model.kernel.entries, get_preset("sobel_x").array[::-1, ::-1])


def test_banner_for_the_lesson_stride_and_same_padding(window, qtbot):
    ws, model, params = window.workspace, window.model, window.workspace.params_panel
    params.stride_h.setValue(2)
    _settle(qtbot, model)
    assert ws.banner.text() == ("input 512×512 ⊛ 3×3 kernel, stride (2,1), valid → 255×510 → "
                                "max-pool 2×2 → 127×255")
    assert ws.output_panel.data.shape == (255, 510)
    assert ws.connections.text() == ("each output pixel sees 9 inputs; a dense layer would see "
                                     "262,144")
    params.stride_h.setValue(1)
    params.padding.setCurrentText("same")
    _settle(qtbot, model)
    assert ws.banner.text().startswith("input 512×512 ⊛ 3×3 kernel, stride (1,1), same → 512×512")
    assert ws.output_panel.data.shape == (512, 512)
    params.pool.setCurrentText("none")
    params.activation.setCurrentText("relu")
    _settle(qtbot, model)
    assert ws.banner.text().endswith("same → 512×512 → ReLU")
    assert not ws.pooled_panel.isVisible()
    assert ws.output_panel.data.min() == 0.0


def test_kernel_larger_than_image_keeps_last_result(window, qtbot):
    ws, model = window.workspace, window.model
    ws.load_sample("glyph")
    _settle(qtbot, model)
    good = ws.output_panel.data.copy()
    ws.params_panel.dil_h.setValue(8)
    ws.params_panel.dil_w.setValue(8)
    model.set_kernel(np.ones((7, 7)))
    _settle(qtbot, model)
    assert "larger than the padded input 28x28" in ws.error_label.text()
    np.testing.assert_array_equal(ws.output_panel.data, good)
    ws.params_panel.dil_h.setValue(1)
    ws.params_panel.dil_w.setValue(1)
    _settle(qtbot, model)
    assert ws.error_label.text() == ""
    assert ws.output_panel.data.shape == (22, 22)


def test_drag_and_drop_a_file(window, qtbot, tmp_path):
    path = tmp_path / "drop.png"
    Image.fromarray(np.full((40, 60), 200, np.uint8)).save(path)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    ws = window.workspace
    args = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier)
    enter = QDragEnterEvent(QPoint(10, 10), *args)
    QApplication.sendEvent(ws, enter)
    assert enter.isAccepted()  # Qt only delivers the drop to a widget that accepted the drag
    QApplication.sendEvent(ws, QDropEvent(QPointF(10, 10), *args))
    _settle(qtbot, window.model)
    assert window.model.source.shape == (40, 60)
    assert window.model.source[0, 0] == pytest.approx(200, abs=1e-3)
    assert ws.input_panel.data.shape == (40, 60)
    assert ws.output_panel.data.shape == (38, 58)


@pytest.mark.parametrize("content", [b"", b"not a png at all", b"\x89PNG\r\n\x1a\n\x00\x00"])
def test_corrupt_file_message_keeps_image(window, qtbot, tmp_path, content):
    path = tmp_path / "broken.png"
    path.write_bytes(content)
    before = window.model.source.copy()
    assert window.workspace.open_path(path) is False
    assert "Could not open" in window.workspace.error_label.text()
    assert "unchanged" in window.statusBar().currentMessage()
    np.testing.assert_array_equal(window.model.source, before)


def test_huge_image_offers_downscale(window, qtbot, tmp_path, monkeypatch):
    path = tmp_path / "wide.png"
    Image.new("L", (5000, 100), 30).save(path)
    ws = window.workspace
    monkeypatch.setattr(ws, "confirm_downscale", lambda w, h: False)
    assert ws.open_path(path) is False
    assert window.model.source.shape == (512, 512)
    monkeypatch.setattr(ws, "confirm_downscale", lambda w, h: True)
    assert ws.open_path(path) is True
    assert window.model.source.shape == (41, 2048)


def test_export_png_and_npy(window, qtbot, tmp_path):
    ws = window.workspace
    written = ws.export_to(str(tmp_path / "out.npy"))
    np.testing.assert_array_equal(np.load(written), window.model.result.conv)
    png = ws.export_to(str(tmp_path / "out.png"))
    with Image.open(png) as im:
        assert im.size == (510, 510) and im.mode == "RGB"


def test_channels_all_uses_a_three_channel_kernel(window, qtbot):
    ws, model = window.workspace, window.model
    ws.load_sample("astronaut")
    ws.channel.setCurrentText("all")
    _settle(qtbot, model)
    assert model.effective_kernel.shape == (3, 3, 3)
    assert "512×512×3 ⊛ 3×3×3 kernel" in ws.banner.text()
    np.testing.assert_allclose(ws.output_panel.data, conv2d(model.rgb, model.effective_kernel),
                               rtol=1e-5, atol=1e-3)
    ws.channel.setCurrentText("G")
    _settle(qtbot, model)
    np.testing.assert_array_equal(model.source, model.rgb[..., 1])


def test_newest_edit_wins_when_edits_pile_up(qtbot):
    model = WorkspaceModel()
    for v in range(1, 30):
        model.set_entry(0, 0, float(v))
    qtbot.waitUntil(lambda: model.idle, timeout=10000)
    np.testing.assert_array_equal(model.result.conv, conv2d(model.source, model.kernel.effective))
    assert model.kernel.entries[0, 0] == 29
    model.shutdown()


def test_command_line_start_state(qtbot):
    model = WorkspaceModel()
    args = build_parser().parse_args(["--image", "glyph", "--kernel", "laplacian",
                                      "--stride", "2,1", "--padding", "same", "--pool", "avg"])
    assert _start_state(model, args) is None
    model.compute_now()
    assert model.source.shape == (28, 28)
    assert model.result.banner == ("input 28×28 ⊛ 3×3 kernel, stride (2,1), same → 14×28 → "
                                   "avg-pool 2×2 → 7×14")
    bad = build_parser().parse_args(["--kernel", "nope"])
    assert "unknown" in _start_state(model, bad)
    model.shutdown()


@pytest.mark.slow
def test_compare_with_keras_difference_is_tiny(window, qtbot):
    ws = window.workspace
    ws.params_panel.stride_h.setValue(2)
    _settle(qtbot, window.model)
    with qtbot.waitSignal(ws.keras.finished, timeout=120000):
        ws.compare_button.click()
        assert not ws.compare_button.isEnabled() and not ws.busy.isHidden()
    assert ws.compare_button.isEnabled()
    scale = float(np.abs(window.model.result.conv).max())
    assert ws.last_keras_difference < 1e-5 * scale
    assert "max |ours − Keras|" in ws.compare_label.text()


def test_drag_a_region_then_crop_and_restore(window, qtbot):
    ws, model = window.workspace, window.model
    original = model.source.copy()
    qtbot.mouseClick(ws.select_button, Qt.MouseButton.LeftButton)
    assert ws.roi.isVisible() and model.selection is not None
    # What a drag of the rectangle does: move and resize the ROI item in input coordinates.
    ws.roi.setPos((100, 40))
    ws.roi.setSize((64, 32))
    assert model.selection == (40, 100, 32, 64)
    qtbot.mouseClick(ws.crop_button, Qt.MouseButton.LeftButton)
    _settle(qtbot, model)
    np.testing.assert_array_equal(model.source, original[40:72, 100:164])
    assert ws.input_panel.data.shape == (32, 64)
    np.testing.assert_allclose(ws.output_panel.data, conv2d(model.source, model.effective_kernel),
                               rtol=1e-5, atol=1e-3)
    assert not ws.roi.isVisible() and model.selection is None
    assert "crop 64×32" in model.source_name
    qtbot.mouseClick(ws.restore_button, Qt.MouseButton.LeftButton)
    _settle(qtbot, model)
    np.testing.assert_array_equal(model.source, original)
    assert not ws.restore_button.isEnabled()


def test_crop_without_a_region_says_so(window, qtbot):
    ws, model = window.workspace, window.model
    before = model.source.copy()
    ws.crop_to_selection()
    assert "Select a region first" in ws.error_label.text()
    np.testing.assert_array_equal(model.source, before)
    with pytest.raises(ValueError, match="empty"):
        model.set_selection((600, 600, 4, 4))


def test_resize_source(window, qtbot):
    ws, model = window.workspace, window.model
    assert (ws.resize_w.value(), ws.resize_h.value()) == (512, 512)
    ws.resize_w.setValue(128)
    ws.resize_h.setValue(64)
    qtbot.mouseClick(ws.resize_button, Qt.MouseButton.LeftButton)
    _settle(qtbot, model)
    assert model.source.shape == (64, 128)
    assert ws.output_panel.data.shape == (62, 126)
    # Area averaging: each output pixel is the mean of a 8×4 block of the original.
    rgb = window.model._original[0]
    block = rgb[:8, :4].mean(axis=(0, 1)) @ np.array([0.299, 0.587, 0.114], np.float32)
    assert model.source[0, 0] == pytest.approx(block, rel=1e-4)


def test_recent_files_menu_reopens_a_file(window, qtbot, tmp_path):
    first, second = tmp_path / "a.png", tmp_path / "b.png"
    Image.fromarray(np.full((20, 30), 10, np.uint8)).save(first)
    Image.fromarray(np.full((25, 35), 90, np.uint8)).save(second)
    ws = window.workspace
    assert ws.open_path(first) and ws.open_path(second)
    window._fill_recent_menu()
    texts = [a.text() for a in window.recent_menu.actions()]
    assert texts[:2] == [f"&1 {second}", f"&2 {first}"]
    window.recent_menu.actions()[1].trigger()
    _settle(qtbot, window.model)
    assert window.model.source.shape == (20, 30)
    first.unlink()  # a.png, now the newest entry, vanishes from the disk
    window._fill_recent_menu()
    assert window.recent_menu.actions()[0].text() == f"&1 {first}"
    window.recent_menu.actions()[0].trigger()
    assert "Could not open" in ws.error_label.text()
    assert window.model.source.shape == (20, 30)


def test_images_stay_whole_fitted_and_at_their_true_relative_sizes(window, qtbot):
    ws, m = window.workspace, window.model
    m.set_params(stride=(2, 1))  # output 255×510: half as tall as the input on screen
    m.compute_now()
    panels = (ws.input_panel, ws.output_panel, ws.pooled_panel)

    def on_screen(p):
        return p.item.sceneBoundingRect()  # the image's rectangle in screen pixels

    def whole_fitted_true_sizes():
        QApplication.processEvents()
        for p in panels:
            if not p.view.sceneBoundingRect().adjusted(-1, -1, 1, 1).contains(on_screen(p)):
                return False  # cropped
        # One screen size per pixel in every panel: a true picture of what stride and
        # pooling do to the size.
        scales = [on_screen(p).width() / p.data.shape[1] for p in panels]
        heights = [on_screen(p).height() / p.data.shape[0] for p in panels]
        if max(scales + heights) - min(scales + heights) > 0.02 * max(scales):
            return False
        # …and the images fill the room: one of them spans its view along one axis.
        return max(max(on_screen(p).width() / p.view.width(),
                       on_screen(p).height() / p.view.height()) for p in panels) > 0.9

    for size in ((1400, 900), (1900, 1000), (1024, 700)):
        window.resize(*size)
        qtbot.waitUntil(whole_fitted_true_sizes, timeout=3000)
    out, pooled, inp = (on_screen(p) for p in (ws.output_panel, ws.pooled_panel, ws.input_panel))
    assert out.height() == pytest.approx(inp.height() * 255 / 512, rel=0.02)
    assert pooled.width() * pooled.height() == pytest.approx(
        out.width() * out.height() / 4, rel=0.03)


def test_typing_into_a_selected_cell_replaces_its_value(window, qtbot):
    ed, model = window.workspace.kernel_editor, window.model
    table = ed.table
    table.setFocus()
    rect = table.visualItemRect(table.item(1, 1))
    left = QPoint(rect.left() + 3, rect.center().y())
    assert table.item(1, 1).text() == "0"
    # Click the cell, then click it again where a cursor would land before its "0".
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=left)
    for line in [w for w in table.findChildren(QLineEdit) if w.isVisible()]:
        qtbot.mouseClick(line, Qt.MouseButton.LeftButton, pos=QPoint(1, line.height() // 2))
    target = QApplication.focusWidget()
    qtbot.keyClicks(target, "1")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    _settle(qtbot, model)
    assert model.kernel.entries[1, 1] == 1.0
    qtbot.keyClick(table, Qt.Key.Key_Right)  # arrows move the selection, not a text cursor
    assert table.currentColumn() == 2
    qtbot.keyClicks(table, "7")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    _settle(qtbot, model)
    assert model.kernel.entries[1, 2] == 7.0


def _type_into_box(qtbot, box, text):
    box.setFocus()
    box.lineEdit().selectAll()
    qtbot.keyClicks(box, text)
    qtbot.keyClick(box, Qt.Key.Key_Return)


def test_kernel_size_box_states_its_range_and_refuses_15(window, qtbot):
    ws, model = window.workspace, window.model
    ed = ws.kernel_editor
    before = model.kernel.entries.copy()
    assert "1…7" in ed.rows.toolTip()
    _type_into_box(qtbot, ed.rows, "15")
    _settle(qtbot, model)
    np.testing.assert_array_equal(model.kernel.entries, before)
    assert "15 is outside 1…7" in ws.error_label.text()
    assert ed.rows.value() == 3
    _type_into_box(qtbot, ed.rows, "5")
    _settle(qtbot, model)
    assert model.kernel.entries.shape == (5, 3)


@pytest.mark.parametrize("text", ["1,5", "1.5"])
def test_bias_and_stride_boxes_read_one_decimal_rule(window, qtbot, text):
    ws, model = window.workspace, window.model
    _type_into_box(qtbot, ws.kernel_editor.bias, text)
    _settle(qtbot, model)
    assert model.params.bias == 1.5
    _type_into_box(qtbot, ws.kernel_editor.bias, "1e5")
    assert model.params.bias == 1.5 and "outside -1000…1000" in ws.error_label.text()
    _type_into_box(qtbot, ws.params_panel.stride_h, "40")
    _settle(qtbot, model)
    assert model.params.stride == (1, 1) and "Stride (rows): 40 is outside 1…16" in (
        ws.error_label.text())


def test_a_large_photo_named_on_the_command_line_is_offered_the_downscale(
        window, qtbot, tmp_path, monkeypatch):
    from convstudio.app import _open_start_image

    path = tmp_path / "big.png"
    Image.new("L", (5000, 100), 30).save(path)
    asked = []
    monkeypatch.setattr(window.workspace, "confirm_downscale",
                        lambda w, h: asked.append((w, h)) or True)
    args = build_parser().parse_args([str(path)])
    args.image = args.file  # as main() does for a file that is not a lesson
    model = window.model
    assert _start_state(model, args) is None  # the file is the window's to open
    assert _open_start_image(window, args) is True
    assert asked == [(5000, 100)] and model.source.shape == (41, 2048)
    assert str(path) in window.workspace.recent_files()


def test_a_file_name_that_is_not_utf8_reopens_from_the_recent_menu(window, qtbot, tmp_path):
    import os

    raw = os.path.join(os.fsencode(tmp_path), b"caf\xe9.png")  # Latin-1, not UTF-8
    Image.new("L", (12, 10), 200).save(raw)
    path = os.fsdecode(raw)
    assert window.workspace.open_path(path)
    window.model.set_source(np.zeros((5, 5), np.float32), "blank")
    window._fill_recent_menu()
    first = window.recent_menu.actions()[0]
    assert first.text() == f"&1 {os.fsdecode(os.fsencode(tmp_path))}/caf\ufffd.png"
    first.trigger()
    assert window.model.source.shape == (10, 12)
    assert window.workspace.recent_files()[0] == path


def test_the_model_refuses_parameters_the_boxes_cannot_show(window, qtbot):
    from convstudio.core import limits

    model = window.model
    before = model.params
    for change in ({"stride": (100, 1)}, {"bias": 1e5}, {"dilation": (1, 9)},
                   {"pool_size": (9, 2)}, {"padding": (17, 0)}):
        with pytest.raises(ValueError, match=r"must be"):
            model.set_params(**change)
        assert model.params == before
    ws = window.workspace
    assert (ws.params_panel.stride_h.minimum(), ws.params_panel.stride_h.maximum()) == tuple(
        limits.STRIDE)
    assert ws.kernel_editor.rows.maximum() == limits.MAX_KERNEL_SIDE
    assert ws.kernel_editor.bias.maximum() == limits.BIAS.hi
    args = build_parser().parse_args(["--stride", "100,1"])
    assert "stride must be 1…16" in _start_state(model, args)


def test_set_state_applies_a_whole_state_with_one_recomputation(qtbot):
    from convstudio.core.pipeline import PipelineParams

    model = WorkspaceModel()
    model.compute_now()
    runs = []
    model.resultChanged.connect(runs.append)
    before = (model.source.copy(), model.kernel.entries.copy(), model.params, model.channel)
    params = PipelineParams(stride=(2, 1), padding="same", pool="avg")
    with pytest.raises(ValueError, match="stride"):
        model.set_state(image01=np.zeros((40, 30), np.float32), name="blank", channel="R",
                        kernel=np.ones((3, 3)), use_weight=False,
                        params=PipelineParams(stride=(20, 1)), selection=None, display="signed")
    with pytest.raises(ValueError, match="selection"):
        model.set_state(image01=np.zeros((40, 30), np.float32), name="blank", channel="R",
                        kernel=np.ones((3, 3)), use_weight=False, params=params,
                        selection=(50, 0, 4, 4), display="signed")
    for bad in (np.zeros((10, 10, 2), np.float32), np.zeros((0, 10), np.float32),
                np.full((5, 5), np.nan, np.float32), np.full((5, 5), 2.0, np.float32)):
        with pytest.raises(ValueError, match="image"):
            model.set_state(image01=bad, name="bad", channel="R", kernel=np.ones((3, 3)),
                            use_weight=False, params=params, selection=None, display="signed")
    np.testing.assert_array_equal(model.source, before[0])
    np.testing.assert_array_equal(model.kernel.entries, before[1])
    assert (model.params, model.channel, model.source_name) == (*before[2:], "camera")
    model.set_state(image01=np.full((40, 30), 0.5, np.float32), name="grey", channel="R",
                    kernel=np.ones((3, 3)), use_weight=False, params=params,
                    selection=(2, 3, 10, 12), display="clipped")
    qtbot.waitUntil(lambda: model.idle, timeout=10000)
    QApplication.processEvents()
    assert len(runs) == 1
    assert runs[0].conv.shape == (20, 30) and model.selection == (2, 3, 10, 12)
    assert model.undo_stack.count() == 1 and model.display_mode == "clipped"
    model.shutdown()


def test_a_bad_flag_beside_an_image_file_keeps_its_message_and_the_result_is_the_files(
        tmp_path, qtbot):
    import os
    import subprocess
    import sys

    path = tmp_path / "flat.png"
    Image.new("L", (64, 48), 10).save(path)
    probe = ("import sys; from convstudio import app; "
             "from convstudio.ui import main_window as mw; seen = {}; "
             "orig = app._screenshot\n"
             "def shot(a, w, p, s):\n"
             "    seen['shape'] = w.model.result.conv.shape\n"
             "    seen['msg'] = w.workspace.error_label.text()\n"
             "    return orig(a, w, p, s)\n"
             "app._screenshot = shot\n"
             f"code = app.main([{str(path)!r}, '--stride', '100', '--screenshot', "
             f"{str(tmp_path / 'out.png')!r}, '--size', '1400x900'])\n"
             "print(seen)")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path),
           "XDG_CONFIG_HOME": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "'shape': (46, 62)" in proc.stdout, proc.stdout
    assert "stride must be 1…16" in proc.stdout


def test_a_zoom_in_one_panel_shows_the_same_place_in_the_others(window, qtbot):
    from convstudio.ui.workspace.views import window_geometry

    ws, m = window.workspace, window.model
    m.set_params(stride=(2, 1))
    m.compute_now()
    QApplication.processEvents()
    inp, out = ws.input_panel, ws.output_panel
    inp.view.setRange(xRange=(100, 200), yRange=(300, 400), padding=0.0)
    inp._on_manual_range()  # what a wheel or a drag emits
    (ox, oy), (sx, sy) = window_geometry(m.result)
    (x0, x1), (y0, y1) = out.view.viewRange()
    # The input's centre (150, 350) is the output pixel (150 − ox, (350 − oy) / 2) …
    assert (x0 + x1) / 2 == pytest.approx((150 - ox) / sx, abs=0.5)
    assert (y0 + y1) / 2 == pytest.approx((350 - oy) / sy, abs=0.5)
    # … at the same screen size per pixel, and a resize no longer refits what was zoomed.
    (a0, a1), _ = inp.view.viewRange()
    assert out.view.width() / (x1 - x0) == pytest.approx(inp.view.width() / (a1 - a0), rel=0.01)
    assert not ws.panel_group.fitted
    ws.panel_group.fit()
    assert ws.panel_group.fitted
