"""Issue 19: the animator's Learn phase, driven with the keys, checked on screen."""

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from convstudio.core.learn import edge_kernel, forward, glorot_kernel, train
from convstudio.ui.animator.learn_text import loss_text, rate_text
from convstudio.ui.animator.text import fmt

from .window_state import press as _key


def _rebuilt(anim):
    anim.model.rebuild()  # the workspace's kernel edit reaches the animator on the next event
    QApplication.processEvents()


def test_keys_step_back_through_the_glyphs_network(window, anim, qtbot):
    m = anim.model
    window.model.set_params(activation="relu")
    _rebuilt(anim)
    anim.setFocus()
    _key(qtbot, anim, Qt.Key.Key_R)           # not in the conv phase: the kernel stays
    assert "press 3 first" in anim.error_label.text()
    np.testing.assert_array_equal(window.model.kernel.effective, edge_kernel())
    _key(qtbot, anim, Qt.Key.Key_3)
    assert m.learning and anim.pages.currentWidget() is anim.learn_page
    _key(qtbot, anim, Qt.Key.Key_R)           # random start, as Keras starts a Conv2D
    _rebuilt(anim)
    np.testing.assert_array_equal(window.model.kernel.effective, glorot_kernel(3, 3, 1))
    assert anim.learn_phase.isChecked()
    trace = m.learn_trace()
    page = anim.learn_page
    assert f"learn 1 of {m.n_learn}" in anim.position.text()
    assert anim.scrubber.maximum() == m.n_learn - 1 == len(trace) - 1
    # Loss: each pooled cell's 2(p − t)/N, the pooled output beside it.
    _key(qtbot, anim, Qt.Key.Key_Right)
    step = trace.loss_step(1)
    r, c = step.out_pos
    text = page.arithmetic.text()
    assert f"∂L/∂p[{r}, {c}]" in text and f"= <b>{fmt(step.gradient)}</b>" in text
    assert f"N = {trace.dp.size}" in text
    assert page.left_grid.values[r, c] == pytest.approx(step.output, rel=1e-6)
    assert page.right_grid.overlay.filled == 2 and page.right_grid.overlay.current == (r, c)
    assert f"Loss <b>{loss_text(trace.loss)}</b>" in page.loss_label.text()
    np.testing.assert_array_equal(page.b_grid.values, trace.target)
    # Down moves a row of the stage's grid; End the update; Home back to the first loss cell.
    _key(qtbot, anim, Qt.Key.Key_Down)
    assert m.learn_cursor == 1 + trace.dp.shape[1]
    # The ReLU gate: the gradient passes only where the conv output was positive.
    m.learn_go_to(trace.start_of("gate"))
    blocked = int(np.flatnonzero(trace.fwd.y.ravel() <= 0)[0])
    m.learn_go_to(trace.start_of("gate") + blocked)
    gate = trace.gate_step(blocked)
    assert not gate.passed and "the gradient stops" in page.arithmetic.text()
    assert page.right_grid.overlay.filled == blocked + 1
    # A kernel tap: Σ input × upstream gradient, its value written into ∂L/∂w.
    m.learn_go_to(trace.start_of("taps") + 4)
    text = page.arithmetic.text()
    assert "∂L/∂w[1, 1]" in text and f"= <b>{fmt(float(trace.dkernel[1, 1]))}</b>" in text
    assert page.b_grid.overlay.current == (1, 1) and page.b_grid.overlay.filled == 5
    np.testing.assert_array_equal(page.b_grid.values, trace.dkernel)
    # ∂L/∂x: the transposed convolution with the kernel turned 180°, said on screen.
    m.learn_go_to(trace.start_of("dx") + 30)
    text = page.arithmetic.text()
    assert "transposed convolution" in text and "turned 180°" in text
    assert "Kernel turned 180°" in page.a_title.text()
    np.testing.assert_array_equal(page.a_grid.values, trace.kernel[::-1, ::-1])
    r, c = trace.inputs[30].in_pos
    assert f"= <b>{fmt(float(trace.dx[r, c]))}</b>" in text
    # The update: before and after on the kernel grids, the loss before and after.
    _key(qtbot, anim, Qt.Key.Key_End)
    assert m.learn_stage() == ("update", 0)
    assert "Update" in anim.position.text()
    np.testing.assert_array_equal(page.left_grid.values, trace.kernel)
    np.testing.assert_array_equal(page.right_grid.values, trace.kernel_after)
    text = page.arithmetic.text()
    assert f"η = {rate_text(trace.lr)}" in text
    assert (f"w[0, 0]: {fmt(float(trace.kernel[0, 0]))} − {rate_text(trace.lr)} × "
            in text)
    assert f"<b>{fmt(float(trace.kernel_after[0, 0]))}</b>" in text
    assert (f"Loss before <b>{loss_text(trace.loss)}</b> → after "
            f"<b>{loss_text(trace.loss_after)}</b>") in text
    # T takes that step: the workspace's kernel is the one shown as "after".
    _key(qtbot, anim, Qt.Key.Key_T)
    np.testing.assert_allclose(window.model.kernel.effective, trace.kernel_after, rtol=1e-6)
    assert f"loss {loss_text(trace.loss)} → {loss_text(trace.loss_after)}" in m.train_note
    _rebuilt(anim)
    assert m.learning and m.learn_stage() == ("update", 0)
    assert m.train_note in page.loss_label.text()
    _key(qtbot, anim, Qt.Key.Key_Home)
    assert m.learn_cursor == 0
    # Ctrl+Z on the workspace undoes the step.
    window.model.undo_stack.undo()
    np.testing.assert_array_equal(window.model.kernel.effective, glorot_kernel(3, 3, 1))
    _key(qtbot, anim, Qt.Key.Key_1)
    assert not m.learning and m.in_conv and anim.pages.currentWidget() is anim.conv_page


