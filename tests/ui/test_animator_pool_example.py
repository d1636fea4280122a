"""Issue 16: the course's 4×4 pooling example is a ready animator source."""

import json

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from convstudio import lessons as L
from convstudio.core import max_pool2d
from convstudio.core.animator_sources import ANIMATOR_SOURCES, POOL_EXAMPLE, POOL_EXAMPLE_MAXIMA
from convstudio.exercises import bank_sizes
from convstudio.ui.animator.text import fmt_cells
from convstudio.ui.theme import presentation

from .window_state import settle


def _pick(qtbot, combo, label):
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


def test_the_example_is_the_lessons_block():
    block = np.array(POOL_EXAMPLE, np.float32)
    assert block.shape == (4, 4)
    # 2×2 max pooling keeps the lesson's maxima (exact: a maximum is one of the values).
    np.testing.assert_array_equal(max_pool2d(block, 2), np.array(POOL_EXAMPLE_MAXIMA))
    assert POOL_EXAMPLE_MAXIMA == ((192, 144), (255, 168))
    assert POOL_EXAMPLE == bank_sizes.POOL_BLOCK  # the exercises pool the same block
    # One quarter only keeps its top-left pixel, so "kept the top-left" shows as a mistake.
    assert sum(block[r, c] == block[r:r + 2, c:c + 2].max()
               for r in (0, 2) for c in (0, 2)) == 1
    assert "pool-example" in ANIMATOR_SOURCES and "pool-example" in L.ANIMATOR_SOURCES


def test_picking_the_example_steps_through_its_maxima(window, qtbot):
    window.show_tab("animator")
    QApplication.processEvents()
    anim = window.animator
    m = anim.model
    seen = []
    m.sourceChanged.connect(seen.append)
    _pick(qtbot, anim.source, "Pooling example 4×4")
    assert m.source_kind == "pool-example" and seen == ["pool-example"]
    np.testing.assert_array_equal(m.source, np.array(POOL_EXAMPLE, np.float32))
    assert m.pool_input == "image" and anim.pool_input.currentData() == "image"
    # It opens on the first pooling step.
    assert not m.in_conv and m.cursor.step == m.n_conv
    assert anim.pages.currentWidget() is anim.pool_page
    page = anim.pool_page
    values = []
    for i in range(m.n_pool):
        m.go_to(m.n_conv + i)
        step = m.pool_step()
        values.append(step.value)
        assert f"= <b>{step.value:g}</b>" in page.arithmetic.text()
        assert page.input_grid.overlay.winner == step.winner
        assert page.output_grid.overlay.filled == i + 1
    assert values == [192, 144, 255, 168]
    np.testing.assert_array_equal(page.output_grid.values, np.array(POOL_EXAMPLE_MAXIMA))
    assert "4×4" in page.input_title.text() and "2×2" in page.output_title.text()
    # Leaving it gives back the pool input chosen before.
    _pick(qtbot, anim.source, "28×28 glyph")
    assert m.pool_input == "conv" and anim.pool_input.currentData() == "conv"
    assert m.source.shape == (28, 28)


def test_a_lesson_opens_on_the_example(window, qtbot, tmp_path):
    doc = L.builtin_lessons()["line-filters"].to_json()
    doc["animator"] = {"source": "pool-example", "step": 5}
    doc["tab"] = "animator"
    path = tmp_path / "pool.convstudio"
    path.write_text(json.dumps(doc))
    lesson = L.read(path)
    assert lesson.animator_source == "pool-example"
    assert window.open_lesson(str(path))
    settle(qtbot, window)
    m = window.animator_model
    assert m.source_kind == "pool-example" and m.cursor.step == 5
    step = m.pool_step()
    assert step is not None and step.value == 144  # the second quarter's maximum


@pytest.mark.parametrize("on", [False, True], ids=["normal", "projection"])
def test_pool_numbers_are_as_large_as_conv_numbers(window, qtbot, on):
    presentation().set_projection(on, remember=False)
    try:
        window.resize(1920, 1080)
        window.show_tab("animator")
        m = window.animator_model
        m.set_source_kind("pool-example")
        settle(qtbot, window)
        anim = window.animator

        def number_px(grid):
            s, r0, c0, nr, nc, _, _ = grid.geometry_now()
            block = grid.values[r0:r0 + nr, c0:c0 + nc]
            font = grid._fitted_font(s, fmt_cells(block[np.isfinite(block)]))
            assert font is not None
            return font.pixelSize()

        pool = [number_px(g) for g in (anim.pool_page.input_grid, anim.pool_page.output_grid)]
        m.set_phase("conv")
        QApplication.processEvents()
        conv = number_px(anim.conv_page.input_grid)
        # The same numbers (0…255) in cells with room: the same size, the body text's.
        assert pool == [conv, conv] == [anim.conv_page.input_grid.target_px] * 2
    finally:
        presentation().set_projection(False, remember=False)
