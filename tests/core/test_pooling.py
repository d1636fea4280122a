import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convstudio.core import avg_pool2d, max_pool2d, sample_image

from .reference import reference_pool


def test_lesson_4x4_block_keeps_the_maximum_of_each_quarter():
    block = np.array([
        [0, 192, 144, 0],
        [64, 128, 32, 100],
        [255, 0, 168, 10],
        [7, 80, 5, 90],
    ], dtype=np.float32)
    np.testing.assert_array_equal(max_pool2d(block), [[192, 144], [255, 168]])


def test_512_pools_to_256_with_maxima_not_top_left():
    img = sample_image("camera")
    out = max_pool2d(img)
    assert out.shape == (256, 256)
    blocks = img.reshape(256, 2, 256, 2)
    np.testing.assert_array_equal(out, blocks.max(axis=(1, 3)))
    # The lesson's buggy loop kept the top-left pixel; on a real photo that differs.
    assert (out != img[::2, ::2]).mean() > 0.3


@st.composite
def pool_cases(draw):
    ph, pw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    sh, sw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    padding = draw(st.sampled_from(["valid", "same"]))
    h, w = draw(st.integers(ph, 17)), draw(st.integers(pw, 17))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    # Few distinct values so ties (and the first-maximum rule) are common.
    x = rng.integers(-3, 4, size=(h, w)).astype(np.float32)
    return x, (ph, pw), (sh, sw), padding


@settings(max_examples=250)
@given(pool_cases())
def test_max_pool_matches_loop_reference_and_winners_are_first_maxima(case):
    x, pool, stride, padding = case
    out, win = max_pool2d(x, pool, stride=stride, padding=padding, return_indices=True)
    ref = reference_pool(x, pool, stride, padding, "max")
    np.testing.assert_array_equal(out, ref)
    np.testing.assert_array_equal(out, max_pool2d(x, pool, stride=stride, padding=padding))
    assert win.shape == (*out.shape, 2)
    h, w = x.shape
    if padding == "valid":
        top = left = 0
    else:
        top = max((out.shape[0] - 1) * stride[0] + pool[0] - h, 0) // 2
        left = max((out.shape[1] - 1) * stride[1] + pool[1] - w, 0) // 2
    for r in range(out.shape[0]):
        for c in range(out.shape[1]):
            r0, c0 = r * stride[0] - top, c * stride[1] - left
            rows = range(max(r0, 0), min(r0 + pool[0], h))
            cols = range(max(c0, 0), min(c0 + pool[1], w))
            block = x[rows.start:rows.stop, cols.start:cols.stop]
            k = int(np.argmax(block))  # first maximum in row-major order
            expected = (rows.start + k // block.shape[1], cols.start + k % block.shape[1])
            assert tuple(win[r, c]) == expected


@settings(max_examples=250)
@given(pool_cases())
def test_avg_pool_matches_loop_reference(case):
    x, pool, stride, padding = case
    np.testing.assert_allclose(avg_pool2d(x, pool, stride=stride, padding=padding),
                               reference_pool(x, pool, stride, padding, "avg"), rtol=1e-6,
                               atol=1e-6)


def test_winner_is_numpy_argmax_of_its_block():
    rng = np.random.default_rng(2)
    x = rng.integers(0, 3, size=(8, 8)).astype(np.float32)
    out, win = max_pool2d(x, 2, return_indices=True)
    for r in range(4):
        for c in range(4):
            block = x[2 * r:2 * r + 2, 2 * c:2 * c + 2]
            k = int(np.argmax(block))
            assert tuple(win[r, c]) == (2 * r + k // 2, 2 * c + k % 2)


def test_channels_pool_independently():
    rng = np.random.default_rng(5)
    x = rng.random((6, 8, 3)).astype(np.float32)
    out = max_pool2d(x, 2, stride=1, padding="same")
    for c in range(3):
        np.testing.assert_array_equal(out[..., c],
                                      max_pool2d(x[..., c], 2, stride=1, padding="same"))
    assert avg_pool2d(x).shape == (3, 4, 3)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"pool_size": 0}, "pool_size"),
        ({"pool_size": 9}, "pool_size 9x9 is larger than the input"),
        ({"stride": 0}, "stride"),
        ({"padding": "full"}, "padding must be 'valid' or 'same'"),
    ],
)
def test_bad_pool_arguments(kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        max_pool2d(np.ones((4, 4)), **kwargs)
    with pytest.raises(ValueError, match=fragment):
        avg_pool2d(np.ones((4, 4)), **kwargs)
