"""Issue 17: Show code runs as pasted — the printed programs load their own input, convert it as
the app does, and agree with the core pipeline (exactly for whole-number kernels on
whole-number images, to float32 rounding otherwise; Keras to 1e-5)."""

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from PIL import Image

from convstudio.core import (
    conv2d,
    get_preset,
    load_image,
    luminance,
    normalisation_weight,
    sample_image,
)
from convstudio.core.codegen import Source, numpy_code, program, save_input
from convstudio.core.pipeline import PipelineParams, run_pipeline

LAPLACIAN = get_preset("laplacian").array
SOBEL_X = get_preset("sobel_x").array
ODD = np.array([[0.3, -1.25, 2.0], [0.7, 0.1, -0.45]], np.float32)   # 2×3, sums to 1.4


def _files(tmp_path):
    rng = np.random.default_rng(7)
    photo = tmp_path / "photo.png"
    Image.fromarray(rng.integers(0, 256, (41, 57, 3), dtype=np.uint8)).save(photo)
    rgba = tmp_path / "logo.png"
    pixels = rng.integers(0, 256, (30, 33, 4), dtype=np.uint8)
    Image.fromarray(pixels, "RGBA").save(rgba)
    grey = tmp_path / "grey.png"
    Image.fromarray(rng.integers(0, 256, (64, 48), dtype=np.uint8), "L").save(grey)
    drawn = save_input(rng.random((20, 25, 3)).astype(np.float32) * 255, tmp_path / "drawn.npy")
    return photo, rgba, grey, drawn


def _settings(tmp_path):
    """(name, source, channel, kernel, use_weight, params, exact) for every setting tested."""
    photo, rgba, grey, drawn = _files(tmp_path)
    P = PipelineParams
    return [
        ("camera-valid-max", Source("sample", "camera"), "luminance", SOBEL_X, True,
         P(pool="max"), True),
        ("camera-blur-stride-avg", Source("sample", "camera"), "luminance", np.ones((3, 3)),
         True, P(stride=(2, 1), pool="avg"), False),
        ("astronaut-same-relu", Source("sample", "astronaut"), "luminance", LAPLACIAN, True,
         P(padding="same", activation="relu", bias=-2.5, pool="max"), False),
        ("coins-full-odd", Source("sample", "coins"), "luminance", ODD, True,
         P(padding="full", pool="none"), False),
        ("photo-all-dilation", Source("file", str(photo)), "all", SOBEL_X, True,
         P(dilation=(2, 1), stride=(1, 2), pool="max", pool_size=(3, 2)), True),
        ("rgba-green-crop", Source("file", str(rgba), edits=(("crop", (3, 4, 20, 25)),)), "G",
         LAPLACIAN, True, P(padding=(2, 1), pool="avg", pool_stride=(1, 1)), False),
        ("grey-shrunk-resized", Source("file", str(grey), shrink_to=(40, 30),
                                       edits=(("resize", (50, 35)),)),
         "luminance", ODD, False, P(padding="same", stride=(2, 2), pool="none"), False),
        ("glyph-same-stride-dilation", Source("sample", "glyph"), "luminance", LAPLACIAN, True,
         P(padding="same", stride=(2, 2), dilation=(2, 2), pool="max", pool_stride=(1, 1)),
         False),
        ("stripes-even-kernel-red", Source("sample", "stripes_vertical"), "R",
         np.ones((4, 4)), False, P(padding="same", pool="max"), True),
        ("drawn-npy-big-kernel", Source("npy", str(drawn)), "luminance",
         np.arange(49, dtype=np.float32).reshape(7, 7) - 24, True,
         P(padding="same", activation="relu"), False),
    ]


