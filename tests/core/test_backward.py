"""Convolution and pooling gradients: float64 adjoints, finite differences and TensorFlow autodiff.

TensorFlow never sees a 1×1 kernel with a stride other than (1, 1) (its oneDNN filter gradient
corrupts the heap on AVX-512 CPUs), nor a dilated gradient (its CPU kernels have none: the
dilation is written into the kernel instead).
"""

import re

import numpy as np
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from convstudio.core import (
    avg_pool2d,
    avg_pool2d_backward,
    conv2d,
    conv2d_backward,
    max_pool2d,
    max_pool2d_backward,
)

from .family_reference import (
    assert_float32_close,
    conv_backward_ref,
    conv_ref,
    pool_backward_ref,
    tf_safe,
)


@st.composite
def backward_cases(draw, *, tf=False):
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    if tf:
        assume(tf_safe((kh, kw), s))
        assume(s == (1, 1) or d == (1, 1))  # TensorFlow's conv2d refuses both
    modes = ["valid", "same", 1, (0, 2)] if tf else ["valid", "same", "full", 1, (2, 0)]
    padding = draw(st.sampled_from(modes))
    h = draw(st.integers((kh - 1) * d[0] + 1, 9))
    w = draw(st.integers((kw - 1) * d[1] + 1, 9))
    c, f = draw(st.integers(1, 3)), draw(st.integers(1, 4))
    return (h, w, c), (kh, kw, c, f), s, padding, d, draw(st.integers(0, 2**32 - 1))


def _arrays(case):
    shape, kshape, s, padding, d, seed = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(np.float32)
    k = rng.standard_normal(kshape).astype(np.float32)
    out = conv2d(x, k, stride=s, padding=padding, dilation=d)
    dy = rng.standard_normal(out.shape).astype(np.float32)
    return x, k, dy


SAME_STRIDE_2_EVEN = ((7, 8, 3), (4, 2, 3, 2), (2, 2), "same", (1, 1), 0)


@settings(max_examples=150)
@given(backward_cases())
@example(SAME_STRIDE_2_EVEN)
def test_conv2d_backward_equals_the_float64_adjoint(case):
    _, kshape, s, padding, d, _ = case
    x, k, dy = _arrays(case)
    got = conv2d_backward(x, k, dy, stride=s, padding=padding, dilation=d)
    dx, dk, db = conv_backward_ref(x, k, dy, s, padding, d)
    # Bounds: the same sums taken over magnitudes.
    bx, bk, _ = conv_backward_ref(np.abs(x), np.abs(k), np.abs(dy), s, padding, d)
    assert_float32_close(got.dx, dx, bx)
    assert_float32_close(got.dkernel, dk, bk)
    assert_float32_close(got.dbias, db, np.abs(dy).sum(axis=(0, 1)))
    assert got.dx.dtype == got.dkernel.dtype == np.float32
    # The adjoint identities: <conv(x), dy> = <x, dx> and <conv_k(x), dy> = <k, dk>.
    y = conv_ref(x, k, s, padding, d)[0]
    lhs = float((y * dy).sum())
    scale = 1e-5 * max(1.0, float((np.abs(conv_ref(np.abs(x), np.abs(k), s, padding, d)[0])
                                   * np.abs(dy)).sum()))
    assert float((x.astype(np.float64) * got.dx).sum()) == pytest.approx(lhs, abs=scale)
    assert float((k.astype(np.float64) * got.dkernel).sum()) == pytest.approx(lhs, abs=scale)
    if kshape[2] == kshape[3] == 1:  # 2-D inputs, as conv2d takes them
        flat = conv2d_backward(x[..., 0], k[:, :, 0, 0], dy[..., 0], stride=s,
                               padding=padding, dilation=d)
        np.testing.assert_array_equal(flat.dx, got.dx[..., 0])
        np.testing.assert_array_equal(flat.dkernel, got.dkernel[:, :, 0, 0])
        assert flat.dbias.shape == () and flat.dbias == got.dbias[0]


