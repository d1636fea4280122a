"""Issue 6: projection mode, zoom, lessons, Show code, figures, presenter keys, desktop file."""

import configparser
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontInfo
from PySide6.QtWidgets import QApplication, QLabel

from convstudio import lessons as L
from convstudio.core import conv2d
from convstudio.ui.main_window import MainWindow
from convstudio.ui.panels import ShortcutSheet
from convstudio.ui.theme import presentation

from .window_state import assert_same_state, settle

ROOT = Path(__file__).resolve().parents[2]


def _points(widget_font, widget):
    """Point size as rendered (QFontInfo), converted from pixels where Qt gives pixels."""
    info = QFontInfo(widget_font)
    return info.pixelSize() * 72.0 / widget.logicalDpiY()


def test_projection_sizes_measured_on_the_real_widgets(big_window, qtbot):
    w = big_window
    label = w.workspace.findChildren(QLabel)[0]
    normal = _points(label.font(), label)
    w.projection_action.trigger()  # View ▸ Projection mode (F5)
    QApplication.processEvents()
    assert presentation().projection
    assert _points(label.font(), label) >= 20 > normal
    # Kernel cells ≥ 64 px.
    table = w.workspace.kernel_editor.table
    assert min(table.columnWidth(0), table.rowHeight(0)) >= 64
    # Animator numbers ≥ 18 pt: the font the input grid actually paints its numbers with.
    w.show_tab("animator")
    QApplication.processEvents()
    page = w.animator.conv_page
    for grid in (page.input_grid, page.kernel_grid):
        s, r0, c0, nr, nc, _, _ = grid.geometry_now()
        from convstudio.ui.animator.text import fmt_cells

        block = grid.values[r0:r0 + nr, c0:c0 + nc]
        font = grid._fitted_font(s, fmt_cells(block))
        assert font is not None, "numbers hidden in projection mode"
        assert font.pixelSize() * 72.0 / grid.logicalDpiY() >= 18
        assert grid.highlight_width >= 3.5  # thick outlines
    arithmetic = page.arithmetic
    assert _points(arithmetic.font(), arithmetic) >= 20
    # F5 again: back to normal sizes.
    w.projection_action.trigger()
    QApplication.processEvents()
    assert _points(label.font(), label) == pytest.approx(normal, abs=0.6)


def test_zoom_keys_scale_the_whole_interface(big_window, qtbot):
    w = big_window
    label = w.workspace.findChildren(QLabel)[0]
    before = QFontInfo(label.font()).pixelSize()
    table = w.workspace.kernel_editor.table
    cell = table.columnWidth(0)
    zoom_in = next(a for a in w.findChildren(type(w.projection_action)) if a.text() == "Zoom &in")
    zoom_in.trigger()
    zoom_in.trigger()
    QApplication.processEvents()
    assert QFontInfo(label.font()).pixelSize() > before
    assert table.columnWidth(0) > cell
    reset = next(a for a in w.findChildren(type(zoom_in)) if a.text() == "&Actual size")
    reset.trigger()
    assert QFontInfo(label.font()).pixelSize() == before


def _set_rich_state(w, qtbot):
    m = w.model
    rng = np.random.default_rng(3)
    m.set_source(rng.random((40, 50, 3)).astype(np.float32), "noise")
    m.set_channel("G")
    m.set_kernel(rng.integers(-3, 4, size=(3, 5)).astype(np.float32), use_weight=False)
    m.set_params(stride=(2, 1), padding=(1, 2), dilation=(1, 2), bias=1.5, activation="relu",
                 pool="avg", pool_size=(3, 2), pool_stride=(1, 2))
    m.set_selection((4, 6, 10, 12))
    m.set_display_mode("absolute")
    w.animator.source.setCurrentIndex(w.animator.source.findData("region"))
    w.animator_model.rebuild()
    w.animator_model.go_to(17)
    t = w.training
    t.blocks.setValue(3)
    t.filters.setValue(16)
    t.kernel_size.setValue(5)
    t.pooling.setChecked(False)
    t.dense.setValue(64)
    t.dropout.setValue(0.3)
    t.optimizer.setCurrentText("sgd")
    t.learning_rate.setValue(0.01)
    t.batch_size.setValue(64)
    t.epochs.setValue(3)
    t.val_split.setValue(0.2)
    t.schedule.setCurrentIndex(t.schedule.findData("constant"))
    t.limit.setValue(5000)
    settle(qtbot, w)


