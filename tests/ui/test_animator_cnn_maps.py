"""The animator steps the Training tab's trained CNN: conv2 on conv1's maps, Keras' numbers."""

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from convstudio.core import conv_steps
from convstudio.core.animator_sources import TRAINED_SOURCE
from convstudio.ui.animator.text import fmt
from convstudio.ui.animator.trained import NO_NETWORK, TRAINING

from ..training.second_conv_setup import keras_conv2, tiny_cnn, tolerance
from .window_state import press

pytestmark = pytest.mark.slow


def _key(qtbot, anim, key, times=1):
    anim.setFocus()
    press(qtbot, anim, key, times)


def _choose(anim, kind):
    anim.source.setCurrentIndex(anim.source.findData(kind))
    QApplication.processEvents()


def _load(window, tmp_path, name="cnn.keras", seed=5, filters=(32, 64)):
    from convstudio.training.persist import save_model

    model = tiny_cnn(filters, seed=seed)
    path = save_model(model, {"loss": [0.5]}, tmp_path / name)
    assert window.training_model.load_from(str(path))
    QApplication.processEvents()
    return window.training_model.network


def test_without_a_trained_cnn_the_source_says_why_and_keeps_the_state(window, anim):
    m = anim.model
    _choose(anim, "toy-rgb")
    m.go_to(5)
    before = (m.source_kind, m.cursor, m.source.copy())
    i = anim.source.findData(TRAINED_SOURCE)
    assert anim.source.itemText(i) == "Trained CNN (train first)"
    assert anim.source.itemData(i, Qt.ItemDataRole.ToolTipRole) == NO_NETWORK
    anim.source.setCurrentIndex(i)
    QApplication.processEvents()
    assert (m.source_kind, m.cursor) == before[:2]
    np.testing.assert_array_equal(m.source, before[2])
    assert anim.source.currentData() == "toy-rgb"  # the combo went back
    assert anim.error_label.isVisible() and "No trained CNN yet" in anim.error_label.text()
    assert "No trained CNN yet" in window.statusBar().currentMessage()
    m.set_source_kind(TRAINED_SOURCE)  # a lesson or the command line: the same answer
    assert m.source_kind == "toy-rgb" and "Training tab" in window.statusBar().currentMessage()


def test_the_refusal_goes_once_a_network_is_there_or_the_teacher_moves_on(window, anim,
                                                                          tmp_path):
    m = anim.model
    _choose(anim, "toy-rgb")
    m.go_to(5)
    _choose(anim, TRAINED_SOURCE)
    assert "No trained CNN yet" in anim.error_label.text() and m.cursor.step == 5
    _load(window, tmp_path)  # trained (or loaded): "no network" no longer holds
    assert anim.error_label.text() == "" and not anim.error_label.isVisible()
    _choose(anim, TRAINED_SOURCE)
    assert m.source_kind == TRAINED_SOURCE and m.cursor.step == 0  # a new source: step 1
    m.go_to(40)
    assert m.enter_learn() is False and "layer of several filters" in anim.error_label.text()
    m.set_phase("conv")  # back to the steps: the refusal is answered
    assert anim.error_label.text() == "" and m.cursor.step == 0