def test_finite_differences_on_a_tiny_layer():
    # L = Σ sin(conv(x, k) + b): dL/dy = cos(y + b), differentiated numerically in float64.
    rng = np.random.default_rng(3)
    for s, padding, d in [((2, 1), "same", 1), (1, "valid", (1, 2)), (2, 1, 1)]:
        x = rng.standard_normal((5, 6, 2))
        k = rng.standard_normal((2, 3, 2, 2))
        b = rng.standard_normal(2)

        def loss(x_, k_, b_, s=s, padding=padding, d=d):
            return float(np.sin(conv_ref(x_, k_, s, padding, d)[0] + b_).sum())

        dy = np.cos(conv_ref(x, k, s, padding, d)[0] + b)
        got = conv2d_backward(x, k, dy, stride=s, padding=padding, dilation=d)
        eps = 1e-6
        for arr, grad in ((x, got.dx), (k, got.dkernel), (b, got.dbias)):
            for idx in np.ndindex(arr.shape):
                up, down = arr.copy(), arr.copy()
                up[idx] += eps
                down[idx] -= eps
                args = {id(x): (up, k, b), id(k): (x, up, b), id(b): (x, k, up)}[id(arr)]
                args_down = {id(x): (down, k, b), id(k): (x, down, b),
                             id(b): (x, k, down)}[id(arr)]
                numeric = (loss(*args) - loss(*args_down)) / (2 * eps)
                assert grad[idx] == pytest.approx(numeric, abs=2e-5 * max(1, abs(numeric)))


@pytest.mark.slow
@settings(max_examples=40)
@given(backward_cases(tf=True))
@example(SAME_STRIDE_2_EVEN)
def test_conv2d_backward_equals_tensorflow_autodiff(case):
    tf = pytest.importorskip("tensorflow")
    _, kshape, s, padding, d, _ = case
    x, k, dy = _arrays(case)
    kh, kw = kshape[:2]
    # The dilation goes into the kernel: TensorFlow's CPU has no dilated backprop kernels.
    kd = np.zeros(((kh - 1) * d[0] + 1, (kw - 1) * d[1] + 1, *kshape[2:]), np.float32)
    kd[:: d[0], :: d[1]] = k
    if isinstance(padding, str):
        tf_padding = padding.upper()
    else:
        ph, pw = (padding, padding) if np.isscalar(padding) else padding
        tf_padding = [[0, 0], [ph, ph], [pw, pw], [0, 0]]
    xt, kt = tf.constant(x[None]), tf.constant(kd)
    with tf.GradientTape() as tape:
        tape.watch([xt, kt])
        y = tf.nn.conv2d(xt, kt, strides=s, padding=tf_padding)
    assert tuple(y.shape[1:]) == dy.shape
    dx_tf, dk_tf = (g.numpy() for g in tape.gradient(y, [xt, kt], output_gradients=dy[None]))
    got = conv2d_backward(x, k, dy, stride=s, padding=padding, dilation=d)
    bx, bk, _ = conv_backward_ref(np.abs(x), np.abs(k), np.abs(dy), s, padding, d)
    assert_float32_close(got.dx, dx_tf[0], bx)
    assert_float32_close(got.dkernel, dk_tf[:: d[0], :: d[1]], bk)


@pytest.mark.parametrize(("kwargs", "fragment"), [
    ({"dy": np.ones((3, 3, 2))}, "dy must have the layer output's shape (4, 4, 3)"),
    ({"kernel": np.ones((3, 3, 2, 3))}, "kernel has 2 input channel"),
    ({"stride": 0}, "stride"),
    ({"dy": np.full((4, 4, 3), np.nan)}, "dy must contain only finite"),
])
def test_bad_backward_arguments_are_named(kwargs, fragment):
    args = {"x": np.ones((6, 6, 3)), "kernel": np.ones((3, 3, 3, 3)),
            "dy": np.ones((4, 4, 3))} | kwargs
    with pytest.raises(ValueError, match=re.escape(fragment)):
        conv2d_backward(**args)


