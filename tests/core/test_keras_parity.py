"""Parity with Keras layers given the same weights (TensorFlow: slow, still run by make test).

Forward passes only: nothing here differentiates through TensorFlow. Shapes that crash
TensorFlow itself never reach it (see :func:`_tf_unsafe`); those are checked against the
NumPy/SciPy reference instead.
"""

import numpy as np
import pytest

from convstudio.core import avg_pool2d, conv2d, max_pool2d, sample_image

from .reference import reference_conv

pytestmark = pytest.mark.slow

keras = pytest.importorskip("keras")


def _tf_unsafe(kernel_hw, stride):
    """Whether TensorFlow's oneDNN kernels may corrupt the heap for this shape.

    TensorFlow 2.21 on AVX-512 CPUs aborts or segfaults for a 1×1 kernel with stride (2, 1)
    (seen with H=6, W=8, C=F=3, "valid"; in its Conv2DBackpropFilter, which shares oneDNN's
    strided 1×1 path with the forward pass). Every strided 1×1 kernel is kept away from it.
    """
    sh, sw = (stride, stride) if np.isscalar(stride) else stride
    return tuple(kernel_hw) == (1, 1) and (sh, sw) != (1, 1)


def _pair(v):
    return (v, v) if np.isscalar(v) else tuple(v)


def _numpy_conv(image, kernel, bias, stride, padding, dilation):
    """The SciPy reference for any channels and filters, in float64."""
    x = image if image.ndim == 3 else image[..., None]
    k = kernel if kernel.ndim == 4 else kernel.reshape(*kernel.shape[:2], x.shape[2], 1)
    b = np.broadcast_to(np.asarray(bias, np.float64), (k.shape[3],))
    out = np.stack([sum(reference_conv(x[..., c], k[:, :, c, f], _pair(stride), padding,
                                       _pair(dilation)) for c in range(x.shape[2])) + b[f]
                    for f in range(k.shape[3])], axis=-1)
    return out if kernel.ndim == 4 else out[..., 0]


def _keras_conv(image, kernel, bias, stride, padding, dilation):
    assert not _tf_unsafe(kernel.shape[:2], stride), "this shape must not reach TensorFlow"
    x = image if image.ndim == 3 else image[..., None]
    k = kernel if kernel.ndim == 4 else kernel.reshape(*kernel.shape[:2], x.shape[2], 1)
    layer = keras.layers.Conv2D(k.shape[3], k.shape[:2], strides=stride, padding=padding,
                                dilation_rate=dilation)
    layer.build((1, *x.shape))
    layer.set_weights([k, np.broadcast_to(np.float32(bias), (k.shape[3],)).copy()])
    out = np.asarray(layer(x[None].astype(np.float32)))[0]
    return out if kernel.ndim == 4 else out[..., 0]


def _rel_close(got, ref):
    scale = max(1.0, float(np.abs(ref).max()))
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-5 * scale)


CONV_CASES = [
    # (image shape, kernel shape, stride, padding, dilation, bias)
    ((512, 512), (3, 3), (2, 1), "valid", 1, 0.0),   # the lesson: → 255×510
    ((512, 512), (3, 3), 1, "same", 1, 0.0),         # → 512×512
    ((31, 29), (4, 4), 2, "same", 1, 0.25),          # even kernel, stride 2, same
    ((30, 30), (2, 3), (2, 3), "same", 1, -1.0),
    ((25, 27), (3, 3), 1, "same", 2, 0.5),           # dilation
    ((25, 27), (3, 2), 1, "valid", (2, 3), 0.0),
    ((20, 21, 3), (3, 3, 3), (1, 2), "same", 1, 0.1),  # RGB, one filter
    ((16, 16, 5), (5, 5, 5, 7), 2, "valid", 1, 0.0),   # C in, F out
    ((14, 14, 32), (3, 3, 32, 64), 1, "valid", 1, 0.0),  # the lessons' 32 → 64 layer
    ((28, 28), (7, 7), 1, "same", 1, 0.0),
]


@pytest.mark.parametrize("case", CONV_CASES, ids=lambda c: f"{c[0]}*{c[1]}-s{c[2]}-{c[3]}-d{c[4]}")
def test_conv2d_equals_keras_conv2d(case):
    shape, kshape, stride, padding, dilation, bias = case
    rng = np.random.default_rng(hash(str(case)) % 2**32)
    image = sample_image("camera") if shape == (512, 512) else rng.random(shape, np.float32)
    kernel = rng.standard_normal(kshape).astype(np.float32)
    if len(kshape) == 4:
        bias = rng.standard_normal(kshape[3]).astype(np.float32)
    ours = conv2d(image, kernel, stride=stride, padding=padding, dilation=dilation, bias=bias)
    ref = _keras_conv(image, kernel, bias, stride, padding, dilation)
    assert ours.shape == ref.shape
    _rel_close(ours, ref)


def test_lesson_all_ones_filter_via_model_predict():
    image = sample_image("camera")
    model = keras.Sequential([keras.Input((512, 512, 1)),
                              keras.layers.Conv2D(1, (3, 3), strides=(2, 1), padding="valid",
                                                  use_bias=False)])
    model.layers[0].set_weights([np.ones((3, 3, 1, 1), np.float32)])
    ref = model.predict(image.reshape(1, 512, 512, 1), verbose=0)
    assert ref.shape == (1, 255, 510, 1)
    _rel_close(conv2d(image, np.ones((3, 3)), stride=(2, 1)), ref[0, ..., 0])