def test_fifty_steps_make_an_edge_detector_and_lower_the_loss(window, anim, qtbot):
    m = anim.model
    anim.setFocus()
    _key(qtbot, anim, Qt.Key.Key_3)
    _key(qtbot, anim, Qt.Key.Key_R)
    _rebuilt(anim)
    first = m.learn_trace().loss
    _key(qtbot, anim, Qt.Key.Key_F)
    _rebuilt(anim)
    trace = m.learn_trace()
    assert trace.loss < 0.01 * first
    kernel = window.model.kernel.effective
    assert np.corrcoef(kernel.ravel(), edge_kernel().ravel())[0, 1] > 0.9
    assert len(m.loss_history) == 51 and m.loss_history[0] == pytest.approx(first, rel=1e-6)
    assert "50 steps taken" in anim.learn_page.loss_label.text()
    np.testing.assert_array_equal(anim.learn_page.a_grid.values, kernel)
    # The conv phase shows the learned kernel: one kernel, the workspace's.
    _key(qtbot, anim, Qt.Key.Key_1)
    np.testing.assert_array_equal(anim.conv_page.kernel_grid.values, kernel)


def test_a_large_source_trains_off_the_gui_thread(window, anim, qtbot):
    m = anim.model
    m.set_source_kind("image")                      # the 512² photo
    m.random_start()
    _rebuilt(anim)
    assert m.enter_learn()
    before = window.model.kernel.effective.copy()
    trace = m.learn_trace()
    expected, _ = train(trace.x, trace.kernel, trace.target, trace.setup, trace.lr, 2)
    with qtbot.waitSignal(m.trainingChanged, timeout=5000) as started:
        m.train_steps(2)
    assert started.args == [True]
    assert not anim.learn_page.train_one.isEnabled()
    m.train_steps(1)                                 # refused while training
    assert "Still training" in anim.error_label.text()
    np.testing.assert_array_equal(window.model.kernel.effective, before)
    qtbot.waitUntil(lambda: not m.training, timeout=60000)
    assert anim.learn_page.train_one.isEnabled()
    after = window.model.kernel.effective
    assert not np.array_equal(after, before)
    np.testing.assert_allclose(after, expected, rtol=1e-6)  # the same two steps, elsewhere
    assert "2 steps taken" in m.train_note


def test_learn_refuses_a_colour_source_and_keeps_the_phase(window, anim, qtbot):
    m = anim.model
    window.model.set_channel("all")
    _rebuilt(anim)
    anim.setFocus()
    _key(qtbot, anim, Qt.Key.Key_Right)
    step = m.cursor.step
    _key(qtbot, anim, Qt.Key.Key_3)
    assert not m.learning and m.cursor.step == step
    assert "one-channel source" in anim.error_label.text()
    assert anim.conv_phase.isChecked() and anim.pages.currentWidget() is anim.conv_page
    qtbot.mouseClick(anim.learn_phase, Qt.MouseButton.LeftButton)
    assert not m.learning and anim.conv_phase.isChecked()
    m.train_steps(1)
    assert "one-channel source" in anim.error_label.text()
    _key(qtbot, anim, Qt.Key.Key_T)
    assert "Learn phase" in anim.error_label.text()


def test_the_target_is_the_same_network_with_the_edge_kernel(window, anim):
    m = anim.model
    _rebuilt(anim)
    assert m.enter_learn()
    trace = m.learn_trace()
    # The default kernel is Sobel x itself: nothing to learn, and the page says what to do.
    assert trace.loss == 0.0
    assert "Random start" in anim.learn_page.loss_label.text()
    np.testing.assert_array_equal(trace.target,
                                  forward(m.source, edge_kernel(), m.learn_setup()).p)


def test_exporting_the_run_from_learn_exports_the_conv_and_pool_steps(window, anim, qtbot,
                                                                       tmp_path):
    m = anim.model
    window.model.set_params(stride=(4, 4))  # a short run: 7×7 conv steps, 3×3 pool steps
    m.random_start()
    _rebuilt(anim)
    assert m.enter_learn(3)
    exporter = anim.exporter
    with qtbot.waitSignal(exporter.finished, timeout=30000):
        assert exporter.start("frames", tmp_path / "frames")
    frames = sorted((tmp_path / "frames").glob("frame_*.png"))
    assert len(frames) == exporter.frame_count() == m.n_conv + m.n_pool
    assert m.learning and m.learn_cursor == 3  # back where it was


def test_a_colour_source_chosen_in_learn_goes_back_to_the_conv_steps(window, anim, qtbot):
    m = anim.model
    assert m.enter_learn()
    anim.source.setCurrentIndex(anim.source.findData("toy-rgb"))
    QApplication.processEvents()
    assert not m.learning and anim.pages.currentWidget() is anim.conv_page
    assert anim.conv_phase.isChecked()
    # A layer of filters, not a colour channel to pick: the message says which sources learn.
    assert "layer of several filters" in anim.error_label.text()
    assert "Workspace" not in anim.error_label.text()