def _app(source, channel, entries, use_weight, params):
    """What the app computes: its own loading, channel and kernel rules, then run_pipeline."""
    if source.kind == "sample":
        rgb = sample_image(source.name, mode="rgb") * np.float32(255)
    elif source.kind == "npy":
        rgb = np.load(source.name).astype(np.float32)
    else:
        import cv2

        rgb01 = load_image(source.name, mode="rgb")
        if source.shrink_to:
            rgb01 = cv2.resize(rgb01, source.shrink_to[::-1], interpolation=cv2.INTER_AREA)
        rgb = rgb01 * np.float32(255)
        for edit, args in source.edits:
            if edit == "crop":
                t, left, h, w = args
                rgb = np.ascontiguousarray(rgb[t:t + h, left:left + w])
            else:
                rgb = cv2.resize(rgb, args[::-1], interpolation=cv2.INTER_AREA
                                 if args[0] * args[1] < rgb.shape[0] * rgb.shape[1]
                                 else cv2.INTER_LINEAR)
    image = {"luminance": luminance, "all": lambda a: a}.get(
        channel, lambda a: np.ascontiguousarray(a[:, :, "RGB".index(channel)]))(rgb)
    entries = np.asarray(entries, np.float32)
    weight = normalisation_weight(entries) if use_weight else 1.0
    kernel = (entries * np.float32(weight)).astype(np.float32)
    if image.ndim == 3:
        kernel = np.repeat(kernel[:, :, None], 3, axis=2)
    return image, kernel, run_pipeline(image, kernel, params)