def test_keys_step_conv2_of_the_loaded_cnn_as_keras_computes_it(window, anim, qtbot, tmp_path):
    network = _load(window, tmp_path)
    m, page = anim.model, anim.conv_page
    row = page.channels
    i = anim.source.findData(TRAINED_SOURCE)
    assert anim.source.itemText(i) == "Trained CNN's maps"
    window.model.set_params(activation="none")
    _choose(anim, TRAINED_SOURCE)
    assert m.source_kind == TRAINED_SOURCE and m.error == ""
    layer = m.trained
    from convstudio.core import sample_image

    before, after = keras_conv2(network, sample_image("glyph"))  # no dataset: the glyph
    np.testing.assert_array_equal(m.source, layer.maps)
    np.testing.assert_array_equal(m.conv.kernel, network.get_layer("conv2").get_weights()[0])
    tol = tolerance(layer)
    assert np.all(np.abs(m.conv.output - before) <= tol)
    assert m.n_conv == 11 * 11 * 64
    assert "13×13×32 → 11×11×64" in row.caption.text()
    assert "64 maps 11×11, each from 3×3×32 weights + a bias" in row.caption.text()
    assert "11×11×64:</b> conv2, 64 maps" in row.caption.text()
    assert "conv2 of the trained CNN on conv1's maps after its ReLU and pool1, of the 28×28 " \
        "glyph" in row.caption.toolTip()
    assert page.channel.count() == 32 and page.channel.itemText(7) == "input map 7"
    _key(qtbot, anim, Qt.Key.Key_Home)
    _key(qtbot, anim, Qt.Key.Key_Right, 14)
    _key(qtbot, anim, Qt.Key.Key_Down)  # one output row down: step 14 + 11
    step = m.conv_step()
    r, c = step.out_pos
    assert (step.filter, (r, c)) == (0, (2, 3))
    assert "output[2, 3, 0]" in anim.position.text()
    text = page.arithmetic.text()
    per = step.products.sum(axis=(0, 1), dtype=np.float64)
    # 32 channels: the shown one's sum and the other 31 together, then the running total.
    assert f"map 0: {fmt(per[0])} (shown), the other 31: {fmt(per.sum() - per[0])}" in text
    assert f"+map 31 {fmt(per.sum())}" in text and "→ … →" in text
    assert f"+ bias {fmt(layer.bias[0])}" in text
    assert abs(step.value - before[r, c, 0]) <= tol[r, c, 0]
    assert f"= <b>{fmt(step.value)}</b>" in text
    assert "Map 0 of 64: 11×11" in page.output_title.text()
    np.testing.assert_array_equal(page.kernel_grid.values, layer.kernel[:, :, 0, 0])
    np.testing.assert_allclose(page.products_grid.values, step.products[:, :, 0], rtol=1e-6)
    np.testing.assert_allclose(page.input_grid.values, layer.maps[:, :, 0], rtol=1e-6)
    # The tensors: a page of input maps, filters and output maps as the width allows, the
    # current ones lit.
    pc, pf, pm = (len(r) for r in row._pages)
    assert 2 <= pc <= 8 and 1 <= pf <= 4 and 2 <= pm <= 8
    assert row.input_strip._labels == [f"input: maps 0–{pc - 1} of 32"]
    assert len(row.input_strip._items[0]) == pc
    # The page's first filter says how many there are, as its first map does.
    assert row.kernel_strip._labels == ["filter 0 of 64"] + [f"filter {j}" for j in range(1, pf)]
    assert len(row.output_strip._items) == pm and row.output_strip._labels[0] == "map 0 of 64"
    assert row.input_strip.box == (2, 3, 3, 3) and row.kernel_strip.focus == (0, 0)
    # Input map 9: its numbers in the grids and its sum on the line; its page in the strips.
    page.channel.setCurrentIndex(9)
    QApplication.processEvents()
    np.testing.assert_array_equal(page.kernel_grid.values, layer.kernel[:, :, 9, 0])
    np.testing.assert_allclose(page.input_grid.values, layer.maps[:, :, 9], rtol=1e-6)
    text = page.arithmetic.text()
    assert "channel <b>map 9</b>" in text
    assert f"map 9: {fmt(per[9])} (shown)" in text and f"+map 9 {fmt(per[:10].sum())}" in text
    first = 9 // pc * pc
    assert row.input_strip._labels == [f"input: maps {first}–{first + pc - 1} of 32"]
    np.testing.assert_array_equal(row.input_strip._items[0][9 - first], m.conv.padded[:, :, 9])
    assert row.input_strip.focus == (0, 9 - first) and row.kernel_strip.focus == (0, 9 - first)
    # Past map 4's last cell the next filter fills the next map, on its page of the strips.
    m.go_to(121 * 5 - 1)
    _key(qtbot, anim, Qt.Key.Key_Right)
    step = m.conv_step()
    assert step.filter == 5 and step.out_pos == (0, 0)
    assert "Map 5 of 64" in page.output_title.text()
    np.testing.assert_allclose(page.output_grid.values, m.conv.output[:, :, 5], rtol=1e-6)
    assert np.all(np.abs(page.output_grid.values - before[:, :, 5]) <= tol[:, :, 5])
    f0, m0 = 5 // pf * pf, 5 // pm * pm
    assert row.kernel_strip._labels == ([f"filter {f0} of 64"]
                                        + [f"filter {j}" for j in range(f0 + 1, f0 + pf)])
    assert row.kernel_strip.focus == (5 - f0, 9 - first)
    assert row.output_strip.focus == (5 - m0, 0)
    np.testing.assert_array_equal(row.output_strip._items[5 - m0][0], m.conv.output[:, :, 5])
    assert "output[0, 0, 5]" in page.arithmetic.text()
    # With the ReLU option on, the written cells are the model's own conv2 output.
    anim.relu.setChecked(True)
    QApplication.processEvents()
    assert "after ReLU" in page.output_title.text()
    assert np.all(np.abs(page.output_grid.values - after[:, :, 5]) <= tol[:, :, 5])
    assert f"max(0, {fmt(m.conv_step().value)})" in page.arithmetic.text()
    # Learn trains one kernel: refused for the layer, with which sources it takes.
    step = m.cursor.step
    _key(qtbot, anim, Qt.Key.Key_3)
    assert not m.learning and m.cursor.step == step
    assert "layer of several filters" in anim.error_label.text()


