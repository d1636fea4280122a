"""The workspace pipeline's conv family modes: the core functions' numbers, counts and words."""

import numpy as np
import pytest

from convstudio import lessons as L
from convstudio.core import conv2d, conv2d_transpose, depthwise_conv2d, separable_conv2d
from convstudio.core.costs import layer_cost
from convstudio.core.pipeline import PipelineParams, check_workspace_limits, run_pipeline
from convstudio.core.pipeline_family import transpose_formulas
from convstudio.core.transpose_shape import conv_transpose_output_shape

RNG = np.random.default_rng(18)
IMAGE = (RNG.random((17, 21, 3)) * 255).astype(np.float32)
KERNEL = RNG.standard_normal((3, 2)).astype(np.float32)
K3 = np.repeat(KERNEL[:, :, None], 3, axis=2)


@pytest.mark.parametrize("stride, padding, output_padding", [
    ((2, 2), "same", (1, 1)), ((2, 3), "valid", None), ((1, 1), (1, 0), None),
    ((3, 2), "full", (2, 0))])
def test_transposed_mode_is_conv2d_transpose_with_the_kernel_on_every_channel(
        stride, padding, output_padding):
    params = PipelineParams(family="transposed", stride=stride, padding=padding,
                            output_padding=output_padding, bias=1.5, pool="none")
    r = run_pipeline(IMAGE, K3, params)
    want = conv2d_transpose(IMAGE, KERNEL[:, :, None, None].repeat(3, axis=3), stride=stride,
                            padding=padding, output_padding=output_padding, bias=1.5)[:, :, 0]
    np.testing.assert_array_equal(r.conv, want)  # the same core call
    h, w = conv_transpose_output_shape((17, 21), (3, 2), stride=stride, padding=padding,
                                       output_padding=output_padding)
    assert r.conv.shape == (h, w)
    assert f"→ {h}×{w} (" in r.banner and transpose_formulas((17, 21), (3, 2), params) in r.banner
    assert r.cost == layer_cost("transposed", (17, 21, 3), (3, 2), 1, stride=stride,
                                padding=padding, output_padding=output_padding)
    assert "adds your kernel × its value" in r.note and "3 channels' sums add" in r.note


def test_transpose_formula_shows_the_output_padding():
    params = PipelineParams(family="transposed", stride=(2, 2), padding="valid",
                            output_padding=(1, 0))
    assert transpose_formulas((5, 5), (3, 3), params) == (
        "H′: (5 − 1)·2 + 3 + 1 = 12; W′: (5 − 1)·2 + 3 + 0 = 11")
    params = PipelineParams(family="transposed", stride=(2, 2), padding="same")
    assert transpose_formulas((5, 5), (3, 3), params) == "H′ = W′: 5·2 = 10"


@pytest.mark.parametrize("m", [1, 3])
def test_depthwise_mode_filters_each_channel_with_the_kernel_m_times(m):
    params = PipelineParams(family="depthwise", depth_multiplier=m, stride=(2, 1),
                            padding="same", bias=-2.0, pool="max")
    r = run_pipeline(IMAGE, K3, params)
    want = depthwise_conv2d(IMAGE, np.repeat(K3[..., None], m, axis=3), stride=(2, 1),
                            padding="same", bias=-2.0)
    np.testing.assert_array_equal(r.conv, want)
    assert r.conv.shape == (9, 21, 3 * m) and r.pooled.shape == (4, 10, 3 * m)
    # Map c·M + m is channel c filtered by the kernel: the ordinary conv of that channel.
    np.testing.assert_allclose(r.conv[:, :, 3 * m - 1],
                               conv2d(IMAGE[:, :, 2], KERNEL, stride=(2, 1), padding="same")
                               - 2.0, rtol=1e-5, atol=1e-5 * 255 * 6)
    assert f"depth multiplier {m}" in r.banner and f"same → 9×21×{3 * m} → max-pool" in r.banner
    assert r.cost.params == 3 * 2 * 3 * m + 3 * m
    assert r.cost == layer_cost("depthwise", (17, 21, 3), (3, 2), stride=(2, 1),
                                padding="same", depth_multiplier=m)


def test_separable_mode_with_ones_pointwise_equals_the_standard_conv_on_all_channels():
    params = PipelineParams(family="separable", padding="valid", bias=0.5, pool="none")
    r = run_pipeline(IMAGE, K3, params)
    want = separable_conv2d(IMAGE, K3[..., None], np.ones((3, 1), np.float32), bias=0.5)
    np.testing.assert_array_equal(r.conv, want[:, :, 0])
    standard = run_pipeline(IMAGE, K3, PipelineParams(bias=0.5, pool="none"))
    np.testing.assert_allclose(r.conv, standard.conv, rtol=1e-5, atol=1e-5 * 255 * 18)
    assert "pointwise 1×1 (3 → 1)" in r.banner and "weights all 1" in r.note
    assert r.cost.params_text == "3·2·3·1 + 3·1 + 1 = 22"


def test_standard_mode_counts_its_one_filter():
    r = run_pipeline(IMAGE[:, :, 0], KERNEL, PipelineParams(pool="none"))
    assert r.cost.params_text == "3·2·1·1 + 1 = 7" and r.note == ""
    assert r.cost.mult_adds == 15 * 20 * 3 * 2


def test_bad_family_inputs_name_what_is_wrong():
    with pytest.raises(ValueError, match="depth multiplier must be a whole number of at least 1"):
        PipelineParams(family="depthwise", depth_multiplier=0)
    with pytest.raises(ValueError, match="family must be one of standard, transposed"):
        PipelineParams(family="dilated")
    with pytest.raises(ValueError, match="output padding must be smaller than the stride"):
        check_workspace_limits(PipelineParams(family="transposed", stride=(2, 1),
                                              output_padding=(1, 1)))
    with pytest.raises(ValueError, match="depth multiplier must be 1…8"):
        check_workspace_limits(PipelineParams(family="depthwise", depth_multiplier=9))
    with pytest.raises(ValueError, match="kernel spans 2 channel"):
        run_pipeline(IMAGE, K3[:, :, :2], PipelineParams(family="depthwise"))
    with pytest.raises(ValueError, match="kernel spans 3 channel"):
        run_pipeline(IMAGE[:, :, 0], K3, PipelineParams(family="transposed"))


def test_lessons_keep_the_mode_and_old_lessons_load_as_standard(tmp_path):
    params = PipelineParams(family="transposed", stride=(2, 2), output_padding=(1, 0))
    lesson = L.Lesson(title="T", kernel=np.ones((3, 3), np.float32), params=params)
    back = L.read(L.write(lesson, tmp_path / "t"))
    assert back.params == params
    doc = lesson.to_json()
    for key in ("family", "output_padding", "depth_multiplier"):
        del doc["workspace"]["params"][key]
    assert L.parse(doc).params == PipelineParams(stride=(2, 2))
    doc["workspace"]["params"].update(family="transposed", output_padding=[2, 0])
    with pytest.raises(L.LessonError, match="output padding must be smaller than the stride"):
        L.parse(doc)
    doc["workspace"]["params"].update(family="depthwise", output_padding=None,
                                      depth_multiplier=0)
    with pytest.raises(L.LessonError, match="depth_multiplier must be 1…8, got 0"):
        L.parse(doc)