def _run_programs(tmp_path, programs, timeout):
    """Run each program as pasted, in one fresh interpreter; return their variables."""
    paths = {}
    for name, code in programs.items():
        paths[name] = tmp_path / f"{name}.py"
        paths[name].write_text(code)
    driver = tmp_path / "driver.py"
    driver.write_text(textwrap.dedent(f"""
        import json, runpy, sys
        import numpy as np
        out = {{}}
        for name, path in json.loads({json.dumps(json.dumps({k: str(v) for k, v in
                                                             paths.items()}))}).items():
            ns = runpy.run_path(path, run_name="__main__")
            keep = {{k: np.asarray(ns[k]) for k in ("image", "kernel", "conv", "pooled",
                                                    "probabilities") if k in ns}}
            np.savez(path[:-3] + ".npz", **keep)
    """))
    done = subprocess.run([sys.executable, "-I", str(driver)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr[-3000:]
    return {name: dict(np.load(str(path)[:-3] + ".npz")) for name, path in paths.items()}


def _scale(image, kernel, bias):
    """The float32 rounding scale of a conv: the largest sum of |pixel × weight| it adds."""
    return float(conv2d(np.abs(image), np.abs(kernel), padding="full").max()) + abs(bias) + 1.0


def _assert_agrees(name, got, image, kernel, result, exact, rel):
    np.testing.assert_array_equal(got["image"], image, err_msg=name)
    scale = _scale(image, kernel, result.params.bias)
    for key, want in (("conv", result.conv), ("pooled", result.pooled)):
        if want is None:
            assert key not in got, (name, key)
            continue
        assert got[key].shape == want.shape, (name, key)
        if exact:
            np.testing.assert_array_equal(got[key], want, err_msg=f"{name} {key}")
        else:
            assert np.abs(got[key] - want).max() <= rel * scale, (name, key)


def test_numpy_programs_run_as_pasted_and_agree_with_the_app(tmp_path):
    settings = _settings(tmp_path)
    programs = {name: program("numpy", source=src, channel=ch, kernel=k, use_weight=w,
                              params=p)
                for name, src, ch, k, w, p, _ in settings}
    for code in programs.values():
        assert "convstudio" not in code.split('"""', 2)[2]  # needs only NumPy and friends
    got = _run_programs(tmp_path, programs, timeout=240)
    for name, src, ch, k, w, p, exact in settings:
        image, kernel, result = _app(src, ch, k, w, p)
        assert np.array_equal(src.load_rgb().shape[:2], image.shape[:2])
        _assert_agrees(name, got[name], image, kernel, result, exact, 1e-6)
        np.testing.assert_array_equal(got[name]["kernel"], kernel if kernel.ndim == 2
                                      else kernel[:, :, 0], err_msg=name)


@pytest.mark.slow
def test_keras_programs_run_as_pasted_and_agree_with_the_app(tmp_path):
    picked = ("camera-valid-max", "astronaut-same-relu", "coins-full-odd",
              "photo-all-dilation", "rgba-green-crop", "glyph-same-stride-dilation",
              "stripes-even-kernel-red")
    settings = [s for s in _settings(tmp_path) if s[0] in picked]
    programs = {name: program("keras", source=src, channel=ch, kernel=k, use_weight=w,
                              params=p)
                for name, src, ch, k, w, p, _ in settings}
    got = _run_programs(tmp_path, programs, timeout=420)
    for name, src, ch, k, w, p, _ in settings:
        image, kernel, result = _app(src, ch, k, w, p)
        _assert_agrees(name, got[name], image, kernel, result, False, 1e-5)


@pytest.mark.slow
def test_cnn_program_rebuilds_the_model_loads_it_and_predicts(tmp_path):
    from convstudio.training.models import ConvBlock, ModelConfig

    config = ModelConfig((ConvBlock(8, 3, True), ConvBlock(16, 5, False)), dense_units=24,
                         dropout=0.25, n_classes=10)
    saved = tmp_path / "model.keras"
    expected = tmp_path / "expected.npy"
    build = tmp_path / "build.py"
    build.write_text(textwrap.dedent(f"""
        import numpy as np
        from convstudio.core import sample_image, luminance
        from convstudio.training.models import ConvBlock, ModelConfig, build_model
        config = ModelConfig((ConvBlock(8, 3, True), ConvBlock(16, 5, False)),
                             dense_units=24, dropout=0.25, n_classes=10)
        model = build_model(config)
        model.save({str(saved)!r})
        glyph = sample_image("glyph")[None, :, :, None]
        np.save({str(expected)!r}, model.predict(glyph, verbose=0))
    """))
    done = subprocess.run([sys.executable, str(build)], capture_output=True, text=True,
                          timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    code = program("cnn", model=config, model_path=str(saved),
                   class_names=[f"class {i}" for i in range(10)])
    assert "load_weights" in code and 'Dropout(0.25, name="dropout")' in code
    got = _run_programs(tmp_path, {"cnn": code}, timeout=240)
    probs = got["cnn"]["probabilities"]
    np.testing.assert_allclose(probs, np.load(expected), rtol=0, atol=1e-5)
    assert probs.shape == (1, 10) and abs(float(probs.sum()) - 1) < 1e-5


def test_the_old_form_still_expects_an_image_variable():
    image = sample_image("camera")[:40, :50] * np.float32(255)
    params = PipelineParams(stride=(2, 1), padding="same", dilation=(1, 2), bias=-3.0,
                            activation="relu", pool="max")
    kernel = np.array([[1, 2, 0], [-1, 0.5, 3], [0, 0, -2]], np.float32)
    ns = {"image": image.copy()}
    exec(numpy_code(image.shape, kernel, params), ns)  # noqa: S102 (runs the listing)
    want = run_pipeline(image, kernel, params)
    np.testing.assert_array_equal(ns["conv"], want.conv)   # dilation: the core's NumPy sum
    np.testing.assert_array_equal(ns["pooled"], want.pooled)


def test_program_refuses_what_it_cannot_write():
    with pytest.raises(ValueError, match="kind"):
        program("julia", source=Source("sample", "camera"))
    with pytest.raises(ValueError, match="source"):
        program("numpy", kernel=SOBEL_X)
    with pytest.raises(ValueError, match="model"):
        program("cnn")
    with pytest.raises(ValueError, match="larger than"):
        program("numpy", source=Source("sample", "glyph"), kernel=np.ones((7, 7)),
                params=PipelineParams(dilation=(8, 8)))
    with pytest.raises(ValueError, match="no sample"):
        Source("sample", "nope")
    with pytest.raises(ValueError, match="crop"):
        Source("sample", "camera", edits=(("rotate", (1,)),))


def test_the_programs_show_the_lessons_weight_and_padding_rule():
    code = program("numpy", source=Source("sample", "camera"), kernel=np.ones((3, 3)),
                   params=PipelineParams(padding="same"))
    assert "weight = np.float32(0.11111111)" in code and "sum to 9" in code
    code = program("numpy", source=Source("sample", "camera"), kernel=np.ones((4, 4)),
                   use_weight=False, params=PipelineParams(padding="same"))
    assert "1 top, 2 bottom" in code and "odd pixel at the bottom/right" in code
    keras = program("keras", source=Source("sample", "camera"), kernel=SOBEL_X,
                    params=PipelineParams(stride=(2, 1), padding="same"))
    assert 'keras.layers.Conv2D(1, (3, 3), strides=(2, 1), padding="same"' in keras
    assert "set_weights" in keras and "pooled = pooled_batch[0" in keras
    cnn = program("cnn", model=_Config())
    assert "model.load_weights" in cnn and "Conv2D(32, (3, 3)" in cnn


class _Block:
    filters, kernel, pool = 32, 3, True


class _Config:
    blocks = (_Block(),)
    dense_units, dropout, n_classes = 128, 0.0, 10
