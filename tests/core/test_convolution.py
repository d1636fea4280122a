import numpy as np
import pytest
import scipy.ndimage as ndi
from hypothesis import given, settings
from hypothesis import strategies as st

from convstudio.core import conv2d, output_shape, resolve_padding, sample_image

from .reference import reference_conv, tolerance

pytestmark = pytest.mark.filterwarnings("error")


def test_lesson_stride_2_1_valid_gives_255_by_510():
    img = sample_image("camera")
    out = conv2d(img, np.ones((3, 3)), stride=(2, 1))
    assert img.shape == (512, 512)
    assert out.shape == (255, 510)
    assert output_shape((512, 512), (3, 3), stride=(2, 1)) == (255, 510)
    np.testing.assert_allclose(out, reference_conv(img, np.ones((3, 3)), (2, 1)), atol=1e-4)


def test_same_padding_stride_1_keeps_512():
    img = sample_image("camera")
    out = conv2d(img, np.ones((3, 3)), padding="same")
    assert out.shape == (512, 512)
    # Zero padding: a corner pixel sums only its 4 in-image neighbours.
    assert out[0, 0] == pytest.approx(img[:2, :2].sum(), rel=1e-6)


def test_same_padding_even_kernel_stride_2_puts_extra_pixel_bottom_right():
    pads = resolve_padding((6, 6), (2, 2), stride=1, padding="same")
    assert (pads.top, pads.bottom, pads.left, pads.right) == (0, 1, 0, 1)
    pads = resolve_padding((7, 7), (4, 4), stride=2, padding="same")
    # total = (ceil(7/2)-1)*2 + 4 - 7 = 3 → 1 before, 2 after
    assert (pads.top, pads.bottom) == (1, 2)
    assert output_shape((7, 7), (4, 4), stride=2, padding="same") == (4, 4)


def test_full_padding_matches_scipy_full():
    rng = np.random.default_rng(3)
    img, ker = rng.random((9, 11)), rng.standard_normal((3, 4))
    from scipy.signal import correlate2d

    np.testing.assert_allclose(conv2d(img, ker, padding="full"), correlate2d(img, ker, "full"),
                               atol=1e-5)


def test_same_stride_1_odd_kernel_matches_ndimage():
    rng = np.random.default_rng(4)
    img = rng.random((64, 80)).astype(np.float32)
    ker = rng.standard_normal((5, 5)).astype(np.float32)
    ref = ndi.correlate(img.astype(np.float64), ker.astype(np.float64), mode="constant")
    np.testing.assert_allclose(conv2d(img, ker, padding="same"), ref, atol=tolerance(img, ker))


paddings = st.one_of(
    st.sampled_from(["valid", "same", "full"]),
    st.tuples(st.integers(0, 3), st.integers(0, 3)),
)


@st.composite
def conv_cases(draw, max_side=20):
    kh, kw = draw(st.integers(1, 7)), draw(st.integers(1, 7))
    dh, dw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    sh, sw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    padding = draw(paddings)
    h = draw(st.integers((kh - 1) * dh + 1, max_side + (kh - 1) * dh))
    w = draw(st.integers((kw - 1) * dw + 1, max_side + (kw - 1) * dw))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    scale = draw(st.sampled_from([1.0, 255.0]))
    image = (rng.random((h, w)) * scale).astype(np.float32)
    kernel = rng.standard_normal((kh, kw)).astype(np.float32)
    bias = draw(st.floats(-2, 2, allow_nan=False))
    return image, kernel, (sh, sw), padding, (dh, dw), bias


@settings(max_examples=250)
@given(conv_cases())
def test_conv2d_matches_scipy_correlate2d(case):
    image, kernel, stride, padding, dilation, bias = case
    got = conv2d(image, kernel, stride=stride, padding=padding, dilation=dilation, bias=bias)
    ref = reference_conv(image, kernel, stride, padding, dilation, bias)
    assert got.dtype == np.float32
    assert got.shape == ref.shape
    assert got.shape == output_shape(image.shape, kernel.shape, stride=stride, padding=padding,
                                     dilation=dilation)
    np.testing.assert_allclose(got, ref, atol=tolerance(image, kernel), rtol=1e-5)


@settings(max_examples=250)
@given(st.integers(1, 4), st.integers(1, 20), st.sampled_from(["valid", "same"]),
       st.integers(0, 2**32 - 1), st.booleans())
