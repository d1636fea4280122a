"""Issue 18: the animator steps through a layer of F filters on a C-channel source."""

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from convstudio import lessons as L
from convstudio.core import conv2d
from convstudio.core.animator_sources import ANIMATOR_SOURCES, CHANNEL_FILTERS
from convstudio.core.channels import channel_toy, filter_bank
from convstudio.ui.animator.text import fmt
from convstudio.ui.lessons import capture

from .window_state import press as _key


def test_the_toy_layer_fills_one_map_per_filter_from_every_channel(window, anim, qtbot):
    m = anim.model
    anim.source.setCurrentIndex(anim.source.findData("toy-rgb"))
    QApplication.processEvents()
    assert m.source_kind == "toy-rgb" and "toy-rgb" in ANIMATOR_SOURCES
    np.testing.assert_array_equal(m.source, channel_toy())
    bank = filter_bank(window.model.kernel.effective, 3, CHANNEL_FILTERS["toy-rgb"])
    np.testing.assert_array_equal(m.conv.kernel, bank)
    out = conv2d(channel_toy(), bank, bias=window.model.params.bias)
    page = anim.conv_page
    row = page.channels
    assert row.isVisible()
    assert "6×6×3 → 4×4×2" in row.caption.text()
    assert "2 maps 4×4, each from 3×3×3 weights + a bias" in row.caption.text()
    assert m.n_conv == 4 * 4 * 2
    anim.setFocus()
    _key(qtbot, anim, Qt.Key.Key_Home)
    _key(qtbot, anim, Qt.Key.Key_Right, 5)
    step = m.conv_step()
    r, c = step.out_pos
    assert (step.filter, (r, c)) == (0, (1, 1))
    text = page.arithmetic.text()
    assert f"output[{r}, {c}, 0]" in text
    for name, s in zip("RGB", step.channel_sums.tolist(), strict=True):
        assert f"{name}: {fmt(s)}" in text       # each channel's partial sum
    assert f"= <b>{fmt(float(out[r, c, 0]))}</b>" in text
    assert "output[1, 1, 0]" in anim.position.text()
    assert "conv map 0 of 2" in anim.pool_page.input_title.text()  # each map pools alike
    np.testing.assert_allclose(page.products_grid.values, step.products[:, :, 0], rtol=1e-6)
    # The window moves through every channel of the input tensor; filter 0 and map 0 are lit.
    assert row.input_strip.box == (1, 1, 3, 3)
    assert row.kernel_strip.focus == (0, 0) and row.output_strip.focus == (0, 0)
    # The channel shown: G's numbers in the grids, the sum still over all three.
    page.channel.setCurrentIndex(1)
    QApplication.processEvents()
    np.testing.assert_array_equal(page.kernel_grid.values, bank[:, :, 1, 0])
    np.testing.assert_allclose(page.products_grid.values, step.products[:, :, 1], rtol=1e-6)
    assert "channel <b>G</b>" in page.arithmetic.text()
    assert row.kernel_strip.focus == (0, 1)
    # Past the last cell of map 0 the next filter fills the next map.
    m.go_to(15)
    _key(qtbot, anim, Qt.Key.Key_Right)
    step = m.conv_step()
    assert step.filter == 1 and step.out_pos == (0, 0)
    assert "Map 1 of 2" in page.output_title.text()
    np.testing.assert_allclose(page.output_grid.values, out[:, :, 1], rtol=1e-6)
    np.testing.assert_array_equal(page.kernel_grid.values, bank[:, :, 1, 1])
    assert page.output_grid.overlay.filled == 1
    assert row.kernel_strip.focus[0] == 1 and row.output_strip.focus[0] == 1
    assert f"= <b>{fmt(float(out[0, 0, 1]))}</b>" in page.arithmetic.text()
    _key(qtbot, anim, Qt.Key.Key_Left)
    assert m.conv_step().filter == 0 and "Map 0 of 2" in page.output_title.text()


def test_the_colour_image_is_a_layer_of_eight_filters(window, anim, qtbot):
    m = anim.model
    m.set_source_kind("rgb")
    QApplication.processEvents()
    rgb = window.model.rgb
    np.testing.assert_array_equal(m.source, rgb)
    h, w = rgb.shape[:2]
    assert m.conv.kernel.shape == (3, 3, 3, 8)
    assert m.n_conv == (h - 2) * (w - 2) * 8
    caption = anim.conv_page.channels.caption
    assert f"8 maps {h - 2}×{w - 2}, each from 3×3×3 weights" in caption.text()
    m.go_to(m.conv.index_of(10, 20, 5))
    QApplication.processEvents()
    step = m.conv_step()
    expected = conv2d(rgb[10:13, 20:23], m.conv.kernel[..., 5])  # valid: the window at (10, 20)
    assert step.value == pytest.approx(float(expected[0, 0]), rel=1e-5, abs=1e-3)
    assert "output[10, 20, 5]" in anim.position.text()
    assert "on R only" in anim.conv_page.channels.caption.toolTip()
    # Learn stays a one-channel lesson: refused with the reason, the layer kept.
    _key(qtbot, anim, Qt.Key.Key_3)
    assert not m.learning and "layer of several filters" in anim.error_label.text()


@pytest.mark.parametrize("source", ["toy-rgb", "rgb"])
def test_a_lesson_counts_the_layers_steps(window, source):
    an = window.animator_model
    an.set_source_kind(source)
    totals = []
    for pool_input in ("conv", "image"):  # the lesson counts whichever pools more
        an.set_pool_input(pool_input)
        an.rebuild()
        totals.append(an.total)
    assert L.animator_steps(capture(window)) == max(totals)
