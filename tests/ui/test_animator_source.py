"""The animator's source and options live in its model; the tab's controls only follow it."""

import ast
import pathlib

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication, QWidget

import convstudio.ui.animator as animator_package
from convstudio import app
from convstudio.core.animator_sources import ANIMATOR_SOURCES
from convstudio.ui.animator.export import FrameExporter
from convstudio.ui.animator.model import AnimatorModel
from convstudio.ui.animator.player import Player
from convstudio.ui.workspace.model import WorkspaceModel


def _pick(qtbot, combo, label):
    """Choose ``label`` in ``combo`` as a user does: open the list, click the entry."""
    combo.showPopup()
    view = combo.view()
    qtbot.waitUntil(view.isVisible, timeout=5000)
    row = combo.findText(label)
    assert row >= 0, label
    index = view.model().index(row, 0)
    view.scrollTo(index)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton,
                     pos=view.visualRect(index).center())
    qtbot.waitUntil(lambda: not view.isVisible(), timeout=5000)


def test_the_combo_follows_the_model_and_the_model_follows_the_combo(window, anim, qtbot):
    m = window.animator_model
    seen = []
    m.sourceChanged.connect(seen.append)
    m.set_source_kind("image")
    assert anim.source.currentData() == "image"
    assert anim.source.currentText() == "Whole workspace image"
    assert m.source.shape == window.model.source.shape[:2]
    assert seen == ["image"]
    m.set_source_kind("image")  # no change: no signal, no rebuild
    assert seen == ["image"]

    _pick(qtbot, anim.source, "Workspace region")
    assert m.source_kind == "region" and seen == ["image", "region"]
    assert m.source.shape == (8, 8)  # no selection: the centre 8×8 of the workspace image
    assert anim.source_note.text() == m.region_text
    _pick(qtbot, anim.source, "28×28 glyph")
    assert m.source_kind == "glyph" and m.source.shape == (28, 28)
    assert seen == ["image", "region", "glyph"]
    assert anim.source_note.text() == "28×28"


def test_pool_input_and_sub_steps_follow_the_model(window, anim, qtbot):
    m = window.animator_model
    m.set_pool_input("image")
    assert anim.pool_input.currentData() == "image"
    assert "image" in anim.pool_page.input_title.text()
    m.set_sub_phases(True)
    assert anim.sub_phases.isChecked()
    m.go_to(3)
    m.next()
    assert m.cursor.sub == 0 and "multiply" in anim.position.text()
    _pick(qtbot, anim.pool_input, "Pool: conv output")
    assert m.pool_input == "conv"
    qtbot.mouseClick(anim.sub_phases, Qt.MouseButton.LeftButton)
    assert not m.sub_phases and m.cursor.sub == 2


def test_the_model_changes_source_without_building_the_tab(window, qtbot):
    m = window.animator_model
    for kind, shape in (("region", (8, 8)), ("image", window.model.source.shape[:2])):
        m.set_source_kind(kind)
        assert m.source_kind == kind and m.source.shape == shape
    args = app.build_parser().parse_args(["--source", "region", "--phase", "pool", "--step", "2"])
    app._animator_state(window, args)
    assert m.source_kind == "region" and m.cursor.step == m.n_conv + 1
    assert "animator" not in window._lazy
    # Built later, the tab shows what the model was set to.
    window.show_tab("animator")
    QApplication.processEvents()
    tab = window.animator
    assert tab.source.currentData() == "region"
    assert tab.pages.currentWidget() is tab.pool_page
    assert tab.source_note.text() == m.region_text


def test_a_bad_source_kind_names_the_allowed_ones(window):
    m = window.animator_model
    with pytest.raises(ValueError, match="glyph, region, image") as err:
        m.set_source_kind("webcam")
    assert "'webcam'" in str(err.value)
    assert m.source_kind == "glyph" and m.source.shape == (28, 28)
    with pytest.raises(ValueError, match="conv, image"):
        m.set_pool_input("pooled")
    assert "animator" not in window._lazy


def test_one_definition_of_the_source_kinds(window, anim):
    from convstudio import lessons

    combo = [anim.source.itemData(i) for i in range(anim.source.count())]
    assert tuple(combo) == ANIMATOR_SOURCES == lessons.ANIMATOR_SOURCES


def test_the_exporter_needs_no_tab(qtbot, tmp_path):
    ws = WorkspaceModel()
    ws.set_selection((100, 100, 6, 6))
    model = AnimatorModel(ws)
    model.set_source_kind("region")
    parent = QWidget()
    qtbot.addWidget(parent)
    player = Player(model, parent)
    grabbed = []

    def grab():
        image = QImage(40, 30, QImage.Format.Format_RGB888)
        image.fill(QColor(10 * model.cursor.step, 0, 200))
        grabbed.append(model.cursor.step)
        return image

    exporter = FrameExporter(model, player, grab, parent)
    model.go_to(5)
    png = exporter.export_png(tmp_path / "one.png")
    with Image.open(png) as im:
        assert im.size == (40, 30) and im.getpixel((0, 0)) == (50, 0, 200)
    with qtbot.waitSignal(exporter.finished, timeout=30000) as blocker:
        assert exporter.start("frames", tmp_path / "frames")
    assert blocker.args == [tmp_path / "frames"]
    assert grabbed[1:] == list(range(model.total))  # every step once, from the first
    assert len(list((tmp_path / "frames").glob("frame_*.png"))) == model.total == 20
    assert model.cursor.step == 5  # put back
    with Image.open(tmp_path / "frames" / "frame_00003.png") as im:
        assert np.asarray(im)[0, 0].tolist() == [20, 0, 200]


def test_the_exporter_does_not_import_the_tab():
    export = pathlib.Path(animator_package.__file__).parent / "export.py"
    imported = set()
    for node in ast.walk(ast.parse(export.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            imported.add(("." * node.level) + (node.module or ""))
            imported.update(f"{'.' * node.level}{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
    assert not {name for name in imported if name.endswith("tab")}, imported


def test_the_region_note_fits_a_1024_wide_window(window, anim, qtbot):
    window.animator_model.set_source_kind("region")
    window.resize(1024, 700)
    QApplication.processEvents()
    assert "select a region" in anim.source_note.text()
    # The note wraps instead of widening the tab (the window's width also depends on the
    # workspace tab and the app's theme, which earlier tests in a run may have applied).
    assert anim.minimumSizeHint().width() <= 1024
    assert anim.source_note.geometry().right() < anim.pool_input.geometry().left()
