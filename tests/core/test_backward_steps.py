"""Backward-pass steps (kernel taps, input pixels, pool routing) against the full gradients."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from convstudio.core import (
    conv2d,
    conv2d_backward,
    conv2d_transpose,
    input_grad_steps,
    kernel_grad_steps,
    max_pool2d,
    pool_grad_steps,
    pool_steps,
)

from .family_reference import conv_pads


def _approx(a, b, scale):
    assert float(a) == pytest.approx(float(b), abs=1e-5 * max(1.0, float(scale)))


@st.composite
def cases(draw):
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = draw(st.sampled_from(["valid", "same", "full", 1, (0, 2)]))
    h = draw(st.integers((kh - 1) * d[0] + 1, 9))
    w = draw(st.integers((kw - 1) * d[1] + 1, 9))
    c, f = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    flat = draw(st.booleans())
    if flat:
        c = f = 1
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((h, w, c)).astype(np.float32)
    k = rng.standard_normal((kh, kw, c, f)).astype(np.float32)
    if flat:
        x, k = x[..., 0], k[:, :, 0, 0]
    dy = rng.standard_normal(conv2d(x, k, stride=s, padding=padding, dilation=d).shape)
    return x, k, dy.astype(np.float32), {"stride": s, "padding": padding, "dilation": d}


def _indices(data, n, count=5):
    return [0, -1, *data.draw(st.lists(st.integers(-n, n - 1), min_size=count,
                                       max_size=count))]


@settings(max_examples=120)
@given(cases(), st.data())
def test_kernel_tap_steps_sum_input_times_upstream(case, data):
    x, k, dy, args = case
    steps = kernel_grad_steps(x, k, dy, **args)
    full = conv2d_backward(x, k, dy, **args)
    np.testing.assert_array_equal(steps.dkernel, full.dkernel)
    x3 = x if x.ndim == 3 else x[..., None]
    dy3 = dy if dy.ndim == 3 else dy[..., None]
    k4 = k.reshape(*k.shape[:2], x3.shape[2], dy3.shape[2])
    kh, kw, c, f = k4.shape
    assert len(steps) == kh * kw * c * f
    (top, bottom), (left, right) = conv_pads(x3.shape, k4.shape, args["stride"],
                                             args["padding"], args["dilation"])
    xp = np.pad(x3, [(top, bottom), (left, right), (0, 0)])
    (sh, sw), (dh, dw) = args["stride"], args["dilation"]
    ho, wo = dy3.shape[:2]
    for i in _indices(data, len(steps)):
        step = steps[i]
        j = i % len(steps)
        flt, ch, ti, tj = np.unravel_index(j, (f, c, kh, kw))
        assert (step.index, step.filter, step.channel, step.tap) == (j, flt, ch, (ti, tj))
        assert step.window == (ti * dh - top, tj * dw - left)
        inputs = xp[ti * dh : ti * dh + (ho - 1) * sh + 1 : sh,
                    tj * dw : tj * dw + (wo - 1) * sw + 1 : sw, ch]
        np.testing.assert_array_equal(step.inputs, inputs)
        np.testing.assert_array_equal(step.upstream, dy3[..., flt])
        np.testing.assert_array_equal(step.products, inputs * dy3[..., flt])
        assert step.value == full.dkernel.reshape(k4.shape)[ti, tj, ch, flt]
        _approx(step.products.sum(), step.value, np.abs(step.products).sum())


@settings(max_examples=120)
@given(cases(), st.data())
def test_input_pixel_steps_gather_every_covering_window(case, data):
    x, k, dy, args = case
    steps = input_grad_steps(x, k, dy, **args)
    full = conv2d_backward(x, k, dy, **args)
    np.testing.assert_array_equal(steps.dx, full.dx)
    x3 = x if x.ndim == 3 else x[..., None]
    dy3 = dy if dy.ndim == 3 else dy[..., None]
    h, w, c = x3.shape
    kh, kw = k.shape[:2]
    assert len(steps) == c * h * w
    (top, _), (left, _) = conv_pads(x3.shape, k.shape, args["stride"], args["padding"],
                                    args["dilation"])
    (sh, sw), (dh, dw) = args["stride"], args["dilation"]
    flipped = steps.flipped_kernel
    np.testing.assert_array_equal(flipped, k[::-1, ::-1])
    for i in _indices(data, len(steps)):
        step = steps[i]
        j = i % len(steps)
        ch, r, col = np.unravel_index(j, (c, h, w))
        assert (step.index, step.channel, step.in_pos) == (j, ch, (r, col))
        assert steps.index_of(r, col, ch) == j
        # Brute force: which (window, tap) pairs put a kernel tap on this pixel?
        hits = {(a, b): (wr, wc) for wr in range(dy3.shape[0]) for wc in range(dy3.shape[1])
                for a in range(kh) for b in range(kw)
                if wr * sh + a * dh - top == r and wc * sw + b * dw - left == col}
        assert {tuple(t) for t in np.argwhere(step.covered)} == set(hits)
        for (a, b), win in hits.items():
            assert tuple(step.windows[a, b]) == win
        assert (step.windows[~step.covered] == -1).all()
        weights = k[:, :, ch] if k.ndim == 4 else k
        np.testing.assert_array_equal(step.weights, weights)
        np.testing.assert_array_equal(step.products, step.weights * step.upstream)
        assert (step.upstream[~step.covered] == 0).all()
        assert step.value == full.dx.reshape(x3.shape)[r, col, ch]
        scale = np.abs(step.products).sum()
        _approx(step.products.sum(), step.value, scale)
        # The transposed convolution's view: the gradient patch under the flipped kernel.
        flip_w = flipped[:, :, ch] if k.ndim == 4 else flipped
        _approx((step.patch * flip_w).sum(), step.value, scale)


def test_input_gradient_is_the_transposed_convolution_with_the_same_kernel():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((9, 8, 2)).astype(np.float32)
    k = rng.standard_normal((3, 3, 2, 4)).astype(np.float32)
    dy = rng.standard_normal((5, 4, 4)).astype(np.float32)
    steps = input_grad_steps(x, k, dy, stride=2, padding="same")
    # Conv2DTranspose reads its kernel as (kh, kw, out, in): the conv kernel as it stands.
    again = conv2d_transpose(dy, k, stride=2, padding="same", output_padding=(0, 1))
    np.testing.assert_allclose(steps.dx, again, rtol=1e-5, atol=1e-5)


@settings(max_examples=120)
@given(st.integers(1, 9), st.integers(1, 9), st.integers(1, 3), st.integers(1, 3),
       st.sampled_from(["valid", "same"]), st.sampled_from(["max", "avg"]), st.booleans(),
       st.integers(0, 2**32 - 1), st.data())
def test_pool_steps_route_every_gradient(h, w, p, s, padding, op, ties, seed, data):
    assume(padding == "same" or (h >= p and w >= p))
    rng = np.random.default_rng(seed)
    x = (rng.integers(0, 3, (h, w)) if ties else rng.standard_normal((h, w))).astype(np.float32)
    dy = rng.standard_normal(max_pool2d(x, p, stride=s, padding=padding).shape)
    steps = pool_grad_steps(x, dy.astype(np.float32), p, stride=s, padding=padding, op=op)
    forward = pool_steps(x, p, stride=s, padding=padding, op=op)
    assert len(steps) == len(forward) == dy.size
    acc = np.zeros((h, w))
    for step in steps:
        np.add.at(acc, tuple(step.targets.T), step.share)
    np.testing.assert_allclose(acc, steps.dx, rtol=1e-6, atol=1e-6 * np.abs(dy).sum())
    for i in _indices(data, len(steps), 3):
        step, fwd = steps[i], forward[i]
        assert (step.out_pos, step.window) == (fwd.out_pos, fwd.window)
        assert step.gradient == np.float32(dy[step.out_pos])
        if op == "max":
            assert [tuple(t) for t in step.targets] == [fwd.winner]
            assert step.share == step.gradient
        else:
            cells = ~np.isnan(fwd.patch)
            assert len(step.targets) == cells.sum()
            assert step.share == pytest.approx(step.gradient / cells.sum(), rel=1e-6)
        np.testing.assert_array_equal(step.totals, steps.dx[tuple(step.targets.T)])
    with pytest.raises(ValueError, match="op must be"):
        pool_grad_steps(x, dy, p, stride=s, padding=padding, op="min")


def test_steps_on_a_512_source_are_made_on_demand():
    rng = np.random.default_rng(0)
    x = rng.random((512, 512), np.float32)
    k = rng.standard_normal((3, 3)).astype(np.float32)
    dy = rng.standard_normal((512, 512)).astype(np.float32)
    dx_steps = input_grad_steps(x, k, dy, padding="same")
    assert len(dx_steps) == 512 * 512
    corner = dx_steps[0]
    assert corner.covered.sum() == 4  # the padding holds the other five windows' taps
    taps = kernel_grad_steps(x, k, dy, padding="same")
    assert len(taps) == 9 and taps[4].inputs.shape == (512, 512)
    np.testing.assert_array_equal(taps[4].inputs, x)  # the centre tap reads the image itself