def _state(w):
    m = w.model
    return {"rgb": m.rgb.copy(), "name": m.source_name, "channel": m.channel,
            "kernel": m.kernel.entries.copy(), "use_weight": m.kernel.use_weight,
            "params": m.params, "selection": m.selection, "display": m.display_mode,
            "anim_source": w.animator_model.source_kind, "step": w.animator_model.cursor.step,
            "training": w.training_model.settings.as_dict()}


def test_lesson_round_trip_restores_every_field(big_window, qtbot, tmp_path):
    w = big_window
    _set_rich_state(w, qtbot)
    saved = _state(w)
    path = w.save_lesson(str(tmp_path / "mine"))
    assert path is not None and path.suffix == ".convstudio"
    doc = json.loads(path.read_text())
    assert doc["format"] == "convstudio-lesson" and doc["version"] == L.VERSION
    w.open_builtin("line-filters")
    settle(qtbot, w)
    assert _state(w)["params"] != saved["params"]
    assert w.open_lesson(str(path))
    settle(qtbot, w)
    assert_same_state(_state(w), saved)


@pytest.mark.parametrize("mutate, words", [
    (lambda d: d.update(version=L.VERSION + 1), "newer ConvStudio"),
    (lambda d: d["workspace"].update(kernel="not a grid"), "workspace.kernel"),
    (lambda d: d["workspace"]["params"].update(stride=[2, "1"]), "workspace.params.stride"),
    (lambda d: d["training"].update(epochs=2.5), "training.epochs"),
    (lambda d: d["animator"].update(step=-4), "animator.step"),
    (lambda d: d["workspace"]["image"].update(shape=[10, 10, 3]), "workspace.image"),
    (lambda d: d.update(format="something-else"), "not a ConvStudio lesson"),
])
def test_bad_lessons_are_refused_and_change_nothing(big_window, qtbot, tmp_path, mutate, words):
    w = big_window
    _set_rich_state(w, qtbot)
    good = w.save_lesson(str(tmp_path / "good.convstudio"))
    doc = json.loads(good.read_text())
    mutate(doc)
    bad = tmp_path / "bad.convstudio"
    bad.write_text(json.dumps(doc))
    w.model.set_kernel(np.eye(3, dtype=np.float32))
    settle(qtbot, w)
    before = _state(w)
    assert not w.open_lesson(str(bad))
    assert words in w.last_message and "Nothing was changed" in w.last_message
    settle(qtbot, w)
    assert_same_state(_state(w), before)


def test_lesson_naming_a_model_outside_its_folder_is_not_read(big_window, qtbot, tmp_path):
    w = big_window
    (tmp_path / "elsewhere").mkdir()
    outside = tmp_path / "elsewhere" / "evil.keras"
    outside.write_bytes(b"not read")
    folder = tmp_path / "lesson"
    folder.mkdir()
    doc = L.builtin_lessons()["line-filters"].to_json()
    doc["model"] = "../elsewhere/evil.keras"
    (folder / "l.convstudio").write_text(json.dumps(doc))
    assert w.open_lesson(str(folder / "l.convstudio"))
    assert "outside its own folder" in w.last_message
    assert w.training.network is None
    lesson = L.read(folder / "l.convstudio")
    for name in ("/etc/passwd", "../x.keras", "sub/x.keras", "..", str(outside)):
        lesson.model_file = name
        assert L.model_path(lesson, folder / "l.convstudio") is None
    lesson.model_file = "beside.keras"
    assert L.model_path(lesson, folder / "l.convstudio") == (folder / "beside.keras").resolve()


def test_lesson_text_loads_no_files(big_window, tmp_path):
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QTextDocument

    secret = tmp_path / "secret.png"
    Image.new("RGB", (8, 8), "red").save(secret)
    lesson = L.builtin_lessons()["line-filters"]
    lesson.text = f'<p>hi</p><img src="{secret.as_uri()}"><img src="{secret}">'
    big_window.lesson_panel.show_lesson(lesson)
    browser = big_window.lesson_panel.browser
    browser.grab()  # lay out and paint: a plain QTextBrowser would load the images now
    doc = browser.document()
    for name in (secret.as_uri(), str(secret)):
        res = doc.resource(QTextDocument.ResourceType.ImageResource, QUrl(name))
        assert res is None or (hasattr(res, "isNull") and res.isNull())