def test_multichannel_sums_channels_per_filter(channels, filters, padding, seed, dilate):
    rng = np.random.default_rng(seed)
    image = rng.random((12, 10, channels)).astype(np.float32)
    kernel = rng.standard_normal((3, 3, channels, filters)).astype(np.float32)
    bias = rng.standard_normal(filters).astype(np.float32)
    dilation = 2 if dilate else 1
    got = conv2d(image, kernel, padding=padding, bias=bias, dilation=dilation, stride=(1, 2))
    for f in range(filters):
        ref = sum(reference_conv(image[..., c], kernel[..., c, f], (1, 2), padding,
                                 (dilation, dilation)) for c in range(channels)) + bias[f]
        np.testing.assert_allclose(got[..., f], ref, atol=tolerance(image, kernel[..., f]))


def test_many_channel_filter_pairs_use_matrix_product_and_agree():
    rng = np.random.default_rng(7)
    image = rng.random((15, 13, 8)).astype(np.float32)
    kernel = rng.standard_normal((3, 3, 8, 12)).astype(np.float32)  # 96 pairs
    got = conv2d(image, kernel, padding="same", stride=2)
    for f in range(12):
        ref = sum(reference_conv(image[..., c], kernel[..., c, f], (2, 2), "same")
                  for c in range(8))
        np.testing.assert_allclose(got[..., f], ref, atol=tolerance(image, kernel[..., f]))


def test_three_d_kernel_gives_one_map():
    rng = np.random.default_rng(8)
    image = rng.random((6, 6, 3))
    kernel = rng.standard_normal((3, 3, 3))
    got = conv2d(image, kernel)
    assert got.shape == (4, 4)
    np.testing.assert_allclose(got, conv2d(image, kernel[..., None])[..., 0], atol=1e-6)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"image": np.ones((2, 2)), "kernel": np.ones((3, 3))}, "kernel 3x3"),
        ({"stride": 0}, "stride"),
        ({"stride": (1, -2)}, "stride"),
        ({"stride": 1.5}, "stride"),
        ({"dilation": 0}, "dilation"),
        ({"padding": "sideways"}, "padding must be one of valid, same, full"),
        ({"padding": -1}, "padding"),
        ({"image": np.full((5, 5), np.nan)}, "image must contain only finite"),
        ({"kernel": [[1, np.inf], [0, 0]]}, "kernel must contain only finite"),
        ({"image": np.ones(5)}, "image must be 2-D or 3-D"),
        ({"kernel": np.ones((3, 3, 2))}, "input channel"),
        ({"image": np.array([["a", "b"], ["c", "d"]])}, "image must be a numeric array"),
        ({"kernel": np.ones((0, 3))}, "kernel must not be empty"),
        ({"bias": [1.0, 2.0]}, "bias must be a number"),
        ({"bias": float("nan")}, "bias must be finite"),
    ],
)
def test_bad_arguments_raise_value_error_naming_them(kwargs, fragment):
    args = {"image": np.ones((5, 5)), "kernel": np.ones((3, 3))} | kwargs
    with pytest.raises(ValueError, match=fragment):
        conv2d(args.pop("image"), args.pop("kernel"), **args)


def test_check_finite_false_skips_the_scan_only():
    img = np.ones((6, 6), dtype=np.float32)
    img[0, 0] = np.nan
    out = conv2d(img, np.ones((3, 3)), check_finite=False)
    assert np.isnan(out[0, 0]) and np.isfinite(out[-1, -1])
    with pytest.raises(ValueError, match="kernel must contain only finite"):
        conv2d(img, [[np.nan]], check_finite=False)


def test_huge_finite_values_are_not_mistaken_for_infinity():
    img = np.full((100, 100), 1e30, dtype=np.float32)  # self-dot overflows; values are finite
    assert np.isfinite(conv2d(img, [[1.0]])).all()


@pytest.mark.parametrize("size", [10, 5000, (1 << 20) + 3])
def test_finite_check_finds_any_bad_value_wherever_it_is(size):
    from convstudio.core._validate import all_finite

    rng = np.random.default_rng(size)
    arr = rng.standard_normal(size).astype(np.float32)
    assert all_finite(arr)
    assert all_finite(np.full(size, 3e38, np.float32))  # the dot overflows; values are finite
    for where in (0, size // 2 - 1, size // 2, size - 1):
        for bad in (np.nan, np.inf, -np.inf):
            broken = arr.copy()
            broken[where] = bad
            assert not all_finite(broken), (where, bad)
    big = arr.reshape(-1, 1)[: size - size % 2].reshape(2, -1)
    assert all_finite(big.T)  # not contiguous: checked all the same
    with pytest.raises(ValueError, match="image must contain only finite"):
        image = np.zeros((1100, 1000), np.float32)
        image[-1, -1] = np.nan
        conv2d(image, np.ones((3, 3)))