def test_a_new_network_is_stepped_at_once_and_none_falls_back(window, anim, tmp_path):
    _load(window, tmp_path, "a.keras", seed=5)
    m = anim.model
    _choose(anim, "rgb")
    _choose(anim, TRAINED_SOURCE)
    first = m.conv.kernel.copy()
    network = _load(window, tmp_path, "b.keras", seed=9, filters=(8, 16))
    assert m.source_kind == TRAINED_SOURCE  # refreshed, not stale
    np.testing.assert_array_equal(m.conv.kernel, network.get_layer("conv2").get_weights()[0])
    assert m.conv.kernel.shape == (3, 3, 8, 16) and first.shape == (3, 3, 32, 64)
    assert "13×13×8 → 11×11×16" in anim.conv_page.channels.caption.text()
    assert anim.conv_page.channel.count() == 8
    # A run under way changes the weights every batch: the source leaves, saying why.
    tr = window.training_model
    tr.training_now = lambda: True
    tr.runPrepared.emit(True, 1)
    QApplication.processEvents()
    assert m.source_kind == "rgb" and TRAINING in anim.error_label.text()
    i = anim.source.findData(TRAINED_SOURCE)
    assert anim.source.itemText(i) == "Trained CNN (training…)"
    assert anim.source.itemData(i, Qt.ItemDataRole.ToolTipRole) == TRAINING
    tr.training_now = lambda: False
    tr.runEnded.emit()
    QApplication.processEvents()
    assert m.trained is not None and anim.source.itemText(i) == "Trained CNN's maps"
    assert "conv2 of the trained CNN on conv1's maps" in anim.source.itemData(
        i, Qt.ItemDataRole.ToolTipRole)
    _choose(anim, TRAINED_SOURCE)
    assert m.source_kind == TRAINED_SOURCE
    assert tr.reset()  # no network at all: back to the colour image, saying why
    QApplication.processEvents()
    assert m.source_kind == "rgb" and m.trained is None
    assert "No trained CNN yet" in window.statusBar().currentMessage()
    assert anim.source.currentData() == "rgb"


def test_the_dataset_s_first_test_image_is_the_probe_once_loaded(window, anim, tmp_path):
    network = _load(window, tmp_path)
    m = anim.model
    assert "glyph" in m.trained_about
    _choose(anim, TRAINED_SOURCE)
    glyph_maps = m.source.copy()
    from convstudio.training.datasets import load_idx_dataset
    from convstudio.training.inference import second_conv

    ds = load_idx_dataset("mnist")
    tr = window.training_model
    tr._on_loaded(ds)  # what a finished dataset load does
    QApplication.processEvents()
    assert m.trained_about == f"test image 0 ({ds.class_names[int(ds.y_test[0])]})"
    np.testing.assert_array_equal(m.trained.maps, second_conv(network, ds.x_test[0]).maps)
    steps = conv_steps(m.trained.maps, m.trained.kernel, bias=m.trained.bias)
    np.testing.assert_array_equal(m.conv.output, steps.output)  # the trace is of this image
    assert not np.array_equal(m.source, glyph_maps)
    assert "test image 0" in anim.conv_page.channels.caption.toolTip()
