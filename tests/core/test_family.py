"""Transposed, depthwise and separable convolution and layer costs, against Keras and float64.

TensorFlow never sees a 1×1 kernel with a stride other than (1, 1) (its oneDNN path corrupts the
heap on AVX-512 CPUs): those shapes go to the float64 references only.
"""

import re

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from convstudio.core import (
    conv2d,
    conv2d_transpose,
    conv_transpose_output_shape,
    depthwise_conv2d,
    layer_cost,
    separable_conv2d,
    transpose_as_correlation,
    transpose_output_formula,
)

from .family_reference import (
    assert_float32_close,
    conv_ref,
    depthwise_ref,
    tf_safe,
    transpose_ref,
)


@st.composite
def transpose_cases(draw, *, keras_only=False):
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    d = (1, 1) if keras_only else (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    modes = ["valid", "same"] if keras_only else ["valid", "same", "full", 0, 1, (1, 0)]
    padding = draw(st.sampled_from(modes))
    op = draw(st.one_of(st.none(), st.tuples(st.integers(0, s[0] - 1),
                                             st.integers(0, s[1] - 1))))
    if padding == "same" and op is not None:
        # An even (dilated) kernel with 'same' needs output_padding >= 1 (TensorFlow's rule).
        odd = [((k - 1) * dd + 1) % 2 for k, dd in zip((kh, kw), d, strict=True)]
        op = (max(op[0], 1 - odd[0]), max(op[1], 1 - odd[1]))
        assume(op[0] < s[0] and op[1] < s[1])
    h, w = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    c, f = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    return (h, w, c), (kh, kw, f, c), s, padding, op, d, draw(st.integers(0, 2**32 - 1))


def _draw(case):
    shape, kshape, s, padding, op, d, seed = case
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape).astype(np.float32),
            rng.standard_normal(kshape).astype(np.float32), rng)


@settings(max_examples=150)
@given(transpose_cases())
def test_conv2d_transpose_equals_its_definition(case):
    _, kshape, s, padding, op, d, _ = case
    x, k, _ = _draw(case)
    try:
        ref = transpose_ref(x, k, s, padding, op, d)
    except ValueError:
        ref = None
    if ref is None or min(ref.shape[:2]) < 1:
        with pytest.raises(ValueError, match="padding"):
            conv2d_transpose(x, k, stride=s, padding=padding, output_padding=op, dilation=d)
        return
    got = conv2d_transpose(x, k, stride=s, padding=padding, output_padding=op, dilation=d)
    assert_float32_close(got, ref, transpose_ref(np.abs(x), np.abs(k), s, padding, op, d))
    assert got.shape[:2] == conv_transpose_output_shape(
        x.shape[:2], kshape[:2], stride=s, padding=padding, output_padding=op, dilation=d)
    view = transpose_as_correlation(x, k, stride=s, padding=padding, output_padding=op,
                                    dilation=d)
    assert_float32_close(view.output, ref, transpose_ref(np.abs(x), np.abs(k), s, padding, op, d))
    # The view really is zeros inserted, padding and a stride-1 correlation with the flip.
    np.testing.assert_array_equal(view.flipped_kernel, k[::-1, ::-1].transpose(0, 1, 3, 2))
    assert_float32_close(conv2d(view.upsampled, view.flipped_kernel, dilation=d), ref,
          transpose_ref(np.abs(x), np.abs(k), s, padding, op, d))
    assert view.insert == (s[0] - 1, s[1] - 1)
    formula = transpose_output_formula("H", x.shape[0], kshape[0], stride=s[0],
                                       padding=padding if np.isscalar(padding)
                                       or isinstance(padding, str) else padding[0],
                                       output_padding=None if op is None else op[0],
                                       dilation=d[0])
    assert formula.startswith("H: ") and formula.endswith(f"= {got.shape[0]}")


def test_transpose_is_the_adjoint_of_conv2d():
    rng = np.random.default_rng(5)
    for s, padding, op, d in [((2, 1), "valid", None, 1), (2, "same", 1, 1), (3, 1, (2, 0), 2)]:
        x = rng.standard_normal((5, 4, 3))
        k = rng.standard_normal((3, 2, 2, 3))  # Conv2DTranspose: 3 channels -> 2 filters
        y = conv2d_transpose(x, k, stride=s, padding=padding, output_padding=op, dilation=d)
        z = rng.standard_normal(y.shape)
        # <T x, z> = <x, C z>: C is conv2d with the same array read as (kh, kw, F, C).
        forward, _, _ = conv_ref(z, k, s, padding, d)
        assert forward.shape == x.shape
        assert float((y * z).sum()) == pytest.approx(float((x * forward).sum()), rel=1e-5)