@pytest.mark.parametrize("name, conv_shape, pooled_shape", [
    ("strides-padding", (255, 510), (127, 255)),
    ("max-pooling", (512, 512), (256, 256)),
    ("line-filters", (510, 510), (255, 255)),
])
def test_builtin_lessons_reproduce_the_course_numbers(big_window, qtbot, name, conv_shape,
                                                      pooled_shape):
    w = big_window
    assert w.open_builtin(name)
    settle(qtbot, w)
    r = w.model.result
    assert r.conv.shape == conv_shape and r.pooled.shape == pooled_shape
    assert w.lesson_panel.isVisible() and w.lesson_panel.title


def test_builtin_first_cnn_sets_the_lessons_model(big_window):
    w = big_window
    assert w.open_builtin("first-cnn")
    assert w.tabs.currentWidget() is w.training
    s = w.training_model.settings.as_dict()
    assert (s["blocks"], s["filters"], s["kernel_size"], s["dense"]) == (2, 64, 3, 128)
    assert w.training_model.settings.pooling


def test_show_code_numpy_reproduces_core_conv2d(big_window, qtbot):
    w = big_window
    m = w.model
    m.set_kernel(np.array([[1, 2, 0], [-1, 0.5, 3], [0, 0, -2]], np.float32), use_weight=False)
    m.set_params(stride=(2, 1), padding="same", dilation=(1, 2), bias=-3.0, activation="relu",
                 pool="max")
    settle(qtbot, w)
    w.code_panel.show()
    code = w.code_panel.code("numpy")
    ns = {"image": m.source.copy()}
    exec(compile(code, "<show code>", "exec"), ns)  # noqa: S102 (the test runs the listing)
    expected = np.maximum(conv2d(m.source, m.effective_kernel, stride=(2, 1), padding="same",
                                 dilation=(1, 2), bias=-3.0), 0)
    np.testing.assert_allclose(ns["conv"], expected, rtol=1e-5, atol=1e-3)
    np.testing.assert_allclose(ns["pooled"], m.result.pooled, rtol=1e-5, atol=1e-3)
    keras = w.code_panel.code("keras")
    # Keras refuses strides with dilation: the listing pads, convolves at stride 1 with the
    # dilation and keeps every second row, which is what the stride does.
    assert "keras.layers.ZeroPadding2D" in keras
    assert ('keras.layers.Conv2D(1, (3, 3), strides=(1, 1), padding="valid", '
            'dilation_rate=(1, 2)') in keras
    assert "m[:, ::2, ::1, :]" in keras and "set_weights" in keras


def test_export_view_is_twice_the_size(big_window, tmp_path):
    w = big_window
    view = w.workspace.output_panel if hasattr(w.workspace, "output_panel") else None
    view = view or w.current_view()
    path = w.export_view(str(tmp_path / "fig"), view)
    assert path is not None
    with Image.open(path) as img:
        assert img.size == (2 * view.width(), 2 * view.height())
    w.copy_view()
    assert not QApplication.clipboard().image().isNull()


def test_f1_opens_the_shortcut_sheet(big_window, qtbot):
    w = big_window
    w.activateWindow()
    w.workspace.setFocus()
    qtbot.keyClick(w.workspace, Qt.Key.Key_F1)
    sheets = [s for s in w.findChildren(ShortcutSheet) if s.isVisible()]
    assert sheets and "Page Down" in sheets[0].browser.toPlainText()


def test_clicker_keys_step_from_the_lesson_panel(big_window, qtbot):
    w = big_window
    w.open_builtin("line-filters")
    w.show_tab("animator")
    QApplication.processEvents()
    w.lesson_panel.browser.setFocus()
    step = w.animator_model.cursor.step
    qtbot.keyClick(w.lesson_panel.browser, Qt.Key.Key_PageDown)
    assert w.animator_model.cursor.step == step + 1


def test_session_saved_on_exit_and_offered_back(qtbot):
    first = MainWindow()
    qtbot.addWidget(first)
    first.model.set_kernel(np.full((3, 3), 2.0, np.float32))
    first.close()
    second = MainWindow()
    qtbot.addWidget(second)
    second.save_session_on_close = False
    assert second.offer_session()
    assert second.restore_session()
    np.testing.assert_array_equal(second.model.kernel.entries, np.full((3, 3), 2.0))


