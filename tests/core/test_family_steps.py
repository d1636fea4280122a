"""Multi-channel, multi-filter conv steps and transposed-convolution steps against full results."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from convstudio.core import conv2d, conv2d_transpose, conv_steps, transpose_steps


def _close(a, b, scale):
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5 * max(1.0, scale))


@st.composite
def multi_cases(draw):
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = draw(st.sampled_from(["valid", "same", "full", 1, (0, 2)]))
    h = draw(st.integers((kh - 1) * d[0] + 1, 10))
    w = draw(st.integers((kw - 1) * d[1] + 1, 10))
    c, f = draw(st.integers(1, 4)), draw(st.integers(2, 5))
    return (h, w, c), (kh, kw, c, f), s, padding, d, draw(st.integers(0, 2**32 - 1))


@settings(max_examples=120)
@given(multi_cases(), st.data())
def test_multi_filter_steps_are_filter_major_and_agree_with_the_layer(case, data):
    shape, kshape, s, padding, d, seed = case
    rng = np.random.default_rng(seed)
    image = rng.random(shape, np.float32)
    kernel = rng.standard_normal(kshape).astype(np.float32)
    bias = rng.standard_normal(kshape[3]).astype(np.float32)
    steps = conv_steps(image, kernel, stride=s, padding=padding, dilation=d, bias=bias)
    full = conv2d(image, kernel, stride=s, padding=padding, dilation=d, bias=bias)
    ho, wo, f = full.shape
    assert len(steps) == f * ho * wo and steps.output.shape == full.shape
    for i in [0, -1, *data.draw(st.lists(st.integers(-len(steps), len(steps) - 1),
                                         min_size=4, max_size=4))]:
        step = steps[i]
        j = i % len(steps)
        flt, (r, c) = j // (ho * wo), divmod(j % (ho * wo), wo)
        assert (step.index, step.filter, step.out_pos) == (j, flt, (r, c))
        assert steps.position(j) == (r, c) and steps.filter_of(j) == flt
        assert steps.index_of(r, c, flt) == j
        assert step.value == full[r, c, flt]
        assert step.bias == bias[flt]
        assert step.patch.shape == kshape[:3]
        np.testing.assert_array_equal(step.products, step.patch * kernel[..., flt])
        np.testing.assert_array_equal(step.channel_sums, step.products.sum(axis=(0, 1)))
        assert step.channel_sums.shape == (kshape[2],)
        scale = float(np.abs(step.products).sum())
        assert step.channel_sums.sum() + step.bias == pytest.approx(step.value,
                                                                     abs=1e-5 * max(1, scale))
        assert step.window == (r * s[0], c * s[1])


def test_rgb_steps_show_three_partial_sums_and_the_next_filter():
    # CNN Explainer's walk-through: three channels, three partial sums, a bias, one neuron.
    rng = np.random.default_rng(2)
    rgb = rng.random((6, 6, 3), np.float32)
    kernel = rng.standard_normal((3, 3, 3, 2)).astype(np.float32)
    steps = conv_steps(rgb, kernel, bias=[0.5, -1.0])
    assert len(steps) == 2 * 16
    first, other = steps[5], steps[16 + 5]
    assert first.out_pos == other.out_pos == (1, 1) and (first.filter, other.filter) == (0, 1)
    np.testing.assert_array_equal(first.patch, other.patch)
    for ch in range(3):
        assert first.channel_sums[ch] == pytest.approx(
            float((rgb[1:4, 1:4, ch] * kernel[:, :, ch, 0]).sum()), abs=1e-5)
    assert first.channel_sums.sum() + 0.5 == pytest.approx(first.value, abs=1e-5)
    # One filter keeps the old fields: a (H', W') output, and one channel sum for a 2-D kernel.
    single = conv_steps(rgb[..., 0], kernel[:, :, 0, 0])
    assert single.output.shape == (4, 4) and single[3].channel_sums.shape == (1,)
    assert single[3].filter == 0


def test_kernel_with_a_channel_axis_on_a_2d_image_keeps_the_channel_axis():
    img = np.arange(16, dtype=np.float32).reshape(4, 4)
    steps = conv_steps(img, np.ones((3, 3, 1, 2)))
    assert steps[0].patch.shape == (3, 3, 1) and steps[0].products.shape == (3, 3, 1)
    assert steps[4].value == steps[0].value == img[:3, :3].sum()


def test_multi_filter_trace_is_not_materialised():
    img = np.random.default_rng(0).random((512, 512, 3), np.float32)
    steps = conv_steps(img, np.ones((3, 3, 3, 8), np.float32), padding="same")
    assert len(steps) == 8 * 512 * 512
    assert steps.padded.nbytes + steps.output.nbytes < 12 * img[..., 0].nbytes


@st.composite
def transpose_cases(draw):
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = draw(st.sampled_from(["valid", "same", 1]))
    op = draw(st.one_of(st.none(), st.just((s[0] - 1, s[1] - 1))))
    if padding == "same" and op is not None:
        assume(all(((k - 1) * dd + 1) % 2 or o for k, dd, o in zip((kh, kw), d, op,
                                                                   strict=True)))
    h, w = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    c, f = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    flat = draw(st.booleans()) and c == f == 1
    return (h, w, c), (kh, kw, f, c), s, padding, op, d, flat, draw(st.integers(0, 2**32 - 1))


@settings(max_examples=100)
@given(transpose_cases(), st.data())
def test_transpose_steps_scatter_into_the_full_output(case, data):
    shape, kshape, s, padding, op, d, flat, seed = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(np.float32)
    k = rng.standard_normal(kshape).astype(np.float32)
    b = rng.standard_normal(kshape[2]).astype(np.float32)
    if flat:
        x, k, b = x[..., 0], k[:, :, 0, 0], float(b[0])
    args = {"stride": s, "padding": padding, "output_padding": op, "dilation": d}
    try:
        full = conv2d_transpose(x, k, bias=b, **args)
    except ValueError:
        assume(False)
    steps = transpose_steps(x, k, bias=b, **args)
    np.testing.assert_array_equal(steps.output, full)
    assert len(steps) == shape[0] * shape[1]
    scale = float(np.abs(k).sum() * np.abs(x).max()) + float(np.abs(b).max())
    # Adding every step's contributions where they land rebuilds the output.
    acc = np.zeros(full.shape, np.float64) + b
    for step in steps:
        rows, cols = step.targets[step.inside].T
        np.add.at(acc, (rows, cols), step.contributions[step.inside])
    _close(acc, full, scale)
    x3 = x if x.ndim == 3 else x[..., None]
    for i in [0, -1, *data.draw(st.lists(st.integers(-len(steps), len(steps) - 1),
                                         max_size=3))]:
        step = steps[i]
        j = i % len(steps)
        r, c = divmod(j, shape[1])
        assert (step.index, step.in_pos) == (j, (r, c))
        np.testing.assert_array_equal(step.source, x3[r, c])
        assert step.window == (r * s[0] - steps.pads.top, c * s[1] - steps.pads.left)
        k4 = k if k.ndim == 4 else k[:, :, None, None]
        products = k4 * x3[r, c]
        np.testing.assert_array_equal(step.products, products if not flat else products[..., 0, 0])
        rows, cols = step.targets[step.inside].T
        np.testing.assert_array_equal(step.final[step.inside], full[rows, cols])
        assert np.isnan(step.final[~step.inside]).all()
        # running: bias plus the shares of input pixels 0..j only.
        upto = x3.copy().reshape(-1, x3.shape[2])
        upto[j + 1 :] = 0
        partial = conv2d_transpose(upto.reshape(x3.shape) if not flat else upto.reshape(x.shape),
                                   k, bias=b, **args)
        _close(step.running[step.inside], partial[rows, cols], scale)
    corr = steps.correlation_steps()
    assert len(corr) == full.size
    for i in data.draw(st.lists(st.integers(-len(corr), len(corr) - 1), min_size=1,
                                max_size=4)):
        step = corr[i]
        r, c = step.out_pos
        value = full[r, c] if full.ndim == 2 else full[r, c, step.filter]
        _close(step.value, value, scale)


def test_transpose_steps_on_a_large_input_are_not_materialised():
    x = np.random.default_rng(1).random((256, 256), np.float32)
    steps = transpose_steps(x, np.ones((3, 3), np.float32), stride=2, padding="same")
    assert len(steps) == 256 * 256 and steps.output.shape == (512, 512)
    step = steps[-1]
    assert step.inside.sum() == 4  # the bottom-right pixel's taps past 512 are cropped
    assert step.running[step.inside] == pytest.approx(step.final[step.inside])
