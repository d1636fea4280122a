"""Show code in the conv family modes: the printed transposed, depthwise and separable programs run
as pasted and agree with the app's pipeline (exactly for whole-number kernels on whole-number
images, to float32 rounding otherwise; Keras to 1e-5)."""

import dataclasses

import numpy as np
import pytest

from convstudio.core import get_preset
from convstudio.core.codegen import Source, numpy_code, program, save_input
from convstudio.core.pipeline import PipelineParams, run_pipeline

from .test_codegen import _app, _run_programs

SOBEL_X = get_preset("sobel_x").array
LAPLACIAN = get_preset("laplacian").array
ODD = np.array([[0.3, -1.25, 2.0], [0.7, 0.1, -0.45]], np.float32)   # 2×3, sums to 1.4


def _inputs(tmp_path):
    from PIL import Image

    rng = np.random.default_rng(18)
    photo = tmp_path / "photo.png"
    Image.fromarray(rng.integers(0, 256, (41, 57, 3), dtype=np.uint8)).save(photo)
    drawn = save_input(rng.random((23, 19, 3)).astype(np.float32) * 255, tmp_path / "drawn.npy")
    return Source("file", str(photo)), Source("npy", str(drawn))


def _settings(tmp_path):
    """(name, source, channel, kernel, use_weight, params, exact) for each mode's settings."""
    photo, drawn = _inputs(tmp_path)

    def tr(**kw):
        return PipelineParams(family="transposed", **kw)

    def dw(**kw):
        return PipelineParams(family="depthwise", **kw)

    def sep(**kw):
        return PipelineParams(family="separable", **kw)

    camera, glyph = Source("sample", "camera"), Source("sample", "glyph")
    return [
        ("tr-camera-stride2-same-op", camera, "luminance", SOBEL_X, True,
         tr(stride=(2, 2), padding="same", output_padding=(1, 1), pool="max"), True),
        ("tr-photo-all-stride21-dilation-relu", photo, "all", ODD, True,
         tr(stride=(2, 1), dilation=(2, 1), bias=-1.5, activation="relu", pool="avg"), False),
        ("tr-glyph-full-stride3-op", glyph, "luminance", LAPLACIAN, True,
         tr(stride=(3, 2), padding="full", output_padding=(2, 0), pool="none"), False),
        ("tr-drawn-red-pad-valid-default-op", drawn, "R", np.ones((2, 2)), False,
         tr(stride=(3, 3), padding=(1, 0), pool="max", pool_stride=(1, 1)), False),
        ("dw-camera-stride2-same-m2", camera, "luminance", SOBEL_X, True,
         dw(stride=(2, 2), padding="same", depth_multiplier=2, pool="max"), True),
        ("dw-photo-all-stride21-dilation-m3", photo, "all", ODD, True,
         dw(stride=(2, 1), dilation=(2, 2), depth_multiplier=3, bias=2.0, activation="relu",
            pool="avg"), False),
        ("sep-camera-same-m2", camera, "luminance", LAPLACIAN, True,
         sep(padding="same", depth_multiplier=2, pool="none"), True),
        ("sep-photo-all-stride2-pad-m2", photo, "all", np.ones((3, 3)), True,
         sep(stride=(2, 2), padding=(1, 2), depth_multiplier=2, bias=-3.0, pool="max"), False),
        ("sep-drawn-all-full-m1", drawn, "all", ODD, False,
         sep(padding="full", pool="avg", pool_size=(3, 3)), False),
    ]


def _scale(image, kernel, params):
    """The float32 rounding scale of a mode's conv: its largest sum of |pixel × weight|."""
    plain = dataclasses.replace(params, bias=0.0, activation="none", pool="none")
    return float(run_pipeline(np.abs(image), np.abs(kernel), plain).conv.max()) + abs(
        params.bias) + 1.0


def _assert_agrees(name, got, image, kernel, result, exact, rel):
    np.testing.assert_array_equal(got["image"], image, err_msg=name)
    scale = _scale(image, kernel, result.params)
    for key, want in (("conv", result.conv), ("pooled", result.pooled)):
        if want is None:
            assert key not in got, (name, key)
            continue
        assert got[key].shape == want.shape, (name, key, got[key].shape, want.shape)
        if exact:
            np.testing.assert_array_equal(got[key], want, err_msg=f"{name} {key}")
        else:
            assert np.abs(got[key] - want).max() <= rel * scale, (name, key)


def test_family_numpy_programs_run_as_pasted_and_agree_with_the_app(tmp_path):
    settings = _settings(tmp_path)
    programs = {name: program("numpy", source=src, channel=ch, kernel=k, use_weight=w,
                              params=p)
                for name, src, ch, k, w, p, _ in settings}
    for name, code in programs.items():
        assert "convstudio" not in code.split('"""', 2)[2], name  # NumPy and friends only
        assert "as Keras' Conv2D computes it" not in code, name  # not the standard program
    assert "Conv2DTranspose" in programs["tr-glyph-full-stride3-op"]
    assert "SeparableConv2D begins" in programs["sep-camera-same-m2"]
    assert "pointwise" in programs["sep-camera-same-m2"]
    assert "pointwise" not in programs["dw-camera-stride2-same-m2"]
    got = _run_programs(tmp_path, programs, timeout=240)
    for name, src, ch, k, w, p, exact in settings:
        image, kernel, result = _app(src, ch, k, w, p)
        _assert_agrees(name, got[name], image, kernel, result, exact, 1e-6)
        np.testing.assert_array_equal(got[name]["kernel"], kernel if kernel.ndim == 2
                                      else kernel[:, :, 0], err_msg=name)
    assert got["dw-camera-stride2-same-m2"]["conv"].shape == (256, 256, 2)
    assert got["tr-camera-stride2-same-op"]["conv"].shape == (1024, 1024)  # (512 − 1)·2 + 1 + 1