POOL_CASES = [
    ((512, 512), 2, None, "valid"),
    ((7, 9), 2, None, "same"),
    ((7, 9), 3, 2, "same"),
    ((10, 11), (2, 3), (1, 2), "valid"),
    ((9, 8, 4), 2, 1, "same"),
    ((5, 5), 4, 3, "same"),
]


@pytest.mark.parametrize("case", POOL_CASES, ids=str)
def test_pooling_equals_keras(case):
    shape, pool, stride, padding = case
    rng = np.random.default_rng(1)
    x = sample_image("camera") if shape == (512, 512) else rng.random(shape, np.float32)
    x4 = (x if x.ndim == 3 else x[..., None])[None]
    for ours_fn, layer_cls in ((max_pool2d, keras.layers.MaxPooling2D),
                               (avg_pool2d, keras.layers.AveragePooling2D)):
        ref = np.asarray(layer_cls(pool, strides=stride, padding=padding)(x4))[0]
        ours = ours_fn(x, pool, stride=stride, padding=padding)
        ref = ref if x.ndim == 3 else ref[..., 0]
        assert ours.shape == ref.shape
        _rel_close(ours, ref)


# Property tests against Keras itself (the SciPy ones live beside each function's tests).
from hypothesis import assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@st.composite
def keras_conv_cases(draw):
    kh, kw = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    channels = draw(st.sampled_from([1, 1, 2, 3]))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    # TensorFlow refuses strides > 1 together with dilation > 1.
    assume(stride == (1, 1) or dilation == (1, 1))
    padding = draw(st.sampled_from(["valid", "same"]))
    h = draw(st.integers((kh - 1) * dilation[0] + 1, 24))
    w = draw(st.integers((kw - 1) * dilation[1] + 1, 24))
    seed = draw(st.integers(0, 2**32 - 1))
    return (h, w, channels), (kh, kw), stride, padding, dilation, seed


@settings(max_examples=120)
@given(keras_conv_cases())
def test_conv2d_equals_keras_on_random_cases(case):
    shape, khw, stride, padding, dilation, seed = case
    rng = np.random.default_rng(seed)
    image = rng.random(shape, np.float32) * 255
    if shape[2] == 1:
        image = image[..., 0]
    kernel = rng.standard_normal((*khw, shape[2]) if shape[2] > 1 else khw).astype(np.float32)
    bias = float(rng.standard_normal())
    ours = conv2d(image, kernel, stride=stride, padding=padding, dilation=dilation, bias=bias)
    reference = _numpy_conv if _tf_unsafe(khw, stride) else _keras_conv
    ref = reference(image, kernel, bias, stride, padding, dilation)
    assert ours.shape == ref.shape
    _rel_close(ours, ref)


@pytest.mark.parametrize("stride", [(2, 1), (1, 2), (2, 2), 3])
def test_strided_1x1_kernels_are_checked_without_tensorflow(stride):
    # The shape that crashed TensorFlow: 6×8×3 in, three 1×1 filters, stride (2, 1), "valid".
    rng = np.random.default_rng(21)
    image = rng.random((6, 8, 3), np.float32)
    kernel = rng.standard_normal((1, 1, 3, 3)).astype(np.float32)
    bias = rng.standard_normal(3).astype(np.float32)
    assert _tf_unsafe(kernel.shape[:2], stride)
    with pytest.raises(AssertionError, match="must not reach TensorFlow"):
        _keras_conv(image, kernel, bias, stride, "valid", 1)
    for padding in ("valid", "same"):
        ours = conv2d(image, kernel, stride=stride, padding=padding, bias=bias)
        ref = _numpy_conv(image, kernel, bias, stride, padding, 1)
        sh, sw = _pair(stride)
        # A 1×1 kernel pads nothing: every output is one pixel's channels times the weights.
        picked = image[::sh, ::sw].astype(np.float64)
        direct = sum(picked[..., c, None] * kernel[0, 0, c] for c in range(3)) + bias
        np.testing.assert_allclose(ref, direct, rtol=1e-12)
        assert ours.shape == ref.shape
        _rel_close(ours, ref)


@settings(max_examples=120)
@given(st.integers(1, 20), st.integers(1, 20), st.integers(1, 3), st.integers(1, 4),
       st.integers(1, 4), st.sampled_from(["valid", "same"]), st.integers(0, 2**32 - 1))
def test_pooling_equals_keras_on_random_cases(h, w, c, p, s, padding, seed):
    assume(padding == "same" or (h >= p and w >= p))
    x = np.random.default_rng(seed).random((h, w, c), np.float32)
    for ours_fn, layer_cls in ((max_pool2d, keras.layers.MaxPooling2D),
                               (avg_pool2d, keras.layers.AveragePooling2D)):
        ref = np.asarray(layer_cls(p, strides=s, padding=padding)(x[None]))[0]
        ours = ours_fn(x, p, stride=s, padding=padding)
        assert ours.shape == ref.shape
        _rel_close(ours, ref)
