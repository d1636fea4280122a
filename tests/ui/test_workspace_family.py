"""Issue 18: the workspace's conv family modes, driven through the parameters panel."""

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from convstudio.core import conv2d_transpose, depthwise_conv2d, separable_conv2d
from convstudio.core.costs import layer_cost
from convstudio.core.pipeline_family import cost_text, transpose_formulas
from convstudio.ui.lessons import apply, capture

from .window_state import settle


def _type_into_box(qtbot, box, text):
    box.setFocus()
    box.lineEdit().selectAll()
    qtbot.keyClicks(box, text)
    qtbot.keyClick(box, Qt.Key.Key_Return)


def _choose(qtbot, window, family):
    window.workspace.params_panel.family.setCurrentText(family)
    settle(qtbot, window)


def _rows_shown(panel):
    return {"output padding": not panel.op_row.isHidden(),
            "depth multiplier": not panel.depth_multiplier.isHidden(),
            "map": not panel.output_map.isHidden()}


def test_transposed_mode_shows_conv2d_transpose_its_formula_and_counts(window, qtbot):
    ws, model = window.workspace, window.model
    panel = ws.params_panel
    assert _rows_shown(panel) == {"output padding": False, "depth multiplier": False,
                                  "map": False}
    _choose(qtbot, window, "transposed")
    assert _rows_shown(panel)["output padding"] and not _rows_shown(panel)["depth multiplier"]
    _type_into_box(qtbot, panel.stride_h, "2")
    _type_into_box(qtbot, panel.stride_w, "2")
    panel.padding.setCurrentText("same")
    panel.op_default.setChecked(False)
    _type_into_box(qtbot, panel.op_h, "1")
    settle(qtbot, window)
    p = model.params
    assert (p.family, p.stride, p.padding, p.output_padding) == (
        "transposed", (2, 2), "same", (1, 0))
    want = conv2d_transpose(model.source, model.effective_kernel[:, :, None, None],
                            stride=2, padding="same", output_padding=(1, 0))[:, :, 0]
    np.testing.assert_array_equal(ws.output_panel.data, want)  # the same core call
    assert want.shape == (1024, 1023) and ws.output_panel.shape_text == "1024×1023"
    banner = ws.banner.text()
    assert "output padding (1,0) → 1024×1023" in banner
    assert transpose_formulas((512, 512), (3, 3), p) in banner
    assert "H′: (512 − 1)·2 + 3 − 2·⌊3/2⌋ + 1 = 1024" in banner
    # The "?" beside the output works the same formula out, one axis a line.
    assert ws.size_example() == ("H′: (512 − 1)·2 + 3 − 2·⌊3/2⌋ + 1 = 1024<br>"
                                 "W′: (512 − 1)·2 + 3 − 2·⌊3/2⌋ + 0 = 1023")
    assert "adds your kernel × its value" in ws.connections.text()
    cost = layer_cost("transposed", (512, 512, 1), (3, 3), stride=2, padding="same",
                      output_padding=(1, 0))
    assert ws.cost.text() == cost_text(cost) == (
        "Parameters: 3·3·1·1 + 1 = 10 · multiply-adds: 512·512·1·3·3·1 = 2,359,296")
    # The output's pixels lie at their true size: half an input pixel each.
    assert ws.output_panel.placement[1] == (0.5, 0.5)