def test_one_channel_transposed_program_is_the_cores_sum_bit_for_bit():
    image = np.random.default_rng(3).random((30, 41)).astype(np.float32) * 255
    params = PipelineParams(family="transposed", stride=(2, 3), padding="same",
                            output_padding=(1, 2), bias=0.25, pool="none")
    ns = {"image": image.copy()}
    exec(numpy_code(image.shape, ODD, params), ns)  # noqa: S102 (runs the listing)
    np.testing.assert_array_equal(ns["conv"], run_pipeline(image, ODD, params).conv)


@pytest.mark.parametrize("family, words", [
    ("transposed", "crops: 0 top, 1 bottom"),
    ("depthwise", "each channel filtered on its own"),
    ("separable", "step 2, the pointwise 1×1 conv"),
])
def test_each_mode_prints_its_own_steps_and_banner(family, words):
    params = PipelineParams(family=family, stride=(2, 2), padding="same", depth_multiplier=2)
    code = program("numpy", source=Source("sample", "glyph"), kernel=SOBEL_X, params=params)
    assert words in code
    banner = code.split('"""')[1]
    want = run_pipeline(np.zeros((28, 28), np.float32), SOBEL_X, params).banner
    assert banner.split("\n")[-1] == want


def test_a_family_setting_that_cannot_run_is_refused_by_name():
    with pytest.raises(ValueError, match="output_padding must be smaller than the stride"):
        program("numpy", source=Source("sample", "glyph"), kernel=SOBEL_X,
                params=PipelineParams(family="transposed", output_padding=(1, 1)))
    # A kernel larger than the image: refused for depthwise, fine for transposed.
    big = np.ones((7, 7))
    with pytest.raises(ValueError, match="larger than"):
        program("keras", source=Source("sample", "glyph"), kernel=big,
                params=PipelineParams(family="depthwise", dilation=(5, 5)))
    code = program("numpy", source=Source("sample", "glyph"), kernel=big,
                   params=PipelineParams(family="transposed", dilation=(5, 5)))
    assert "full = np.zeros((58, 58)" in code  # (28 − 1) + 5·(7 − 1) + 1
    # The panel's older form prints what it can: a program that stops and says why.
    code = numpy_code((28, 28), SOBEL_X, PipelineParams(family="transposed",
                                                        output_padding=(1, 1)))
    last = code.strip().splitlines()[-1]
    assert last.startswith('raise SystemExit("this setting cannot run: output_padding must')
    assert "(this setting cannot run: output_padding" in code.split('"""')[1]


def test_the_keras_programs_name_the_modes_layer_and_tensorflows_limits():
    glyph = Source("sample", "glyph")
    tr = program("keras", source=glyph, kernel=SOBEL_X, params=PipelineParams(
        family="transposed", stride=(2, 2), padding="same", output_padding=(1, 1)))
    assert ('keras.layers.Conv2DTranspose(1, (3, 3), strides=(2, 2), padding="same", '
            'output_padding=(1, 1)') in tr
    assert "(height, width, output filters F, input channels C)" in tr
    dw = program("keras", source=glyph, kernel=SOBEL_X, params=PipelineParams(
        family="depthwise", stride=(2, 1), depth_multiplier=2))
    assert "takes only equal strides on both axes, not (2, 1)" in dw
    assert "DepthwiseConv2D((3, 3), strides=(1, 1)" in dw and "depth_multiplier=2" in dw
    sep = program("keras", source=glyph, kernel=SOBEL_X, params=PipelineParams(
        family="separable", dilation=(2, 2), depth_multiplier=3))
    assert "SeparableConv2D(1, (3, 3)" in sep and "np.ones((1, 1, 3, 1)" in sep
    dil = program("keras", source=glyph, kernel=SOBEL_X, params=PipelineParams(
        family="transposed", dilation=(2, 2)))
    assert "has no dilation on the CPU" in dil and "dilated[::2, ::2] = kernel" in dil


@pytest.mark.slow
def test_family_keras_programs_run_as_pasted_and_agree_with_the_app(tmp_path):
    photo, drawn = _inputs(tmp_path)
    glyph = Source("sample", "glyph")
    settings = [
        ("tr", photo, "all", ODD, True, PipelineParams(
            family="transposed", stride=(2, 2), padding="same", output_padding=(1, 1),
            dilation=(1, 2), bias=0.5, activation="relu", pool="max"), False),
        ("tr-full", glyph, "luminance", LAPLACIAN, True, PipelineParams(
            family="transposed", stride=(3, 2), padding="full", pool="avg"), False),
        ("dw", drawn, "all", SOBEL_X, True, PipelineParams(
            family="depthwise", stride=(2, 1), padding="same", depth_multiplier=2, bias=-1.0,
            pool="max"), False),
        ("sep", photo, "luminance", ODD, False, PipelineParams(
            family="separable", stride=(1, 2), padding=(2, 1), depth_multiplier=2,
            pool="none"), False),
        ("sep-same", drawn, "all", LAPLACIAN, True, PipelineParams(
            family="separable", stride=(2, 2), padding="same", depth_multiplier=3, bias=4.0,
            activation="relu", pool="avg"), False),
    ]
    programs = {name: program("keras", source=src, channel=ch, kernel=k, use_weight=w,
                              params=p)
                for name, src, ch, k, w, p, _ in settings}
    got = _run_programs(tmp_path, programs, timeout=420)
    for name, src, ch, k, w, p, _ in settings:
        image, kernel, result = _app(src, ch, k, w, p)
        _assert_agrees(name, got[name], image, kernel, result, False, 1e-5)
