"""Issue 18: the animator follows the workspace's conv family mode (transposed, stepped by keys)."""

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from convstudio.core import conv2d_transpose, max_pool2d
from convstudio.ui.animator.text import fmt

from .window_state import press as _key
from .window_state import settle


@pytest.fixture
def anim(window, qtbot):
    window.show_tab("animator")
    QApplication.processEvents()
    a = window.animator
    a.model.set_source_kind("region")  # the workspace image's centre 8×8
    QApplication.processEvents()
    return a


def _family(qtbot, window, family):
    """Choose the mode on the Workspace's parameters panel, as a user does."""
    window.workspace.params_panel.family.setCurrentText(family)
    settle(qtbot, window)
    QApplication.processEvents()  # the animator rebuilds on the next event


def _expected(window, source):
    p = window.model.params
    k = window.model.kernel.effective
    return conv2d_transpose(source, k[:, :, None, None], stride=p.stride, padding=p.padding,
                            output_padding=p.output_padding, dilation=p.dilation,
                            bias=p.bias)[:, :, 0]


def test_transposed_steps_on_screen_match_conv2d_transpose(window, anim, qtbot):
    m, page = anim.model, anim.transpose_page
    window.model.set_params(stride=(2, 2), padding="same", bias=0.5)
    _family(qtbot, window, "transposed")
    assert anim.pages.currentWidget() is page
    expected = _expected(window, m.source)
    assert expected.shape == (16, 16) and m.n_conv == m.source.size == 64
    kernel = window.model.kernel.effective
    anim.setFocus()
    _key(qtbot, anim, Qt.Key.Key_Home)
    for key, times in ((Qt.Key.Key_Right, 0), (Qt.Key.Key_Right, 3), (Qt.Key.Key_Down, 2),
                       (Qt.Key.Key_Left, 1), (Qt.Key.Key_Down, 4)):
        _key(qtbot, anim, key, times)
        step = m.transpose_step()
        assert step.index == m.cursor.step
        r, c = step.in_pos
        x = float(m.source[r, c])
        assert page.input_grid.overlay.current == (r, c)
        assert f"x[{r}, {c}] = <b>{fmt(x)}</b>" in page.sums.text()
        np.testing.assert_allclose(page.products_grid.values, kernel * x, rtol=1e-6)
        taps = {tuple(map(int, step.targets[i, j])) for i, j in np.argwhere(step.inside)}
        assert set(page.output_grid.overlay.taps) == taps and taps
        for i, j in np.argwhere(step.inside):
            tr, tc = step.targets[i, j]
            # Each outlined cell's final value is conv2d_transpose's; its value now is the
            # one the block grid and the output grid show.
            assert step.final[i, j] == pytest.approx(expected[tr, tc], rel=1e-5, abs=1e-4)
            assert page.block_grid.values[i, j] == pytest.approx(step.running[i, j], rel=1e-5,
                                                                 abs=1e-4)
            assert page.output_grid.values[tr, tc] == pytest.approx(step.running[i, j],
                                                                    rel=1e-5, abs=1e-4)
        assert f"transposed {step.index + 1}/64: input[{r}, {c}]" in anim.position.text()
    # The last input pixel has added its share: the output on screen is conv2d_transpose's.
    m.go_to(m.n_conv - 1)
    QApplication.processEvents()
    np.testing.assert_allclose(page.output_grid.values, expected, rtol=1e-5, atol=1e-4)
    assert "(8 − 1)·2" not in page.shapes.text() and "8·2 = 16" in page.shapes.text()
    assert "parameters" in page.shapes.text() and "multiply-adds" in page.shapes.text()
    # Phase 2 pools the transposed output, as the workspace does.
    _key(qtbot, anim, Qt.Key.Key_2)
    assert anim.pages.currentWidget() is anim.pool_page and m.phase == "pool"
    assert "transposed output" in anim.pool_page.input_title.text()
    np.testing.assert_allclose(m.pool.output, max_pool2d(expected, 2), rtol=1e-5, atol=1e-4)


