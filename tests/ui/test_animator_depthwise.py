"""Issue 18: in depthwise mode the animator steps map f over channel f // M alone."""

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from convstudio.core import depthwise_conv2d, separable_conv2d
from convstudio.ui.animator.text import fmt

from .window_state import press as _key
from .window_state import settle


def test_depthwise_steps_each_map_over_its_own_channel(window, qtbot):
    window.show_tab("animator")
    anim = window.animator
    m, page = anim.model, anim.conv_page
    m.set_source_kind("toy-rgb")  # 6×6×3
    window.model.set_params(depth_multiplier=2, bias=0.5)
    window.workspace.params_panel.family.setCurrentText("depthwise")
    settle(qtbot, window)
    QApplication.processEvents()
    k = window.model.kernel.effective
    expected = depthwise_conv2d(m.source, np.repeat(np.repeat(k[:, :, None, None], 3, 2), 2, 3),
                                bias=0.5)
    assert expected.shape == (4, 4, 6) and m.n_conv == 4 * 4 * 6
    assert m.conv.filters == 6 and anim.pages.currentWidget() is page
    note = anim.family_note.text()
    assert anim.family_note.isVisible() and "map f reads channel f // 2 alone" in note
    caption = page.channels.caption.text()
    assert "6×6×3 → 4×4×6" in caption and "each from 3×3 weights on one channel" in caption
    assert "3·2 × (3×3 + 1) = 60 parameters" in page.channels.caption.toolTip()
    anim.setFocus()
    _key(qtbot, anim, Qt.Key.Key_Home)
    for f in (0, 3, 5):  # map 3 reads G (channel 1), map 5 reads B (channel 2)
        m.go_to(f * 16 + 5)
        QApplication.processEvents()
        _key(qtbot, anim, Qt.Key.Key_Right)  # the next step, by key
        step = m.conv_step()
        r, c = step.out_pos
        assert step.filter == f and (r, c) == (1, 2)
        assert step.value == pytest.approx(float(expected[r, c, f]), rel=1e-5, abs=1e-5)
        own = f // 2
        others = [ch for ch in range(3) if ch != own]
        assert not np.any(step.products[:, :, others]) and np.any(step.products[:, :, own])
        assert f"Map {f} of 6" in page.output_title.text()
        assert f"<b>{fmt(float(step.value))}</b>" in page.arithmetic.text()
        # The grids show the chosen channel: its own one has the products, the others zeros.
        page.channel.setCurrentIndex(own)
        QApplication.processEvents()
        np.testing.assert_allclose(page.products_grid.values, step.products[:, :, own])
        page.channel.setCurrentIndex(others[0])
        QApplication.processEvents()
        assert not np.any(page.products_grid.values)
        assert f"conv {m.cursor.step + 1}/96: output[1, 2, {f}]" in anim.position.text()
    # Learn is refused in depthwise mode too.
    _key(qtbot, anim, Qt.Key.Key_3)
    assert not m.learning and "depthwise mode" in anim.error_label.text()


def test_separable_steps_its_depthwise_stage_and_pools_the_pointwise_sum(window, qtbot):
    window.show_tab("animator")
    anim = window.animator
    m, page = anim.model, anim.conv_page
    m.set_source_kind("toy-rgb")
    window.model.set_params(depth_multiplier=2, bias=0.5, pool="max")
    window.workspace.params_panel.family.setCurrentText("separable")
    settle(qtbot, window)
    QApplication.processEvents()
    k = window.model.kernel.effective
    depth = np.repeat(np.repeat(k[:, :, None, None], 3, 2), 2, 3)
    stage = depthwise_conv2d(m.source, depth)  # Keras' SeparableConv2D: no bias before 1×1
    layer = separable_conv2d(m.source, depth, np.ones((6, 1), np.float32), bias=0.5)[:, :, 0]
    assert "Separable: phase 1 steps its depthwise stage" in anim.family_note.text()
    assert "depthwise stage, 6 maps 4×4" in page.channels.caption.text()
    anim.setFocus()
    m.go_to(4 * 16 + 6)
    QApplication.processEvents()
    _key(qtbot, anim, Qt.Key.Key_Right)
    step = m.conv_step()
    r, c = step.out_pos
    assert step.filter == 4 and not np.any(step.products[:, :, :2])
    assert step.value == pytest.approx(float(stage[r, c, 4]), rel=1e-5, abs=1e-5)
    _key(qtbot, anim, Qt.Key.Key_2)
    assert anim.pages.currentWidget() is anim.pool_page
    assert "pointwise sum of the 6 maps + bias" in anim.pool_page.input_title.text()
    np.testing.assert_allclose(m.pool.padded, layer, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(anim.pool_page.input_grid.values, layer, rtol=1e-5, atol=1e-4)