def test_transpose_shapes_and_formulas_on_screen():
    assert conv_transpose_output_shape((5, 5), (3, 3), stride=2) == (11, 11)
    assert conv_transpose_output_shape((5, 5), (3, 3), stride=2, padding="same") == (10, 10)
    assert conv_transpose_output_shape((5, 5), (3, 3), stride=2, padding="same",
                                       output_padding=1) == (10, 10)
    assert conv_transpose_output_shape((5, 5), (3, 3), stride=2, padding="same",
                                       output_padding=0) == (9, 9)
    assert conv_transpose_output_shape((5, 5), (2, 2), stride=3) == (15, 15)
    assert transpose_output_formula("H", 5, 3, stride=2, output_padding=1) == \
        "H: (5 − 1)·2 + 3 + 1 = 12"
    assert transpose_output_formula("W", 5, 3, stride=2, padding="same") == "W: 5·2 = 10"
    assert transpose_output_formula("H", 5, 3, stride=2, padding="same", output_padding=0) == \
        "H: (5 − 1)·2 + 3 − 2·⌊3/2⌋ + 0 = 9"
    assert transpose_output_formula("H", 4, 3, dilation=2) == "H: (4 − 1)·1 + 2·(3 − 1) + 1 + 0 = 8"
    assert transpose_output_formula("H", 4, 3, stride=2, padding=1) == \
        "H: (4 − 1)·2 + 3 − 2 + 0 = 7"


@pytest.mark.parametrize(("kwargs", "fragment"), [
    ({"kernel": np.ones((3, 3, 2, 4))}, "kernel reads 4 input channel"),
    ({"stride": 2, "output_padding": 2}, "output_padding must be smaller than the stride"),
    ({"stride": 2, "output_padding": -1}, "output_padding"),
    ({"kernel": np.ones((2, 2, 2, 3)), "stride": 2, "padding": "same", "output_padding": 0},
     "output_padding must be >= 1"),
    ({"padding": 5}, "padding"),
    ({"stride": 0}, "stride"),
])
def test_bad_transpose_arguments_are_named(kwargs, fragment):
    args = {"x": np.ones((4, 4, 3)), "kernel": np.ones((3, 3, 2, 3))} | kwargs
    with pytest.raises(ValueError, match=re.escape(fragment)):
        conv2d_transpose(**args)


@settings(max_examples=150)
@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 3), st.integers(1, 3),
       st.sampled_from([(1, 1), (2, 1), (2, 2), (1, 3)]), st.sampled_from([(1, 1), (2, 1), 2]),
       st.sampled_from(["valid", "same", "full", (1, 0)]), st.integers(0, 2**32 - 1))