def test_the_correlation_view_gives_the_scatters_value(window, anim, qtbot):
    m, page = anim.model, anim.transpose_page
    window.model.set_params(stride=(2, 2), padding="valid")
    _family(qtbot, window, "transposed")
    expected = _expected(window, m.source)
    anim.setFocus()
    qtbot.mouseClick(page.as_correlation, Qt.MouseButton.LeftButton,
                     pos=page.as_correlation.rect().center())
    QApplication.processEvents()
    assert m.correlation and page.as_correlation.isChecked()
    assert not page.block_grid.isVisible()
    assert "Kernel turned 180°" in page.kernel_title.text()
    np.testing.assert_array_equal(page.kernel_grid.values,
                                  window.model.kernel.effective[::-1, ::-1])
    up = page.input_grid.values
    assert up.shape == (2 * 7 + 1 + 2 * 2, 2 * 7 + 1 + 2 * 2)  # zeros between, k − 1 around
    assert np.count_nonzero(up[2:-2:2, 2:-2:2] == m.source) == 64
    for steps_on in (0, 5, 17, 40):
        m.go_to(steps_on)
        QApplication.processEvents()
        step = m.transpose_step()
        cell = m.correlation_cell(step)
        i, j = np.argwhere(step.inside)[0]
        scatter = float(step.final[i, j])
        corr = m.correlation_step(step)
        assert corr.out_pos == cell == tuple(map(int, step.targets[i, j]))
        assert float(corr.value) == pytest.approx(scatter, rel=1e-5, abs=1e-4)
        assert float(corr.value) == pytest.approx(expected[cell], rel=1e-5, abs=1e-4)
        assert page.output_grid.overlay.current == cell
        text = page.sums.text()
        assert f"<b>{fmt(float(corr.value))}</b>" in text and f"({fmt(scatter)})" in text
        top, left, h, w = page.input_grid.overlay.window
        np.testing.assert_array_equal(up[top:top + h, left:left + w], corr.patch)
    # Back to the scatter view with the same key-free toggle.
    page.as_correlation.click()
    QApplication.processEvents()
    assert not m.correlation and page.block_grid.isVisible()
    assert page.kernel_title.text() == "<b>Kernel w</b>"


def test_a_mode_switch_on_the_workspace_updates_the_animator(window, anim, qtbot):
    m = anim.model
    anim.setFocus()
    _key(qtbot, anim, Qt.Key.Key_Right, 5)
    assert anim.pages.currentWidget() is anim.conv_page and "conv 6/" in anim.position.text()
    _family(qtbot, window, "transposed")
    assert anim.pages.currentWidget() is anim.transpose_page and m.transpose is not None
    assert m.conv is None and "transposed 6/64: input[0, 5]" in anim.position.text()
    assert not anim.sub_phases.isEnabled() and anim.family_note.isHidden()
    np.testing.assert_allclose(anim.transpose_page.products_grid.values,
                               window.model.kernel.effective * m.source[0, 5], rtol=1e-6)
    # A kernel edit on the Workspace reaches the transposed steps.
    before = window.model.kernel.effective.copy()
    window.model.set_kernel(np.full((3, 3), 2.0), use_weight=False)
    settle(qtbot, window)
    QApplication.processEvents()
    assert not np.array_equal(window.model.kernel.effective, before)
    np.testing.assert_allclose(anim.transpose_page.products_grid.values,
                               np.full((3, 3), 2.0 * m.source[0, 5]), rtol=1e-6)
    # Depthwise on one channel is the ordinary conv, and the page says so; separable is
    # stepped in standard form, said too.
    _family(qtbot, window, "depthwise")
    assert anim.pages.currentWidget() is anim.conv_page and m.transpose is None
    assert anim.family_note.isVisible()
    assert "Depthwise on one channel: its map is this ordinary conv" in anim.family_note.text()
    _family(qtbot, window, "separable")
    assert "Separable mode is stepped here in standard form" in anim.family_note.text()
    _family(qtbot, window, "standard")
    assert anim.family_note.isHidden() and anim.sub_phases.isEnabled()
    assert anim.pages.currentWidget() is anim.conv_page and "conv 6/" in anim.position.text()