@settings(max_examples=150)
@given(st.integers(1, 9), st.integers(1, 9), st.integers(1, 3), st.integers(1, 3),
       st.integers(1, 3), st.sampled_from(["valid", "same"]), st.booleans(),
       st.integers(0, 2**32 - 1))
def test_pool_backward_routes_as_the_forward_pass_chose(h, w, c, p, s, padding, ties, seed):
    assume(padding == "same" or (h >= p and w >= p))
    rng = np.random.default_rng(seed)
    # Small integers make ties: the gradient must go to the first maximum, as the forward pass.
    x = (rng.integers(0, 3, (h, w, c)) if ties else rng.standard_normal((h, w, c)))
    x = x.astype(np.float32)
    out = max_pool2d(x, p, stride=s, padding=padding)
    dy = rng.standard_normal(out.shape).astype(np.float32)
    bound = np.abs(dy).sum()
    for op, fn in (("max", max_pool2d_backward), ("avg", avg_pool2d_backward)):
        got = fn(x, dy, p, stride=s, padding=padding)
        assert_float32_close(got, pool_backward_ref(x, dy, (p, p), (s, s), padding, op), bound)
        flat = fn(x[..., 0], dy[..., 0], p, stride=s, padding=padding)
        np.testing.assert_array_equal(flat, got[..., 0])
    # avg pooling is linear: <avg(x), dy> = <x, dx>.
    dx = avg_pool2d_backward(x, dy, p, stride=s, padding=padding)
    lhs = float((avg_pool2d(x, p, stride=s, padding=padding) * dy).sum())
    assert float((x * dx).sum()) == pytest.approx(lhs, abs=1e-5 * max(1.0, float(bound) * 3))


def test_max_pool_gradient_goes_to_the_first_maximum():
    x = np.array([[1, 3, 3], [3, 0, 2], [0, 1, 2]], np.float32)
    dx = max_pool2d_backward(x, np.array([[10.0, 20.0], [30.0, 40.0]]), 2, stride=1)
    # Windows at (0,0) and (1,0) pick (0,1) and (1,0); (0,1) and (1,1) pick (0,1) and (1,2).
    np.testing.assert_array_equal(dx, [[0, 30, 0], [30, 0, 40], [0, 0, 0]])
    with pytest.raises(ValueError, match=re.escape("dy must have the layer output's shape")):
        max_pool2d_backward(x, np.ones((3, 3)), 2, stride=1)


@pytest.mark.slow
@settings(max_examples=25)
@given(st.integers(2, 9), st.integers(2, 9), st.integers(1, 3), st.integers(1, 3),
       st.integers(1, 3), st.sampled_from(["valid", "same"]), st.integers(0, 2**32 - 1))
def test_pool_backward_equals_tensorflow_autodiff(h, w, c, p, s, padding, seed):
    tf = pytest.importorskip("tensorflow")
    assume(padding == "same" or (h >= p and w >= p))
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((h, w, c)).astype(np.float32)
    dy = rng.standard_normal(max_pool2d(x, p, stride=s, padding=padding).shape)
    dy = dy.astype(np.float32)
    for fn, tf_fn in ((max_pool2d_backward, tf.nn.max_pool2d),
                      (avg_pool2d_backward, tf.nn.avg_pool2d)):
        xt = tf.constant(x[None])
        with tf.GradientTape() as tape:
            tape.watch(xt)
            y = tf_fn(xt, p, s, padding.upper())
        ref = tape.gradient(y, xt, output_gradients=dy[None]).numpy()[0]
        assert_float32_close(fn(x, dy, p, stride=s, padding=padding), ref, np.abs(dy).sum())