def test_depthwise_and_separable_equal_their_definitions(kh, kw, c, m, s, d, padding, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((9, 8, c)).astype(np.float32)
    k = rng.standard_normal((kh, kw, c, m)).astype(np.float32)
    pw = rng.standard_normal((1, 1, c * m, 3)).astype(np.float32)
    b = rng.standard_normal(c * m).astype(np.float32)
    got = depthwise_conv2d(x, k, stride=s, padding=padding, dilation=d, bias=b)
    ref = depthwise_ref(x, k, s, padding, d) + b
    bound = depthwise_ref(np.abs(x), np.abs(k), s, padding, d)
    assert_float32_close(got, ref, bound)
    sep = separable_conv2d(x, k, pw, stride=s, padding=padding, dilation=d, bias=0.5)
    sep_ref = np.einsum("hwc,cf->hwf", ref - b, pw[0, 0].astype(np.float64)) + 0.5
    assert_float32_close(sep, sep_ref, np.einsum("hwc,cf->hwf", bound, np.abs(pw[0, 0])))
    if c == 1:
        assert_float32_close(depthwise_conv2d(x[..., 0], k, stride=s, padding=padding,
                               dilation=d), ref - b, bound)


def test_depthwise_bad_arguments_are_named():
    with pytest.raises(ValueError, match="kernel has 2 channel"):
        depthwise_conv2d(np.ones((5, 5, 3)), np.ones((3, 3, 2, 1)))
    with pytest.raises(ValueError, match="kernel must not be empty"):
        depthwise_conv2d(np.ones((5, 5, 3)), np.ones((3, 3, 3, 0)))
    with pytest.raises(ValueError, match="pointwise_kernel reads 3"):
        separable_conv2d(np.ones((5, 5, 3)), np.ones((3, 3, 3, 2)), np.ones((1, 1, 3, 4)))
    with pytest.raises(ValueError, match="depth_multiplier"):
        layer_cost("depthwise", (8, 8, 3), 3, depth_multiplier=0)
    with pytest.raises(ValueError, match="kind must be one of"):
        layer_cost("dilated", (8, 8, 3))
    with pytest.raises(ValueError, match="output_padding applies only"):
        layer_cost("standard", (8, 8, 3), output_padding=1)


@st.composite
def keras_family_cases(draw):
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    s = draw(st.sampled_from([(1, 1), (2, 2), (2, 1), (1, 3)]))
    assume(tf_safe((kh, kw), s))
    padding = draw(st.sampled_from(["valid", "same"]))
    op = draw(st.one_of(st.none(), st.tuples(st.integers(0, s[0] - 1),
                                             st.integers(0, s[1] - 1))))
    if padding == "same" and op is not None:
        op = tuple(max(o, 1 - k % 2) for o, k in zip(op, (kh, kw), strict=True))
        assume(op[0] < s[0] and op[1] < s[1])
    d = draw(st.sampled_from([(1, 1), (2, 1), (2, 2)]))
    h, w = draw(st.integers(7, 10)), draw(st.integers(7, 10))
    c, f, m = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    return (h, w, c), (kh, kw), s, padding, op, d, f, m, draw(st.integers(0, 2**32 - 1))


@pytest.mark.slow
@settings(max_examples=30)
@given(keras_family_cases())
def test_family_equals_keras_layers(case):
    keras = pytest.importorskip("keras")
    shape, (kh, kw), s, padding, op, d, f, m, seed = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(np.float32)
    c = shape[2]
    x4 = x[None]

    def run(layer, weights):
        layer.build(x4.shape)
        layer.set_weights(weights)
        return np.asarray(layer(x4))[0]

    # Conv2DTranspose: TensorFlow's CPU kernel has no dilation; that case is checked by autodiff.
    kt = rng.standard_normal((kh, kw, f, c)).astype(np.float32)
    bt = rng.standard_normal(f).astype(np.float32)
    got = conv2d_transpose(x, kt, stride=s, padding=padding, output_padding=op, bias=bt)
    ref = run(keras.layers.Conv2DTranspose(f, (kh, kw), strides=s, padding=padding,
                                           output_padding=op), [kt, bt])
    assert_float32_close(got, ref, transpose_ref(np.abs(x), np.abs(kt), s, padding, op, 1))
    # TensorFlow's depthwise kernel takes equal strides only; it decomposes stride + dilation.
    ds = (s[0], s[0])
    if not tf_safe((kh, kw), ds):
        return
    kd = rng.standard_normal((kh, kw, c, m)).astype(np.float32)
    bd = rng.standard_normal(c * m).astype(np.float32)
    got = depthwise_conv2d(x, kd, stride=ds, padding=padding, dilation=d, bias=bd)
    ref = run(keras.layers.DepthwiseConv2D((kh, kw), strides=ds, padding=padding,
                                           depth_multiplier=m, dilation_rate=d), [kd, bd])
    assert_float32_close(got, ref, depthwise_ref(np.abs(x), np.abs(kd), ds, padding, d))
    if ds == (1, 1) or d == (1, 1):  # SeparableConv2D refuses both together
        kp = rng.standard_normal((1, 1, c * m, f)).astype(np.float32)
        got = separable_conv2d(x, kd, kp, stride=ds, padding=padding, dilation=d, bias=bt)
        ref = run(keras.layers.SeparableConv2D(f, (kh, kw), strides=ds, padding=padding,
                                               depth_multiplier=m, dilation_rate=d),
                  [kd, kp, bt])
        bound = np.einsum("hwc,cf->hwf", depthwise_ref(np.abs(x), np.abs(kd), ds, padding, d),
                          np.abs(kp[0, 0]))
        assert_float32_close(got, ref, bound)


@pytest.mark.slow
@settings(max_examples=15)
@given(st.integers(1, 4), st.integers(1, 4), st.integers(2, 3), st.sampled_from(["valid", "same"]),
       st.integers(1, 3), st.integers(1, 3), st.integers(0, 2**32 - 1))
def test_dilated_transpose_equals_tensorflow_autodiff(kh, kw, d, padding, c, f, seed):
    """The gradient of TensorFlow's conv2d is a transposed convolution.

    TensorFlow's CPU kernels have no dilated input gradient, so the dilation is written into the
    kernel (zeros between the taps) and TensorFlow differentiates a plain stride-1 conv2d.
    """
    tf = pytest.importorskip("tensorflow")
    assume((kh - 1) * d + 1 <= 7)
    assume(padding == "valid" or ((kh - 1) * d + 1) % 2 == 1 and ((kw - 1) * d + 1) % 2 == 1)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((5, 6, c)).astype(np.float32)
    k = rng.standard_normal((kh, kw, f, c)).astype(np.float32)
    op = None if padding == "valid" else (0, 0)
    got = conv2d_transpose(x, k, padding=padding, output_padding=op, dilation=d)
    k_dilated = np.zeros(((kh - 1) * d + 1, (kw - 1) * d + 1, f, c), np.float32)
    k_dilated[::d, ::d] = k
    y = tf.Variable(tf.zeros((1, *got.shape)))
    with tf.GradientTape() as tape:
        z = tf.nn.conv2d(y, k_dilated, strides=1, padding=padding.upper())
        loss = tf.reduce_sum(z * x[None])
    ref = tape.gradient(loss, y).numpy()[0]
    assert_float32_close(got, ref, transpose_ref(np.abs(x), np.abs(k), 1, padding, op, d))


@pytest.mark.slow
def test_layer_cost_agrees_with_keras_count_params():
    keras = pytest.importorskip("keras")
    shape = (12, 10, 3)
    layers = {
        "standard": keras.layers.Conv2D(8, (3, 2)),
        "transposed": keras.layers.Conv2DTranspose(8, (3, 2), strides=2),
        "depthwise": keras.layers.DepthwiseConv2D((3, 2), depth_multiplier=2),
        "separable": keras.layers.SeparableConv2D(8, (3, 2), depth_multiplier=2),
    }
    for kind, layer in layers.items():
        out = layer.compute_output_shape((1, *shape))
        stride = 2 if kind == "transposed" else 1
        cost = layer_cost(kind, shape, (3, 2), 8, stride=stride, depth_multiplier=2)
        layer.build((1, *shape))
        assert cost.params == layer.count_params(), kind
        assert cost.output_shape == tuple(out[1:]), kind
    dense = keras.layers.Dense(7)
    dense.build((1, 60))
    assert layer_cost("dense", (6, 10), filters=7).params == dense.count_params()


def test_layer_cost_hand_counts():
    # The lessons' 32 -> 64 layer on 13×13×32 (after the first conv and pool of a 28×28 digit).
    cost = layer_cost("standard", (13, 13, 32), 3, 64)
    assert (cost.weights, cost.biases, cost.params) == (18_432, 64, 18_496)
    assert cost.output_shape == (11, 11, 64)
    assert cost.mult_adds == 11 * 11 * 64 * 3 * 3 * 32 == 2_230_272
    assert cost.params_text == "3·3·32·64 + 64 = 18,496"
    assert cost.mult_adds_text == "11·11·64·3·3·32 = 2,230,272"
    sep = layer_cost("separable", (13, 13, 32), 3, 64)
    assert sep.params == 3 * 3 * 32 + 32 * 64 + 64
    assert sep.mult_adds == 11 * 11 * 32 * 9 + 11 * 11 * 32 * 64
    dw = layer_cost("depthwise", (13, 13, 32), 3, depth_multiplier=2, padding="same")
    assert (dw.params, dw.output_shape) == (3 * 3 * 32 * 2 + 64, (13, 13, 64))
    tr = layer_cost("transposed", (7, 7, 64), 3, 32, stride=2, padding="same")
    assert tr.output_shape == (14, 14, 32) and tr.mult_adds == 7 * 7 * 64 * 9 * 32
    assert layer_cost("standard", (28, 28), 3, 32, use_bias=False).params == 288


@pytest.mark.slow
def test_training_model_costs_agree_with_keras_and_hand_counts():
    from convstudio.training.models import ConvBlock, ModelConfig, build_model, layer_costs

    config = ModelConfig((ConvBlock(32, 3, True), ConvBlock(64, 3, True)), dense_units=128)
    costs = {row.name: row for row in layer_costs(config)}
    hand = {  # 28×28×1 → 26×26×32 → 13×13×32 → 11×11×64 → 5×5×64 → 1600 → 128 → 10
        "conv1": (320, 26 * 26 * 32 * 9),
        "conv2": (18_496, 11 * 11 * 64 * 9 * 32),
        "dense": (204_928, 1600 * 128),
        "output": (1290, 128 * 10),
    }
    for name, (params, macs) in hand.items():
        assert (costs[name].params, costs[name].mult_adds) == (params, macs), name
    assert costs["pool1"].params == costs["pool1"].mult_adds == 0
    model = build_model(config)
    for layer in model.layers:
        assert costs[layer.name].params == layer.count_params(), layer.name
    assert sum(r.params for r in costs.values()) == model.count_params()