def test_learn_is_refused_in_transposed_mode_keeping_the_state(window, anim, qtbot):
    m = anim.model
    _family(qtbot, window, "transposed")
    anim.setFocus()
    _key(qtbot, anim, Qt.Key.Key_Right, 7)
    kernel = window.model.kernel.effective.copy()
    _key(qtbot, anim, Qt.Key.Key_3)
    assert not m.learning and m.cursor.step == 7
    assert anim.pages.currentWidget() is anim.transpose_page and anim.conv_phase.isChecked()
    assert anim.error_label.isVisible()
    assert "transposed mode" in anim.error_label.text()
    np.testing.assert_array_equal(window.model.kernel.effective, kernel)
    qtbot.mouseClick(anim.learn_phase, Qt.MouseButton.LeftButton)
    QApplication.processEvents()
    assert not m.learning and anim.conv_phase.isChecked() and m.cursor.step == 7
    # In Learn in standard mode, a switch to transposed leaves Learn and says why.
    _family(qtbot, window, "standard")
    _key(qtbot, anim, Qt.Key.Key_3)
    assert m.learning
    _family(qtbot, window, "transposed")
    assert not m.learning and anim.pages.currentWidget() is anim.transpose_page
    assert "transposed mode" in anim.error_label.text()


@pytest.mark.parametrize("projection", [False, True], ids=["normal", "projection"])
def test_the_transposed_page_and_the_family_note_fit_every_projector_size(window, qtbot,
                                                                          projection):
    from convstudio.ui.theme import presentation

    from .test_projector_fit import SIZES, _check

    window.show_tab("animator")
    m = window.animator_model
    try:
        for family, corr, source in (("transposed", False, "region"),
                                     ("transposed", True, "region"),
                                     ("transposed", False, "toy-rgb"),
                                     ("depthwise", False, "glyph")):
            _family(qtbot, window, family)
            m.set_source_kind(source)
            m.set_correlation(corr)
            for size in SIZES:
                _check(window, size, projection, f"the animator, {family}, correlation {corr}")
            shown = window.animator.pages.currentWidget()
            assert shown is (window.animator.transpose_page if family == "transposed"
                             else window.animator.conv_page)
            assert window.animator.family_note.isVisible() == (source != "region")
    finally:
        presentation().set_projection(False, remember=False)
        presentation().set_screen_height(0)


def test_transposed_on_three_channels_scatters_their_sum(window, anim, qtbot):
    m, page = anim.model, anim.transpose_page
    m.set_source_kind("toy-rgb")  # 6×6×3
    window.model.set_params(stride=(2, 2), bias=0.25)
    _family(qtbot, window, "transposed")
    assert anim.pages.currentWidget() is page and m.conv is None
    k = window.model.kernel.effective
    p = window.model.params
    expected = conv2d_transpose(m.source, np.repeat(k[:, :, None, None], 3, axis=3),
                                stride=p.stride, padding=p.padding, bias=0.25)[:, :, 0]
    assert "Transposed on 3 channels" in anim.family_note.text()
    assert page.channel.isVisible() and "w × Σx" in page.products_title.text()
    anim.setFocus()
    _key(qtbot, anim, Qt.Key.Key_Right, 8)
    step = m.transpose_step()
    r, c = step.in_pos
    total = float(m.source[r, c].sum())
    np.testing.assert_allclose(page.products_grid.values, k * total, rtol=1e-5)
    assert f"Σ = <b>{fmt(total)}</b>" in page.sums.text()
    page.channel.setCurrentIndex(2)  # the input shows the B channel's numbers
    QApplication.processEvents()
    np.testing.assert_array_equal(page.input_grid.values, m.source[:, :, 2])
    for i, j in np.argwhere(step.inside):
        tr, tc = step.targets[i, j]
        assert step.final[i, j, 0] == pytest.approx(expected[tr, tc], rel=1e-5, abs=1e-4)
    page.as_correlation.click()
    QApplication.processEvents()
    corr = m.correlation_step(m.transpose_step())
    cell = m.correlation_cell(m.transpose_step())
    assert float(corr.value) == pytest.approx(expected[cell], rel=1e-5, abs=1e-4)
    assert f"<b>{fmt(float(corr.value))}</b>" in page.sums.text()
    m.set_correlation(False)
    m.go_to(m.n_conv - 1)
    QApplication.processEvents()
    np.testing.assert_allclose(page.output_grid.values, expected, rtol=1e-5, atol=1e-4)