def test_depthwise_mode_on_the_rgb_image_shows_each_map(window, qtbot):
    ws, model = window.workspace, window.model
    panel = ws.params_panel
    ws.load_sample("astronaut")
    ws.channel.setCurrentText("all")
    _choose(qtbot, window, "depthwise")
    assert _rows_shown(panel) == {"output padding": False, "depth multiplier": True,
                                  "map": True}
    _type_into_box(qtbot, panel.depth_multiplier, "2")
    settle(qtbot, window)
    assert panel.output_map.maximum() == 6
    kernel = np.repeat(model.effective_kernel[..., None], 2, axis=3)
    want = depthwise_conv2d(model.source, kernel)
    np.testing.assert_array_equal(model.result.conv, want)
    np.testing.assert_array_equal(ws.output_panel.data, want[:, :, 0])
    _type_into_box(qtbot, panel.output_map, "4")
    assert model.output_map == 3
    np.testing.assert_array_equal(ws.output_panel.data, want[:, :, 3])
    assert ws.output_panel.name == "Depthwise map 4 of 6 (G)"
    np.testing.assert_array_equal(ws.pooled_panel.data, model.result.pooled[:, :, 3])
    assert "depthwise 3×3, depth multiplier 2, stride (1,1)" in ws.banner.text()
    assert "valid → 510×510×6 → max-pool 2×2 → 255×255×6" in ws.banner.text()
    assert "each channel's 2 maps are equal" in ws.connections.text()
    assert ws.cost.text() == "Parameters: 3·3·3·2 + 6 = 60 · multiply-adds: 510·510·6·3·3 = " \
        "14,045,400"
    _type_into_box(qtbot, panel.depth_multiplier, "1")  # three maps: map 4 is gone
    settle(qtbot, window)
    assert model.output_map == 0 and panel.output_map.maximum() == 3


def test_separable_mode_is_depthwise_then_a_pointwise_of_ones(window, qtbot):
    ws, model = window.workspace, window.model
    ws.load_sample("astronaut")
    ws.channel.setCurrentText("all")
    _choose(qtbot, window, "separable")
    assert _rows_shown(ws.params_panel) == {"output padding": False, "depth multiplier": True,
                                            "map": False}
    k = model.effective_kernel[..., None]
    want = separable_conv2d(model.source, k, np.ones((3, 1), np.float32))[:, :, 0]
    np.testing.assert_array_equal(ws.output_panel.data, want)
    assert ws.output_panel.name == "Separable output"
    assert "→ 510×510×3 → pointwise 1×1 (3 → 1) → 510×510" in ws.banner.text()
    assert ws.cost.text().startswith("Parameters: 3·3·3·1 + 3·1 + 1 = 31 ·")


def test_output_padding_not_below_the_stride_is_refused_and_the_state_kept(window, qtbot):
    ws, model = window.workspace, window.model
    panel = ws.params_panel
    _choose(qtbot, window, "transposed")
    panel.op_default.setChecked(False)  # output padding (0, 0)
    settle(qtbot, window)
    before, result = model.params, model.result
    assert before.output_padding == (0, 0)
    _type_into_box(qtbot, panel.op_w, "1")  # stride 1: output padding must be 0
    settle(qtbot, window)
    assert model.params == before and model.result is result
    assert "output padding must be smaller than the stride" in ws.error_label.text()
    assert "output padding must be smaller" in window.statusBar().currentMessage()
    assert panel.op_w.value() == 0  # the box shows it too
    np.testing.assert_array_equal(ws.output_panel.data, result.conv)
    with pytest.raises(ValueError, match="output padding must be smaller than the stride"):
        model.set_params(output_padding=(0, 1))
    assert model.params == before


def test_a_depth_multiplier_of_0_is_refused_with_its_range(window, qtbot):
    ws, model = window.workspace, window.model
    panel = ws.params_panel
    _choose(qtbot, window, "depthwise")
    before, result = model.params, model.result
    _type_into_box(qtbot, panel.depth_multiplier, "0")
    settle(qtbot, window)
    assert model.params == before and model.result is result
    assert "Depth multiplier: 0 is outside 1…8" in window.statusBar().currentMessage()
    with pytest.raises(ValueError, match="depth multiplier must be a whole number of at least 1"):
        model.set_params(depth_multiplier=0)
    assert model.params == before and panel.depth_multiplier.value() == 1


def test_a_kernel_larger_than_the_input_keeps_the_last_result(window, qtbot):
    ws, model = window.workspace, window.model
    _choose(qtbot, window, "separable")
    result = model.result
    model.resize(4, 4)
    model.set_kernel(np.ones((5, 5), np.float32))
    settle(qtbot, window)
    assert model.result is result and "Cannot compute" in ws.error_label.text()
    np.testing.assert_array_equal(ws.output_panel.data, result.conv)