def test_about_lists_versions(big_window):
    text = big_window.about_text()
    for name in ("Qt", "NumPy", "TensorFlow", "Python"):
        assert name in text


def test_preferences_persist(big_window):
    from PySide6.QtCore import QSettings

    presentation().set_theme("dark")
    presentation().set_intensity_map("cividis")
    assert QSettings().value("view/theme") == "dark"
    assert QApplication.palette().window().color().lightness() < 80
    fresh = type(presentation())()
    fresh.load()
    assert (fresh.theme, fresh.intensity_map) == ("dark", "cividis")


def test_window_layout_is_kept_between_runs(qtbot):
    first = MainWindow()
    qtbot.addWidget(first)
    first.resize(1100, 760)
    first.show()
    first.lesson_panel.show()
    qtbot.waitExposed(first)
    first.save_session_on_close = True
    first.close()  # writes the session and the layout
    second = MainWindow()
    qtbot.addWidget(second)
    second.save_session_on_close = False
    assert second.restore_layout()
    second.show()
    qtbot.waitExposed(second)
    # Offscreen Qt has one 800×800 screen and the window's minimum width is wider, so only
    # the height (760, not the default size's) can show that the geometry came back as is.
    plain = MainWindow()
    qtbot.addWidget(plain)
    assert second.height() == 760 != plain.sizeHint().height()
    assert second.lesson_panel.isVisible() and not second.code_panel.isVisible()


def test_a_window_with_no_saved_layout_says_so(qtbot):
    w = MainWindow()
    qtbot.addWidget(w)
    assert not w.restore_layout()


def test_last_dataset_folder_is_remembered(window, qtbot, tmp_path):
    from convstudio.ui.training.tab import last_folder

    assert last_folder() == ""
    folder = tmp_path / "classes"
    for c in ("circles", "squares"):
        (folder / c).mkdir(parents=True)
        for i in range(4):
            Image.new("L", (28, 28), 40 * i + (100 if c == "squares" else 0)).save(
                folder / c / f"{i}.png")
    tab = window.training
    tab.dataset_combo.setCurrentIndex(tab.dataset_combo.findData("shapes"))
    qtbot.waitUntil(lambda: tab.dataset is not None and tab.dataset.name == "shapes",
                    timeout=30000)
    tab.model.folder = str(folder)
    with qtbot.waitSignal(tab.model.datasetLoaded, timeout=30000):
        tab.dataset_combo.setCurrentIndex(tab.dataset_combo.findData("folder"))
    assert tab.dataset.name == "folder", tab.error_label.text()
    assert last_folder() == str(folder)
    shutil.rmtree(folder)
    assert last_folder() == ""  # a folder that is gone is not offered


def test_every_panel_says_what_it_shows(big_window, qtbot):
    from convstudio.explanations import EXPLANATIONS
    from convstudio.ui.explain import ExplainButton

    w = big_window
    w.training, w.animator  # noqa: B018 - built on first use
    buttons = w.findChildren(ExplainButton)
    assert sorted(b.key for b in buttons) == sorted(EXPLANATIONS)  # each text used once
    for b in buttons:
        e = EXPLANATIONS[b.key]
        assert e.title in b.target.whatsThis() and e.formula in b.target.whatsThis()
        assert b.focusPolicy() == Qt.FocusPolicy.NoFocus  # the animator keeps its keys
    ws = w.workspace.explain_buttons["output"]
    popup = ws.show_explanation()
    assert popup.isVisible() and "Σ" in popup.text() and "cross-correlation" in popup.text()
    popup.close()
    QApplication.processEvents()
    assert ws.popup is None


def test_the_size_formula_is_worked_out_with_the_numbers_on_screen(big_window, qtbot):
    from dataclasses import replace

    w = big_window
    m = w.model
    m.set_source(np.zeros((512, 512), np.float32), "blank")
    m.params = replace(m.params, stride=(2, 1), padding="valid")
    m.paramsChanged.emit()
    m.compute_now()
    assert m.result.conv.shape[:2] == (255, 510)
    text = w.workspace.explain_buttons["params"].html()
    assert "H: ⌊(512 + 0 + 0 − 1·(3 − 1) − 1) / 2⌋ + 1 = 255" in text
    assert "W: ⌊(512 + 0 + 0 − 1·(3 − 1) − 1) / 1⌋ + 1 = 510" in text
    m.params = replace(m.params, stride=(1, 1), padding="same")
    m.compute_now()
    assert "= 512<br>W: ⌊(512 + 1 + 1 − 1·(3 − 1) − 1) / 1⌋ + 1 = 512" in (
        w.workspace.explain_buttons["output"].html())


