"""Depthwise convolution stepped as an ordinary one: its kernel weighs only its own channel."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convstudio.core import conv2d, conv_steps, depthwise_conv2d
from convstudio.core.family_steps import depthwise_kernel_as_conv


@settings(max_examples=40, deadline=None)
@given(h=st.integers(3, 9), w=st.integers(3, 9), c=st.integers(1, 4), m=st.integers(1, 3),
       k=st.integers(1, 3), stride=st.integers(1, 2), padding=st.sampled_from(["valid", "same"]),
       seed=st.integers(0, 2**16))
def test_the_conv_kernel_gives_the_depthwise_maps(h, w, c, m, k, stride, padding, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(h, w, c)).astype(np.float32)
    ker = rng.normal(size=(k, k, c, m)).astype(np.float32)
    bank = depthwise_kernel_as_conv(ker)
    assert bank.shape == (k, k, c, c * m)
    expected = depthwise_conv2d(x, ker, stride=stride, padding=padding, bias=0.25)
    got = conv2d(x, bank, stride=stride, padding=padding, bias=0.25)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    steps = conv_steps(x, bank, stride=stride, padding=padding, bias=0.25)
    for i in rng.integers(0, len(steps), size=5):
        s = steps[int(i)]
        r, col = s.out_pos
        assert s.value == pytest.approx(float(expected[r, col, s.filter]), rel=1e-5, abs=1e-5)
        # Filter f reads channel f // M alone: the other channels' products are all zero.
        others = [ch for ch in range(c) if ch != s.filter // m]
        assert not np.any(s.products[:, :, others])


def test_filter_f_holds_channel_f_div_m_alone():
    ker = np.arange(2 * 2 * 3 * 2, dtype=np.float32).reshape(2, 2, 3, 2) + 1
    bank = depthwise_kernel_as_conv(ker)
    for f in range(6):
        np.testing.assert_array_equal(bank[:, :, f // 2, f], ker[:, :, f // 2, f % 2])
        assert np.count_nonzero(bank[:, :, :, f]) == 4


def test_a_kernel_that_is_not_four_d_is_refused():
    with pytest.raises(ValueError, match=r"\(kh, kw, C, M\)"):
        depthwise_kernel_as_conv(np.ones((3, 3, 2)))
