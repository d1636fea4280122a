import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from convstudio.core import conv2d, conv_steps, max_pool2d, pool_steps, sample_image

from .test_convolution import conv_cases


@settings(max_examples=200)
@given(conv_cases(max_side=12), st.data())
def test_every_sampled_step_agrees_with_the_full_output(case, data):
    image, kernel, stride, padding, dilation, bias = case
    steps = conv_steps(image, kernel, stride=stride, padding=padding, dilation=dilation,
                       bias=bias)
    full = conv2d(image, kernel, stride=stride, padding=padding, dilation=dilation, bias=bias)
    assert len(steps) == full.size
    for _ in range(5):
        i = data.draw(st.integers(-len(steps), len(steps) - 1))
        step = steps[i]
        r, c = step.out_pos
        assert step.index == i % len(steps)
        assert step.value == full[r, c]
        assert step.patch.shape == kernel.shape
        np.testing.assert_array_equal(step.products, step.patch * kernel)
        assert step.products.sum() + step.bias == pytest.approx(
            step.value, abs=1e-5 * max(1.0, float(np.abs(step.products).sum())))
        assert step.window == (r * stride[0], c * stride[1])


def test_padding_cells_in_the_patch_are_zero():
    img = np.arange(1, 17, dtype=np.float32).reshape(4, 4)
    steps = conv_steps(img, np.ones((3, 3)), padding="same")
    first = steps[0]
    np.testing.assert_array_equal(first.patch, [[0, 0, 0], [0, 1, 2], [0, 5, 6]])
    assert first.value == 14.0
    last = steps[-1]
    assert last.out_pos == (3, 3)
    np.testing.assert_array_equal(last.patch, [[11, 12, 0], [15, 16, 0], [0, 0, 0]])


def test_multichannel_step_patch_has_channels():
    rng = np.random.default_rng(0)
    img = rng.random((5, 5, 3)).astype(np.float32)
    ker = rng.standard_normal((3, 3, 3)).astype(np.float32)
    step = conv_steps(img, ker, bias=0.5)[4]
    assert step.patch.shape == (3, 3, 3)
    assert step.products.sum() + 0.5 == pytest.approx(step.value, abs=1e-5)
    # Several filters step filter-major (tests/core/test_family_steps.py checks them in full).
    two = conv_steps(img, np.ones((3, 3, 3, 2)))
    assert len(two) == 2 * 9 and two[9].filter == 1 and two[9].out_pos == (0, 0)


def test_random_access_bounds_and_slices():
    steps = conv_steps(np.ones((5, 5)), np.ones((3, 3)))
    assert len(steps) == 9
    with pytest.raises(IndexError):
        steps[9]
    with pytest.raises(IndexError):
        steps[-10]
    with pytest.raises(TypeError):
        steps["1"]  # type: ignore[call-overload]
    assert [s.index for s in steps[2:8:3]] == [2, 5]
    assert steps.position(7) == (2, 1) and steps.index_of(2, 1) == 7


def test_large_trace_is_not_materialised():
    img = sample_image("camera")
    steps = conv_steps(img, np.ones((3, 3)), padding="same")
    assert len(steps) == 512 * 512
    # Storage is the padded input plus the output: two images, not 262,144 patches.
    assert steps.padded.nbytes + steps.output.nbytes < 3 * img.nbytes


@settings(max_examples=200)
@given(st.integers(2, 12), st.integers(2, 12), st.integers(1, 3), st.integers(1, 3),
       st.sampled_from(["valid", "same"]), st.sampled_from(["max", "avg"]),
       st.integers(0, 2**32 - 1))
def test_pool_steps_agree_with_pooling(h, w, p, s, padding, op, seed):
    assume(padding == "same" or (h >= p and w >= p))
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 4, size=(h, w)).astype(np.float32)
    steps = pool_steps(x, p, stride=s, padding=padding, op=op)
    out, win = max_pool2d(x, p, stride=s, padding=padding, return_indices=True)
    assert len(steps) == out.size
    for i in rng.integers(0, len(steps), size=4):
        step = steps[int(i)]
        r, c = step.out_pos
        assert step.winner == tuple(win[r, c])
        real = step.patch[~np.isnan(step.patch)]
        if op == "max":
            assert step.value == out[r, c] == real.max()
        else:
            assert step.value == pytest.approx(real.mean(), rel=1e-6)


def test_pool_step_winner_is_argmax_of_block():
    x = np.array([[1, 3, 3, 0], [2, 3, 0, 0]], dtype=np.float32)
    steps = pool_steps(x, 2)
    assert steps[0].winner == (0, 1)  # first of the two 3s in row-major order
    assert steps[1].winner == (0, 2)
    assert steps[1].value == 3.0
    with pytest.raises(ValueError, match="op must be"):
        pool_steps(x, 2, op="min")