def test_explanations_grow_in_projection_mode(big_window):
    w = big_window
    button = w.workspace.explain_buttons["pooled"]
    normal = button.show_explanation()
    width, size = normal.width(), _points(normal.font(), normal)
    normal.close()
    w.projection_action.trigger()
    QApplication.processEvents()
    big = button.show_explanation()
    assert big.width() > width and _points(big.font(), big) >= 20 > size
    big.close()
    w.projection_action.trigger()


def test_plot_text_grows_in_projection_and_no_tick_label_is_dropped(big_window):
    from PySide6.QtGui import QImage, QPainter

    w = big_window
    curves = w.training.curves
    bar_axis = w.workspace.input_panel.colorbar.axis
    assert bar_axis.style["tickFont"].pointSizeF() < 12
    w.projection_action.trigger()
    QApplication.processEvents()
    assert bar_axis.style["tickFont"].pointSizeF() >= 18
    assert curves.loss_plot.getAxis("left").style["tickFont"].pointSizeF() >= 18
    assert "20.0pt" in curves.loss_plot.titleLabel.opts["size"]
    # The curves' key and the captions are widgets: they follow the body text, and a caption
    # keeps room for all its lines at the larger size.
    assert _points(curves.key.font(), curves.key) >= 18
    caption = w.training.filters_view.caption
    assert _points(caption.font(), caption) >= 18
    assert caption.height() >= caption.LINES * caption.fontMetrics().lineSpacing()
    # pyqtgraph drops labels that do not fit its axis; the colour bar's (0…255) all show.
    image = QImage(200, 900, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    texts = [spec[2] for spec in bar_axis.generateDrawSpecs(painter)[2]]
    painter.end()
    assert {"0", "100", "200", "250"} <= set(texts), texts
    w.projection_action.trigger()


def test_desktop_file_parses_and_validates():
    path = ROOT / "resources" / "convstudio.desktop"
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read(path, encoding="utf-8")
    entry = parser["Desktop Entry"]
    assert entry["Type"] == "Application" and entry["Name"] == "ConvStudio"
    assert entry["Exec"].startswith("convstudio") and entry["Icon"] == "convstudio"
    assert (ROOT / "resources" / "convstudio.svg").is_file()
    tool = shutil.which("desktop-file-validate")
    if tool:
        result = subprocess.run([tool, str(path)], capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stdout + result.stderr


def test_explanation_popups_close_on_escape_outside_click_and_second_click(big_window, qtbot):
    from PySide6.QtCore import QPoint

    # The input panel's "?": inside the offscreen platform's 800×800 screen.
    button = big_window.workspace.explain_buttons["input"]
    popup = button.show_explanation()
    qtbot.keyClick(popup, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: button.popup is None)
    popup = button.show_explanation()
    qtbot.mouseClick(popup, Qt.MouseButton.LeftButton, pos=QPoint(-20, -20))
    assert not popup.isVisible()
    qtbot.waitUntil(lambda: button.popup is None)
    button.click()
    assert button.popup is not None and button.popup.isVisible()
    button.click()  # the second click on "?" closes it
    qtbot.waitUntil(lambda: button.popup is None)
    popup = button.show_explanation()
    on_button = popup.mapFromGlobal(button.mapToGlobal(button.rect().center()))
    qtbot.mouseClick(popup, Qt.MouseButton.LeftButton, pos=on_button)
    assert not popup.isVisible()
    qtbot.waitUntil(lambda: button.popup is None)
    qtbot.wait(50)
    assert button.popup is None  # that press closed it and did not open it again


def test_explanation_popups_open_inside_the_screen(big_window, qtbot):
    w = big_window
    w.training  # noqa: B018 - built on first use
    w.move(w.screen().availableGeometry().topLeft())
    for name in ("workspace", "training"):
        w.show_tab(name)
        tab = w.workspace if name == "workspace" else w.training
        for button in tab.explain_buttons.values():
            if not button.isVisible():
                continue
            popup = button.show_explanation()
            area = button.screen().availableGeometry()
            assert area.contains(popup.frameGeometry()), (button.key, popup.frameGeometry(), area)
            popup.close()
            qtbot.waitUntil(lambda b=button: b.popup is None)