def test_a_lesson_saves_and_restores_the_mode(window, qtbot):
    model = window.model
    model.set_params(family="transposed", stride=(2, 3), output_padding=(1, 2))
    settle(qtbot, window)
    lesson = capture(window)
    assert lesson.params.family == "transposed"
    model.set_params(family="standard", output_padding=None)
    settle(qtbot, window)
    apply(window, lesson)
    settle(qtbot, window)
    assert model.params == lesson.params
    panel = window.workspace.params_panel
    assert panel.family.currentText() == "transposed" and panel.op_w.value() == 2
    # (512 − 1)·2 + 3 + 1 rows and (512 − 1)·3 + 3 + 2 columns
    assert window.workspace.output_panel.data.shape == (1026, 1538)


@pytest.mark.slow
@pytest.mark.parametrize("family, changes", [
    ("transposed", {"stride": (2, 2), "padding": "same", "output_padding": (1, 0)}),
    ("transposed", {"stride": (2, 1), "padding": "valid"}),
    # TensorFlow's CPU Conv2DTranspose refuses a dilation: compared with zeros between taps
    ("transposed", {"stride": (2, 2), "padding": "same", "dilation": (2, 3)}),
    ("depthwise", {"depth_multiplier": 2, "stride": (2, 2), "padding": "same"}),
    ("separable", {"depth_multiplier": 2, "padding": "valid", "activation": "relu"}),
])
def test_compare_with_keras_uses_the_modes_layer(family, changes):
    from convstudio.core.pipeline import PipelineParams, run_pipeline
    from convstudio.ui.workspace.keras_compare import FLOAT32_AGREEMENT, keras_conv

    rng = np.random.default_rng(7)
    image = (rng.random((19, 23, 3)) * 255).astype(np.float32)
    kernel = np.repeat(rng.standard_normal((3, 3, 1)).astype(np.float32), 3, axis=2)
    params = PipelineParams(family=family, bias=0.75, pool="none", **changes)
    ours = run_pipeline(image, kernel, params).conv
    theirs = keras_conv(image, kernel, params)
    assert theirs.shape == ours.shape
    if family == "depthwise":
        uneven = PipelineParams(family=family, stride=(2, 1))
        with pytest.raises(ValueError, match="takes only equal strides"):
            keras_conv(image, kernel, uneven)
    np.testing.assert_allclose(ours, theirs, rtol=1e-5,
                               atol=FLOAT32_AGREEMENT * float(np.abs(theirs).max()))


@pytest.mark.parametrize("size", [(1024, 768), (1920, 1080)])
@pytest.mark.parametrize("family, changes", [
    ("transposed", {"stride": (2, 2), "padding": "same", "output_padding": (1, 1)}),
    ("depthwise", {"depth_multiplier": 2}),
])
def test_a_projected_mode_keeps_its_words_whole_and_most_of_the_room_for_the_picture(
        window, qtbot, size, family, changes):
    from convstudio.ui.theme import presentation

    ws, model = window.workspace, window.model
    model.set_channel("all")
    model.set_params(family=family, **changes)
    presentation().set_screen_height(size[1])
    presentation().set_projection(True, remember=False)
    try:
        window.resize(*size)
        settle(qtbot, window)
        for _ in range(4):
            QApplication.processEvents()
        cost = model.result.cost
        assert ws.cost.text() == f"{cost.params:,} parameters · {cost.mult_adds:,} multiply-adds"
        assert ws.cost.toolTip() == cost_text(cost)
        for label in (ws.banner, ws.connections, ws.cost):
            assert label.height() + 1 >= label.heightForWidth(label.width()), label.text()
        # The words above the images leave them half the picture's height at 1080 px and
        # 30 % at 768, with three channels (the standard mode's shorter words leave a half).
        share = ws.output_panel.graphics.height() / ws.main_visual.height()
        assert share >= (0.3 if size[1] < 1000 else 0.5), share
    finally:
        presentation().set_projection(False, remember=False)
        presentation().set_screen_height(0)
    QApplication.processEvents()
    assert ws.cost.text() == cost_text(model.result.cost)
